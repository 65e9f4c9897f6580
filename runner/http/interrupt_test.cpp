// Client interruption over loopback: requests parked in a long-poll that never answers, woken by
// an Interrupt triggered from the test thread. A request that is not woken would run to its 30 s
// timeout, past the kWait bound the test allows: that is the hang check, not a timing assertion.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runner/http/http.hpp"
#include "runner/http/http_test_support.hpp"

namespace stackrun::http {
namespace {

using namespace test_support;

// A server whose /claim never answers (its Replies are kept until the server goes) and whose
// /ping answers "pong" and counts.
struct ParkingServer {
  ParkingServer() {
    live.server.route("GET", "/claim", [this](const Request&, Reply reply) {
      std::lock_guard lock(mu);
      parked.push_back(std::move(reply));
    });
    live.server.route("GET", "/ping", [this](const Request& r, Reply reply) {
      ++pings;
      reply(text("pong from " + r.remote));
    });
  }
  std::size_t parked_count() {
    std::lock_guard lock(mu);
    return parked.size();
  }

  std::mutex mu;
  std::vector<Reply> parked;  // declared before `live`: the server goes first
  std::atomic<int> pings{0};
  LiveServer live;
};

TEST(HttpClientInterrupt, WakesParkedRequestsAndFailsLaterOnesAtOnce) {
  ParkingServer s;
  ASSERT_EQ(s.live.start(), "");
  const std::string url = s.live.url();
  auto interrupt = std::make_shared<Interrupt>();
  Client first(url), second(url);  // two clients sharing one Interrupt: both must wake
  first.set_interrupt(interrupt);
  second.set_interrupt(interrupt);
  // Connected already, as an agent's client is: curl then has no timer of its own (a fresh
  // connect wakes it after 200 ms) before the 30 s timeout, so only trigger() can wake it.
  ASSERT_EQ(outcome(first.request("GET", "/ping", "", kWait)).rfind("200 pong", 0), 0u);
  ASSERT_EQ(outcome(second.request("GET", "/ping", "", kWait)).rfind("200 pong", 0), 0u);
  auto claim = [](Client& c) { return c.request("GET", "/claim", "", std::chrono::seconds(30)); };
  auto a = std::async(std::launch::async, claim, std::ref(first));
  auto b = std::async(std::launch::async, claim, std::ref(second));
  ASSERT_TRUE(wait_until([&] { return s.parked_count() == 2; })) << "requests never arrived";
  EXPECT_FALSE(interrupt->triggered());

  interrupt->trigger();
  EXPECT_TRUE(interrupt->triggered());
  ASSERT_EQ(a.wait_for(kWait), std::future_status::ready) << "trigger() did not wake a request";
  ASSERT_EQ(b.wait_for(kWait), std::future_status::ready) << "trigger() did not wake a request";
  EXPECT_EQ(outcome(a.get()), "error: GET " + url + "/claim: interrupted");
  EXPECT_EQ(outcome(b.get()), "error: GET " + url + "/claim: interrupted");

  // Later requests fail without reaching the server; a second trigger is harmless.
  interrupt->trigger();
  EXPECT_EQ(outcome(first.request("GET", "/ping", "", kWait)),
            "error: GET " + url + "/ping: interrupted");
  EXPECT_EQ(s.pings.load(), 2);
  // A client without that Interrupt is unaffected.
  Client free_client(url);
  auto pong = free_client.request("GET", "/ping", "", kWait);
  ASSERT_TRUE(pong.ok()) << pong.error();
  EXPECT_EQ(pong->body.rfind("pong from 127.0.0.1:", 0), 0u) << pong->body;
  EXPECT_EQ(s.pings.load(), 3);
}

TEST(HttpClientInterrupt, AlreadyTriggeredFailsTheFirstRequestWithoutSendingIt) {
  ParkingServer s;
  ASSERT_EQ(s.live.start(), "");
  auto interrupt = std::make_shared<Interrupt>();
  interrupt->trigger();
  Client client(s.live.url());
  client.set_interrupt(interrupt);
  EXPECT_EQ(outcome(client.request("POST", "/ping", "{}", kWait)),
            "error: POST " + s.live.url() + "/ping: interrupted");
  // Removing the interrupt makes the client usable again (the 405 proves the server saw it).
  client.set_interrupt(nullptr);
  auto answered = client.request("POST", "/ping", "{}", kWait);
  ASSERT_TRUE(answered.ok()) << answered.error();
  EXPECT_EQ(answered->status, 405);
  EXPECT_EQ(s.pings.load(), 0);
}

TEST(HttpClientInterrupt, UntriggeredInterruptKeepsTheConnectionAlive) {
  ParkingServer s;
  ASSERT_EQ(s.live.start(), "");
  Client client(s.live.url());
  client.set_interrupt(std::make_shared<Interrupt>());
  auto first = client.request("GET", "/ping", "", kWait);
  ASSERT_TRUE(first.ok()) << first.error();
  for (int i = 0; i < 20; ++i) {
    // Same peer port every time: one connection, kept by the Client's multi handle.
    ASSERT_EQ(outcome(client.request("GET", "/ping", "", kWait)), "200 " + first->body) << i;
  }
  EXPECT_EQ(s.pings.load(), 21);
}

TEST(HttpClientInterrupt, TimeoutsStillFailWithCurlsReason) {
  ParkingServer s;
  ASSERT_EQ(s.live.start(), "");
  Client client(s.live.url());
  client.set_interrupt(std::make_shared<Interrupt>());
  auto timed_out = client.request("GET", "/claim", "", std::chrono::milliseconds(200));
  ASSERT_FALSE(timed_out.ok()) << outcome(timed_out);
  EXPECT_EQ(timed_out.error().rfind("GET " + s.live.url() + "/claim: Operation timed out", 0), 0u)
      << timed_out.error();
  // The timed-out connection is dropped; the next request gets a fresh one.
  EXPECT_EQ(outcome(client.request("GET", "/ping", "", kWait)).rfind("200 pong", 0), 0u);
}

}  // namespace
}  // namespace stackrun::http
