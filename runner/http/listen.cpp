#include "runner/http/listen.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

namespace stackrun::http {
namespace {

bool loopback_v6(const unsigned char (&a)[16]) {
  static const unsigned char kOne[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a, kOne, 16) == 0) return true;
  return std::memcmp(a, kMapped, 12) == 0 && a[12] == 127;  // ::ffff:127.x.x.x
}

}  // namespace

Result<ListenAddress> parse_listen(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return Result<ListenAddress>::fail("--listen must be HOST:PORT, got " + quoted);
  std::string host(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  ListenAddress out;
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoi(std::string(port_text)) > 65535) {
    return Result<ListenAddress>::fail("--listen: port must be a number 0-65535, got " + quoted);
  }
  out.port = std::stoi(std::string(port_text));
  unsigned char v6[16];
  std::uint32_t v4 = 0;
  if (!bracketed && ::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    out.loopback = (ntohl(v4) >> 24) == 127;  // 127.0.0.0/8
  } else if (bracketed && ::inet_pton(AF_INET6, host.c_str(), v6) == 1) {
    out.loopback = loopback_v6(v6);
  } else {
    const std::string hint = host.find(':') != std::string::npos && !bracketed
                                 ? " (an IPv6 address goes in brackets: [::1]:8480)"
                                 : " (use e.g. 127.0.0.1, 0.0.0.0 or [::1])";
    return Result<ListenAddress>::fail("--listen: \"" + host + "\" is not an IP address" + hint);
  }
  out.host = std::move(host);
  return out;
}

}  // namespace stackrun::http
