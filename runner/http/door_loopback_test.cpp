// The door before the body, on a real Server over 127.0.0.1 with raw sockets (a client library
// would send the body whatever the server says): a request is decided from its head, a refused
// body is never read, chunk lines cannot grow a buffer, and connections are capped. Every wait is
// bounded by kWait; nothing asserts elapsed time.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runner/http/http.hpp"
#include "runner/http/http_test_support.hpp"
#include "runner/http/router.hpp"

namespace stackrun::http {
namespace {

using namespace test_support;

constexpr std::size_t k4MiB = 4 * 1024 * 1024;

// POST /upload answers with the size of the body it got; its admit wants "Bearer good".
// The handler counts its calls.
struct UploadServer {
  explicit UploadServer(Server::Options options = {}) : live(std::move(options)) {
    RouteOptions o;
    o.max_body_bytes = k4MiB;
    o.admit = [](const Request& head) -> std::optional<Response> {
      if (head.header("authorization") == "Bearer good") return std::nullopt;
      return error_response(401, "missing or unknown token");
    };
    live.server.route(
        "POST", "/upload",
        [this](const Request& r, Reply reply) {
          ++calls;
          reply(text(std::to_string(r.body.size())));
        },
        o);
    live.server.route("GET", "/ping", [](const Request&, Reply reply) { reply(text("pong")); });
    EXPECT_EQ(live.start(), "");
  }
  LiveServer live;
  std::atomic<int> calls{0};
};

TEST(Door, AnUnauthenticatedUploadIsAnsweredBeforeItsBodyIsSent) {
  UploadServer s;
  // The client sends the head only, then reads: the answer and the server's close come anyway.
  for (const std::string headers : {"", "Authorization: Bearer bad\r\n"}) {
    SCOPED_TRACE(headers);
    RawConnection c(s.live.port());
    ASSERT_TRUE(c.send(upload_head("/upload", k4MiB, headers)));
    std::string raw = c.read_until_close();
    EXPECT_EQ(status_line(raw), "HTTP/1.1 401 Unauthorized") << raw;
    EXPECT_NE(raw.find("\r\nConnection: close\r\n"), std::string::npos) << raw;
    EXPECT_EQ(body_of(raw), R"({"error":"missing or unknown token"})");
  }
  // An unknown route and a wrong method are answered the same way.
  RawConnection nowhere(s.live.port());
  ASSERT_TRUE(nowhere.send(upload_head("/nowhere", k4MiB)));
  EXPECT_EQ(status_line(nowhere.read_until_close()), "HTTP/1.1 404 Not Found");
  RawConnection wrong(s.live.port());
  ASSERT_TRUE(wrong.send(upload_head("/ping", k4MiB)));
  EXPECT_EQ(status_line(wrong.read_until_close()), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(s.calls.load(), 0);
  EXPECT_EQ(s.live.server.stats().body_bytes_read, 0u);

  // Positive control: with the token the server waits for the body, reads it and answers.
  RawConnection good(s.live.port());
  ASSERT_TRUE(good.send(upload_head("/upload", k4MiB, "Authorization: Bearer good\r\n") +
                        std::string(k4MiB, 'x')));
  std::string raw = good.read_until("\r\n\r\n4194304");
  EXPECT_EQ(status_line(raw), "HTTP/1.1 200 OK") << raw.substr(0, 200);
  EXPECT_EQ(body_of(raw), "4194304");
  EXPECT_EQ(s.calls.load(), 1);
  EXPECT_EQ(s.live.server.stats().body_bytes_read, k4MiB);
}

TEST(Door, AHundredStalledUnauthenticatedUploadsCostNoBodies) {
  Server::Options options;
  options.max_per_address = 200;  // all 100 come from 127.0.0.1
  UploadServer s(options);
  std::vector<std::unique_ptr<RawConnection>> uploads;
  for (int i = 0; i < 100; ++i) {
    uploads.push_back(std::make_unique<RawConnection>(s.live.port()));
    ASSERT_TRUE(uploads.back()->connected()) << i;
    ASSERT_TRUE(uploads.back()->send(upload_head("/upload", k4MiB))) << i;
  }
  // All 100 stay open on the client side and never send a body byte: each still gets its 401
  // and the server's half-close.
  for (int i = 0; i < 100; ++i) {
    std::string raw = uploads[static_cast<std::size_t>(i)]->read_until_close();
    ASSERT_EQ(status_line(raw), "HTTP/1.1 401 Unauthorized") << i << ": " << raw;
  }
  EXPECT_EQ(s.live.server.stats().body_bytes_read, 0u);
  EXPECT_EQ(s.calls.load(), 0);
  // Still serving others meanwhile.
  EXPECT_EQ(outcome(Client(s.live.url()).request("GET", "/ping", "", kWait)), "200 pong");
}

TEST(Door, ABodyOverTheRouteLimitGets413BeforeItIsSent) {
  Server::Options options;
  options.max_body_bytes = 2048;  // the default for routes that set none
  LiveServer live(options);
  RouteOptions small;
  small.max_body_bytes = 1024;
  auto size = [](const Request& r, Reply reply) { reply(text(std::to_string(r.body.size()))); };
  live.server.route("POST", "/small", size, small);
  live.server.route("POST", "/default", size);
  ASSERT_EQ(live.start(), "");
  std::string raw = raw_exchange(live.port(), upload_head("/small", 1025));
  EXPECT_EQ(status_line(raw), "HTTP/1.1 413 Payload Too Large") << raw;
  EXPECT_EQ(body_of(raw), R"({"error":"request body larger than 1024 bytes"})");
  raw = raw_exchange(live.port(), upload_head("/default", 2049));
  EXPECT_EQ(body_of(raw), R"({"error":"request body larger than 2048 bytes"})");
  EXPECT_EQ(live.server.stats().body_bytes_read, 0u);
  // At the limit: read and served.
  Client client(live.url());
  EXPECT_EQ(outcome(client.request("POST", "/small", std::string(1024, 'x'), kWait)), "200 1024");
  EXPECT_EQ(outcome(client.request("POST", "/default", std::string(2048, 'x'), kWait)), "200 2048");
}

TEST(Door, AChunkedBodyIsStoppedAtTheRouteLimit) {
  LiveServer live;
  RouteOptions small;
  small.max_body_bytes = 1024;
  live.server.route(
      "POST", "/small",
      [](const Request& r, Reply reply) { reply(text(std::to_string(r.body.size()))); }, small);
  ASSERT_EQ(live.start(), "");
  const std::string head =
      "POST /small HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
  // 1000 bytes, then a chunk announcing 1 MiB: refused when announced, before its data.
  std::string raw =
      raw_exchange(live.port(), head + "3e8\r\n" + std::string(1000, 'x') + "\r\n100000\r\n");
  EXPECT_EQ(status_line(raw), "HTTP/1.1 413 Payload Too Large") << raw;
  EXPECT_EQ(body_of(raw), R"({"error":"request body larger than 1024 bytes"})");
  // Within the limit, in two chunks: read.
  raw = raw_exchange(live.port(), head + "200\r\n" + std::string(512, 'a') + "\r\n200\r\n" +
                                      std::string(512, 'b') + "\r\n0\r\n\r\n");
  EXPECT_EQ(body_of(raw), "1024") << raw;
}

TEST(Door, AnEndlessChunkExtensionGets400AfterABoundedRead) {
  LiveServer live;
  live.server.route("POST", "/upload", [](const Request& r, Reply reply) {
    reply(text(std::to_string(r.body.size())));
  });
  ASSERT_EQ(live.start(), "");
  RawConnection c(live.port());
  ASSERT_TRUE(c.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1;"));
  // Sends up to 64 MiB of one chunk extension, reading whatever comes back meanwhile; stops at
  // the server's close. Bounded in bytes (64 MiB) and in time (kWait).
  const std::size_t kBound = 64u * 1024 * 1024;
  const std::string piece = ";" + std::string(64 * 1024 - 1, 'e');
  std::string answer;
  std::size_t sent = 0;
  bool closed = false;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!closed && sent < kBound && std::chrono::steady_clock::now() < deadline) {
    pollfd p{c.fd(), POLLIN | POLLOUT, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t n = ::recv(c.fd(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) answer.append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) closed = true;
    } else if (p.revents & POLLOUT) {
      ssize_t n = ::send(c.fd(), piece.data(), piece.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) closed = true;
    }
  }
  EXPECT_TRUE(closed) << "sent " << sent << " bytes and the server still reads";
  EXPECT_LT(sent, kBound / 2);  // far less than what it would have taken
  EXPECT_EQ(status_line(answer), "HTTP/1.1 400 Bad Request") << answer.substr(0, 300);
  EXPECT_EQ(body_of(answer),
            R"({"error":"bad request: a chunk line or trailer is longer than 65536 bytes"})");
}

TEST(Door, Expect100ContinueIsSentOnlyToAnAdmittedRequest) {
  UploadServer s;
  const std::string expect = "Expect: 100-continue\r\n";
  RawConnection good(s.live.port());
  ASSERT_TRUE(good.send(upload_head("/upload", 5, expect + "Authorization: Bearer good\r\n")));
  EXPECT_EQ(good.read_until("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(good.send("hello"));
  EXPECT_EQ(body_of(good.read_until("\r\n\r\n5")), "5");
  // Refused: the final answer comes instead of 100 Continue.
  std::string raw = raw_exchange(s.live.port(), upload_head("/upload", 5, expect));
  EXPECT_EQ(status_line(raw), "HTTP/1.1 401 Unauthorized") << raw;
  EXPECT_EQ(raw.find("100 Continue"), std::string::npos) << raw;
}

TEST(Door, ARefusedRequestWithoutABodyKeepsTheConnection) {
  UploadServer s;
  // A body-less request refused by admit: nothing is left unread, so keep-alive holds.
  std::string ping_then =
      "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
      "GET /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  std::string raw = raw_exchange(s.live.port(), ping_then);
  EXPECT_EQ(status_line(raw), "HTTP/1.1 401 Unauthorized") << raw;
  EXPECT_NE(raw.find("\r\n\r\npong"), std::string::npos) << raw;
}

TEST(Door, AdmitThatThrowsGets500AndTheBodyIsNotRead) {
  LiveServer live;
  RouteOptions o;
  o.admit = [](const Request&) -> std::optional<Response> {
    throw std::runtime_error("token table unreadable");
  };
  live.server.route(
      "POST", "/x", [](const Request&, Reply reply) { reply(text("ran")); }, o);
  ASSERT_EQ(live.start(), "");
  std::string raw = raw_exchange(live.port(), upload_head("/x", k4MiB));
  EXPECT_EQ(status_line(raw), "HTTP/1.1 500 Internal Server Error") << raw;
  EXPECT_EQ(body_of(raw), R"({"error":"internal error: token table unreadable"})");
}

// Opens `n` raw connections and waits (bounded) until the server holds `n`.
std::vector<std::unique_ptr<RawConnection>> open_connections(LiveServer& live, std::size_t n) {
  std::vector<std::unique_ptr<RawConnection>> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::make_unique<RawConnection>(live.port()));
    EXPECT_TRUE(out.back()->connected()) << i;
  }
  EXPECT_TRUE(wait_until([&] { return live.server.stats().open_connections == n; }))
      << live.server.stats().open_connections;
  return out;
}

// A connection over a cap is closed at once: EOF or a reset, with at most a 503 before it.
void expect_turned_away(int port) {
  std::string raw = raw_exchange(port, "");
  EXPECT_EQ(raw.find("<timeout>"), std::string::npos) << "the extra connection was kept open";
  if (!raw.empty()) {
    EXPECT_EQ(status_line(raw), "HTTP/1.1 503 Service Unavailable") << raw;
  }
}

const std::string kPing = "GET /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

TEST(Door, ConnectionsPerAddressAreCappedAt64ByDefault) {
  LiveServer live;
  live.server.route("GET", "/ping", [](const Request&, Reply reply) { reply(text("pong")); });
  ASSERT_EQ(live.start(), "");
  auto held = open_connections(live, 64);
  expect_turned_away(live.port());
  EXPECT_EQ(live.server.stats().refused_connections, 1u);
  // The 64 held ones are still served.
  ASSERT_TRUE(held[0]->send(kPing));
  EXPECT_EQ(body_of(held[0]->read_until_close()), "pong");
  // Closing some makes room again (held[0] stays open on our side, so the server keeps it).
  held.resize(60);
  ASSERT_TRUE(wait_until([&] { return live.server.stats().open_connections == 60; }));
  EXPECT_EQ(body_of(raw_exchange(live.port(), kPing)), "pong");
  EXPECT_EQ(live.server.stats().refused_connections, 1u);
}

TEST(Door, TotalConnectionsAreCapped) {
  Server::Options options;
  options.max_connections = 3;
  LiveServer live(options);
  live.server.route("GET", "/ping", [](const Request&, Reply reply) { reply(text("pong")); });
  ASSERT_EQ(live.start(), "");
  auto held = open_connections(live, 3);
  expect_turned_away(live.port());
  expect_turned_away(live.port());
  EXPECT_EQ(live.server.stats().refused_connections, 2u);
  held.pop_back();
  ASSERT_TRUE(wait_until([&] { return live.server.stats().open_connections == 2; }));
  EXPECT_EQ(body_of(raw_exchange(live.port(), kPing)), "pong");
}

}  // namespace
}  // namespace stackrun::http
