#include "runner/http/listen.hpp"

#include <gtest/gtest.h>

namespace stackrun::http {
namespace {

struct ListenRow {
  const char* in;
  const char* want;  // "host port loopback|network", or the error text
};

const ListenRow kListenRows[] = {
    {"127.0.0.1:8480", "127.0.0.1 8480 loopback"},
    {"127.0.0.1:0", "127.0.0.1 0 loopback"},
    {"127.1.2.3:65535", "127.1.2.3 65535 loopback"},
    {"[::1]:8480", "::1 8480 loopback"},
    {"[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1 80 loopback"},
    {"0.0.0.0:8480", "0.0.0.0 8480 network"},
    {"[::]:8480", ":: 8480 network"},
    {"10.1.2.3:8480", "10.1.2.3 8480 network"},
    {"128.0.0.1:8480", "128.0.0.1 8480 network"},
    {"[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1 80 network"},
    {"[::2]:80", "::2 80 network"},
    {"8480", R"(--listen must be HOST:PORT, got "8480")"},
    {"127.0.0.1:", R"(--listen: port must be a number 0-65535, got "127.0.0.1:")"},
    {"127.0.0.1:65536", R"(--listen: port must be a number 0-65535, got "127.0.0.1:65536")"},
    {"127.0.0.1:-1", R"(--listen: port must be a number 0-65535, got "127.0.0.1:-1")"},
    {"127.0.0.1:http", R"(--listen: port must be a number 0-65535, got "127.0.0.1:http")"},
    {"127.0.0.1:123456", R"(--listen: port must be a number 0-65535, got "127.0.0.1:123456")"},
    {"localhost:8480",
     R"(--listen: "localhost" is not an IP address (use e.g. 127.0.0.1, 0.0.0.0 or [::1]))"},
    {":8480", R"(--listen: "" is not an IP address (use e.g. 127.0.0.1, 0.0.0.0 or [::1]))"},
    {"::1:8480",
     R"(--listen: "::1" is not an IP address (an IPv6 address goes in brackets: [::1]:8480))"},
    {"[127.0.0.1]:80",
     R"(--listen: "127.0.0.1" is not an IP address (use e.g. 127.0.0.1, 0.0.0.0 or [::1]))"},
};

TEST(ParseListen, Table) {
  for (const auto& row : kListenRows) {
    SCOPED_TRACE(row.in);
    auto r = parse_listen(row.in);
    const std::string got =
        r ? r->host + " " + std::to_string(r->port) + " " + (r->loopback ? "loopback" : "network")
          : r.error();
    EXPECT_EQ(got, row.want);
  }
}

}  // namespace
}  // namespace stackrun::http
