// HttpServerLink over loopback against a real http::Server playing the agent routes: the
// headers every request carries, how answers sort into ok / none / refused / unavailable, and a
// parked claim cut short by its stop token. Every wait is bounded by kWait; none asserts time.
#include "agents/http_server_link.hpp"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>
#include <vector>

#include "runner/http/http_test_support.hpp"

namespace stackrun::agent {
namespace {

using namespace http::test_support;

http::Response json(int status, std::string body) {
  return http::Response{status, "application/json", std::move(body), {}};
}

// Answers each route with the next scripted response (404 when none), records the headers,
// and parks /claim when its script is empty.
struct AgentRoutes {
  AgentRoutes() {
    for (const char* route : {"claim", "start", "heartbeat", "logs", "finish"}) {
      live.server.route(
          "POST", std::string("/api/v1/agent/") + route,
          [this, r = std::string(route)](const http::Request& req, http::Reply reply) {
            std::lock_guard lk(mu);
            seen.push_back(
                {r, req.header("stackrun-protocol"), req.header("authorization"), req.body});
            auto& q = script[r];
            if (q.empty() && r == "claim") {
              parked.push_back(std::move(reply));
              return;
            }
            if (q.empty()) return reply(json(404, R"({"error":"no script"})"));
            reply(q.front());
            q.erase(q.begin());
          });
    }
  }
  void push(const std::string& route, http::Response r) {
    std::lock_guard lk(mu);
    script[route].push_back(std::move(r));
  }
  std::size_t parked_count() {
    std::lock_guard lk(mu);
    return parked.size();
  }

  struct Seen {
    std::string route, protocol, authorization, body;
  };
  std::mutex mu;
  std::map<std::string, std::vector<http::Response>> script;
  std::vector<Seen> seen;
  std::vector<http::Reply> parked;  // before `live`: the server goes first
  LiveServer live;
};

TEST(HttpServerLink, SendsTheProtocolHeaderAndTokenAndDecodesOffers) {
  AgentRoutes s;
  ASSERT_EQ(s.live.start(), "");
  wire::Offer offer;
  offer.attempt_id = 7;
  offer.epoch = 3;
  offer.stack = "stacks/app";
  offer.kind = core::JobKind::plan;
  s.push("claim", json(200, wire::encode(offer)));
  s.push("claim", http::Response{204, "", "", {}});
  HttpServerLink link(s.live.url(), "tok");
  std::stop_source stop;
  auto got = link.claim({1'000, "zone=a"}, stop.get_token());
  ASSERT_EQ(got.answer, Answer::ok) << got.text;
  EXPECT_EQ(got.value, offer);
  EXPECT_EQ(link.claim({1'000, ""}, stop.get_token()).answer, Answer::none);
  std::lock_guard lk(s.mu);
  ASSERT_EQ(s.seen.size(), 2u);
  EXPECT_EQ(s.seen[0].protocol, std::to_string(wire::kProtocolVersion));
  EXPECT_EQ(s.seen[0].authorization, "Bearer tok");
  EXPECT_EQ(wire::decode_claim_request(s.seen[0].body)->labels, "zone=a");
}

TEST(HttpServerLink, SortsAnswersIntoRefusedAndUnavailable) {
  AgentRoutes s;
  ASSERT_EQ(s.live.start(), "");
  s.push("start", json(409, R"({"error":"attempt is no longer running under this epoch"})"));
  s.push("heartbeat", json(503, R"({"error":"database is locked"})"));
  s.push("logs", json(200, "not json"));
  s.push("finish", json(200, wire::encode(wire::FinishAnswer{true, {}})));
  HttpServerLink link(s.live.url(), "tok");
  const auto start = link.start({7, 3});
  EXPECT_EQ(start.answer, Answer::refused);
  EXPECT_EQ(start.status, 409);
  EXPECT_EQ(start.text, "attempt is no longer running under this epoch");
  const auto beat = link.heartbeat({7, 3});
  EXPECT_EQ(beat.answer, Answer::unavailable);
  EXPECT_EQ(beat.status, 503);
  EXPECT_NE(beat.text.find("database is locked"), std::string::npos) << beat.text;
  const auto logs = link.logs({7, 3, {{0, "x\n"}}});
  EXPECT_EQ(logs.answer, Answer::unavailable);
  EXPECT_NE(logs.text.find("unreadable answer to /api/v1/agent/logs"), std::string::npos);
  const auto finish = link.finish({7, 3, 0, false, 1, {}, {}, {}});
  ASSERT_EQ(finish.answer, Answer::ok);
  EXPECT_TRUE(finish.value.idempotent);
}

TEST(HttpServerLink, TransportErrorIsUnavailable) {
  HttpServerLink link("http://127.0.0.1:1", "tok");
  const auto r = link.start({1, 1});
  EXPECT_EQ(r.answer, Answer::unavailable);
  EXPECT_EQ(r.status, 0);
}

TEST(HttpServerLink, StopInterruptsAParkedClaimOnlyAndAtOnce) {
  AgentRoutes s;
  ASSERT_EQ(s.live.start(), "");
  s.push("start", json(200, wire::encode(wire::LeaseAnswer{false, 1})));
  HttpServerLink link(s.live.url(), "tok");
  std::stop_source stop;
  // Long enough that only the stop can end it within kWait: that is the hang check.
  auto claim = std::async(std::launch::async, [&] {
    return link.claim({30'000, ""}, stop.get_token());
  });
  ASSERT_TRUE(wait_until([&] { return s.parked_count() == 1; })) << "the claim never arrived";
  stop.request_stop();
  ASSERT_EQ(claim.wait_for(kWait), std::future_status::ready);
  const auto r = claim.get();
  EXPECT_EQ(r.answer, Answer::unavailable);
  EXPECT_TRUE(r.text.ends_with("interrupted")) << r.text;
  // The stop cut that claim short, not the link: other requests still go through.
  EXPECT_EQ(link.start({7, 3}).answer, Answer::ok);
  // And a claim made after the stop fails at once.
  EXPECT_EQ(link.claim({30'000, ""}, stop.get_token()).answer, Answer::unavailable);
  EXPECT_EQ(s.parked_count(), 1u);
}

}  // namespace
}  // namespace stackrun::agent
