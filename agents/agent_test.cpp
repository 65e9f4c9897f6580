// The slot loop against fakes: claiming, confirming offers, stopping, refusals.
#include "agents/agent.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "agents/agent_test_harness.hpp"

namespace stackrun::agent {
namespace {

using testing::FakeServer;
using Offer = FakeServer::R<wire::Offer>;
using Lease = FakeServer::R<wire::LeaseAnswer>;

TEST(Agent, DefaultClaimWaitIsFiftySeconds) {
  EXPECT_EQ(AgentOptions{}.claim_wait_ms, 50'000);
}

TEST(Agent, StopWhileParkedInClaimReturnsAtOnceWithoutClaimingAgain) {
  AgentHarness h;
  h.options.labels = "zone=a";
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.parked() == 1; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  ASSERT_EQ(h.server.claims().size(), 1u) << "no claim after the stop";
  EXPECT_EQ(h.server.interrupted(), 1) << "the parked claim was interrupted, not waited out";
  EXPECT_EQ(h.server.claims()[0], (wire::ClaimRequest{50'000, "zone=a"}));
}

TEST(Agent, StoppedBeforeStartingClaimsNothing) {
  AgentHarness h;
  h.options.capacity = 3;
  h.stop.request_stop();
  h.start();
  EXPECT_EQ(h.await(), 0);
  EXPECT_TRUE(h.server.claims().empty());
}

TEST(Agent, StopWithOneSlotRunningLetsTheJobFinishAndReportThenReturns) {
  AgentHarness h;
  h.options.capacity = 2;
  auto gate = std::make_shared<testing::Gate>();
  h.processes.push({.output = {"working\n"}, .gate = gate});
  h.server.push_offer(h.offer());
  h.start();
  // One slot runs the step (held by the gate), the other is parked in a claim.
  ASSERT_TRUE(h.processes.wait_for_calls(1, kWait));
  ASSERT_TRUE(h.wait([&] { return h.server.parked() == 1; }));
  h.stop.request_stop();
  ASSERT_TRUE(h.wait([&] { return h.server.interrupted() == 1; }));
  EXPECT_FALSE(h.returned()) << "the running job is still held by the gate";
  gate->open();
  EXPECT_EQ(h.await(), 0);
  EXPECT_EQ(h.server.claims().size(), 2u) << "the idle slot made no claim after the stop";
  ASSERT_EQ(h.server.finishes().size(), 1u) << "the running job was reported";
  EXPECT_EQ(h.server.finishes()[0].verdict.cls, core::Class::success);
  EXPECT_FALSE(h.server.finishes()[0].claim_labels) << "a stopping agent claims nothing more";
  EXPECT_EQ(h.server.routes().back(), "finish") << "nothing after the report";
}

// The report claims the slot's next job (with the agent's labels); the offer it brings back is
// taken at once, without a claim of its own.
TEST(Agent, AnOfferThatComesWithTheReportRunsWithoutAClaim) {
  AgentHarness h;
  h.options.labels = "zone=a";
  h.server.push_offer(h.offer(11));
  h.server.push_finish(FakeServer::R<wire::FinishAnswer>::of({false, h.offer(12)}));
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 2 && h.server.parked() == 1; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  EXPECT_EQ(h.server.claims().size(), 2u) << "one before attempt 11, one parked after 12";
  const auto starts = h.server.starts();
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[1].attempt_id, 12);
  const auto fin = h.server.finishes();
  EXPECT_EQ(fin[0].attempt_id, 11);
  EXPECT_EQ(fin[0].claim_labels, std::optional<std::string>("zone=a"));
  EXPECT_EQ(fin[1].attempt_id, 12);
  EXPECT_EQ(fin[1].claim_labels, std::optional<std::string>("zone=a"));
  std::vector<std::string> slot_routes;  // the slot thread's; logs and heartbeats have their own
  for (const auto& r : h.server.routes())
    if (r == "claim" || r == "start" || r == "finish") slot_routes.push_back(r);
  EXPECT_EQ(slot_routes,
            (std::vector<std::string>{"claim", "start", "finish", "start", "finish", "claim"}))
      << "no claim between the two jobs";
}

TEST(Agent, StartRefusedRunsNothingAndClaimsAgain) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.server.push_start(Lease::refused(409, "attempt is no longer running under this epoch"));
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.claims().size() == 2 && h.server.parked() == 1; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  EXPECT_TRUE(h.workspaces.calls().empty());
  EXPECT_TRUE(h.processes.calls().empty());
  EXPECT_TRUE(h.server.heartbeats().empty());
  EXPECT_TRUE(h.server.logs().empty());
  EXPECT_TRUE(h.server.finishes().empty());
  EXPECT_TRUE(h.logged("offer of attempt 11 (apply stacks/app, run 3, try 1) withdrawn (409"));
}

TEST(Agent, StartRetriedThroughUnavailableWhileTheOfferIsValid) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.server.push_start(Lease::unavailable("connection refused"));
  h.server.push_start(Lease::unavailable("server answered 503"));
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 1; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  EXPECT_EQ(h.server.starts().size(), 3u);
  EXPECT_EQ(h.processes.calls().size(), 1u);
}

TEST(Agent, StartGivesUpOnlyAfterALeaseWithoutAnAnswer) {
  AgentHarness h;
  wire::Offer o = h.offer();
  o.offer_ms = 30;
  o.lease_ms = 60;  // the start may have landed: the agent asks for a lease, not an offer
  h.server.push_offer(o);
  h.server.set_start_default(Lease::unavailable("server answered 503"));
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.claims().size() == 2; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  EXPECT_GE(h.server.starts().size(), 1u);
  EXPECT_TRUE(h.workspaces.calls().empty());
  EXPECT_TRUE(h.processes.calls().empty());
  EXPECT_TRUE(h.logged("within a lease"));
}

TEST(Agent, ProtocolMismatchOnClaimEndsTheAgentAndLogsTheServersText) {
  AgentHarness h;
  h.options.capacity = 2;
  const std::string text =
      "agent speaks protocol 1, this server speaks protocol 3; run the same stackrun version on "
      "agents and server";
  h.server.push_claim(Offer::refused(400, text));
  h.start();  // no stop: the refusal alone must end it
  EXPECT_EQ(h.await(), kExitRefused);
  EXPECT_TRUE(h.logged(text));
  EXPECT_LE(h.server.claims().size(), 2u) << "nothing claimed after the refusal";
}

TEST(Agent, ProtocolMismatchOnStartEndsTheAgent) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.server.push_start(Lease::refused(400, "missing Stackrun-Protocol header"));
  h.start();
  EXPECT_EQ(h.await(), kExitRefused);
  EXPECT_TRUE(h.logged("missing Stackrun-Protocol header"));
  EXPECT_TRUE(h.processes.calls().empty());
}

TEST(Agent, TokenRefusedEndsTheAgent) {
  AgentHarness h;
  h.server.push_claim(Offer::refused(401, "missing or unknown agent token"));
  h.start();
  EXPECT_EQ(h.await(), kExitRefused);
  EXPECT_TRUE(h.logged("refused this agent's token (401): missing or unknown agent token"));
  EXPECT_EQ(h.server.claims().size(), 1u);
}

TEST(Agent, ClaimRetriedWhileTheServerIsUnavailable) {
  AgentHarness h;
  h.server.push_claim(Offer::unavailable("connection refused"));
  h.server.push_claim(Offer::unavailable("server answered 503"));
  h.server.push_claim(Offer::nothing());
  h.server.push_offer(h.offer());
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 1 && h.server.parked() == 1; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  EXPECT_EQ(h.server.claims().size(), 5u);  // 2 failed, 1 empty, 1 offer, 1 parked
  EXPECT_TRUE(h.logged("cannot claim (connection refused); retrying"));
  EXPECT_TRUE(h.logged("server reachable again"));
}

TEST(Agent, EachThreadGetsItsOwnLink) {
  AgentHarness h;
  h.options.capacity = 2;
  h.server.push_offer(h.offer(11));
  h.server.push_offer(h.offer(12));
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 2; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  EXPECT_EQ(h.server.links_made(), 6);  // per slot: claims/reports, logs, heartbeats
  EXPECT_EQ(h.server.concurrent_uses(), 0);
}

// Once no slot has had a job for idle_release, the agent gives back what it keeps for the next
// job (the workspace maker's idle()), once per idle spell: an idle agent does not keep waking.
TEST(Agent, GivesBackWhatItKeepsOncePerIdleSpell) {
  AgentHarness h;
  h.options.timings.idle_release = std::chrono::milliseconds(20);
  const auto idles_reach = [&](int n) {
    for (int i = 0; i < 1000 && h.workspaces.idles() < n; ++i)  // bounded: 10 s
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return h.workspaces.idles() >= n;
  };
  h.server.push_offer(h.offer(11));
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 1 && h.server.parked() == 1; }));
  ASSERT_TRUE(idles_reach(1));
  const int after_first = h.workspaces.idles();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // 15 idle_release periods
  EXPECT_EQ(h.workspaces.idles(), after_first) << "released again in the same idle spell";

  h.server.push_offer(h.offer(12));
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 2 && h.server.parked() == 1; }));
  ASSERT_TRUE(idles_reach(after_first + 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(h.workspaces.idles(), after_first + 1);
  EXPECT_EQ(h.stop_and_await(), 0);
}

}  // namespace
}  // namespace stackrun::agent
