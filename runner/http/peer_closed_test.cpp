// Request::peer_closed over loopback: a handler that parks its Reply learns when the client goes
// (timed out, killed), and an answered or pipelining client is never mistaken for gone. Waits
// for the io thread are bounded polls (wait_until), never timing assertions.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runner/http/http.hpp"
#include "runner/http/http_test_support.hpp"

namespace stackrun::http {
namespace {

using namespace test_support;

using Flag = std::shared_ptr<const std::atomic<bool>>;

// /park keeps its Reply and flag; /later answers through after() (so the peer is watched while
// it waits) with the peer's address; /now answers at once.
struct ParkingServer {
  ParkingServer() {
    live.server.route("GET", "/park", [this](const Request& r, Reply reply) {
      std::lock_guard lock(mu);
      parked.push_back(std::move(reply));
      flags.push_back(r.peer_closed);
      closed_on_arrival += r.peer_closed->load() ? 1 : 0;
    });
    live.server.route("GET", "/later", [this](const Request& r, Reply reply) {
      {
        std::lock_guard lock(mu);
        flags.push_back(r.peer_closed);
      }
      auto answer = [reply, flag = r.peer_closed, remote = r.remote] {
        reply(text(std::string(flag->load() ? "closed " : "open ") + remote));
      };
      live.server.after(std::chrono::milliseconds(50), answer);
    });
    live.server.route("GET", "/now", [](const Request& r, Reply reply) { reply(text(r.remote)); });
  }
  Flag flag(std::size_t i) {
    std::lock_guard lock(mu);
    return i < flags.size() ? flags[i] : nullptr;
  }
  std::size_t flag_count() {
    std::lock_guard lock(mu);
    return flags.size();
  }

  std::mutex mu;
  std::vector<Reply> parked;  // declared before `live`: the server goes first
  std::vector<Flag> flags;
  int closed_on_arrival = 0;
  LiveServer live;
};

TEST(HttpServerPeerClosed, SetWhenTheClientTimesOutWhileTheHandlerIsParked) {
  ParkingServer s;
  ASSERT_EQ(s.live.start(), "");
  Client client(s.live.url());
  auto timed_out = client.request("GET", "/park", "", std::chrono::milliseconds(200));
  ASSERT_FALSE(timed_out.ok()) << outcome(timed_out);
  Flag flag = s.flag(0);
  ASSERT_NE(flag, nullptr);
  EXPECT_TRUE(wait_until([&] { return flag->load(); })) << "server never noticed the close";
  {
    std::lock_guard lock(s.mu);
    EXPECT_EQ(s.closed_on_arrival, 0);
    s.parked.at(0)(text("too late"));  // harmless: ignored
  }
  // The server still serves, and the late reply did not land on the new connection.
  EXPECT_EQ(outcome(client.request("GET", "/now", "", kWait)).rfind("200 127.0.0.1:", 0), 0u);
}

TEST(HttpServerPeerClosed, SetWhenTheClientClosesRightAfterSending) {
  ParkingServer s;
  ASSERT_EQ(s.live.start(), "");
  {
    RawConnection killed(s.live.port());  // like an agent killed with -9 mid-request
    ASSERT_TRUE(killed.connected());
    ASSERT_TRUE(killed.send("GET /park HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  ASSERT_TRUE(wait_until([&] { return s.flag_count() == 1; })) << "request never arrived";
  Flag flag = s.flag(0);
  EXPECT_TRUE(wait_until([&] { return flag->load(); })) << "server never noticed the close";
}

TEST(HttpServerPeerClosed, SetWhenTheClientLeavesWhileTheHandlerRuns) {
  ParkingServer s;
  Latch entered, left;
  Flag flag;
  // A slow handler (blocking the io thread on purpose, bounded): the close arrives before the
  // server can start watching, and must not be missed.
  s.live.server.route("GET", "/slow", [&](const Request& r, Reply reply) {
    flag = r.peer_closed;
    entered.open();
    left.wait();
    std::lock_guard lock(s.mu);
    s.parked.push_back(std::move(reply));
  });
  ASSERT_EQ(s.live.start(), "");
  RawConnection leaving(s.live.port());
  ASSERT_TRUE(leaving.connected());
  ASSERT_TRUE(leaving.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(entered.wait()) << "request never arrived";
  leaving.close();
  left.open();
  EXPECT_TRUE(wait_until([&] { return flag->load(); })) << "server never noticed the close";
}

TEST(HttpServerPeerClosed, NeverSetForAnsweredRequestsAndKeepAliveContinues) {
  ParkingServer s;
  ASSERT_EQ(s.live.start(), "");
  Client client(s.live.url());
  auto first = client.request("GET", "/later", "", kWait);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->body.rfind("open 127.0.0.1:", 0), 0u) << first->body;
  // Same connection (same peer port), watched again for the second request, still open.
  EXPECT_EQ(outcome(client.request("GET", "/later", "", kWait)), "200 " + first->body);
  EXPECT_EQ(outcome(client.request("GET", "/now", "", kWait)),
            "200 " + first->body.substr(std::string("open ").size()));
  ASSERT_EQ(s.flag_count(), 2u);
  EXPECT_FALSE(s.flag(0)->load());
  EXPECT_FALSE(s.flag(1)->load());
}

TEST(HttpServerPeerClosed, PipelinedBytesAreLeftForTheNextRequest) {
  ParkingServer s;
  ASSERT_EQ(s.live.start(), "");
  RawConnection c(s.live.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("GET /park HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(wait_until([&] { return s.flag_count() == 1; })) << "request never arrived";
  // The next request arrives while the first is parked: the watch sees bytes, not a close.
  ASSERT_TRUE(c.send("GET /now HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  // A round trip on another connection makes the io thread poll its sockets after that send.
  EXPECT_EQ(outcome(Client(s.live.url()).request("GET", "/now", "", kWait)).rfind("200 ", 0), 0u);
  EXPECT_FALSE(s.flag(0)->load());
  {
    std::lock_guard lock(s.mu);
    s.parked.at(0)(text("parked answer"));
  }
  std::string raw = c.read_until_close();
  auto first = raw.find("HTTP/1.1 200 OK\r\n");
  auto second = raw.find("HTTP/1.1 200 OK\r\n", first + 1);
  EXPECT_EQ(first, 0u) << raw;
  EXPECT_NE(raw.find("parked answer"), std::string::npos) << raw;
  EXPECT_NE(second, std::string::npos) << raw;
  EXPECT_NE(raw.find("127.0.0.1:", second), std::string::npos) << raw;
  EXPECT_EQ(raw.find("<timeout>"), std::string::npos) << raw;
  EXPECT_FALSE(s.flag(0)->load());
}

TEST(HttpServerPeerClosed, ARequestBuiltOutsideTheServerHasAnUnsetFlag) {
  Request r;
  ASSERT_NE(r.peer_closed, nullptr);
  EXPECT_FALSE(r.peer_closed->load());
}

}  // namespace
}  // namespace stackrun::http
