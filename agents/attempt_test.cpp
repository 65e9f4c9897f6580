// One job through the agent against fakes: confirm, workspace, steps, logs, heartbeats, report.
#include "agents/attempt.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "agents/agent_test_harness.hpp"
#include "agents/report.hpp"

namespace stackrun::agent {
namespace {

using testing::FakeServer;
using Lease = FakeServer::R<wire::LeaseAnswer>;
using Logs = FakeServer::R<wire::LogAck>;
using Finish = FakeServer::R<wire::FinishAnswer>;

const char* kLockOutput =
    "Acquiring state lock. This may take a few moments...\n"
    "Error: Error acquiring the state lock\n"
    "\n"
    "Error message: Workspace is already locked: default\n"
    "Lock Info:\n"
    "  ID:        1f2e\n"
    "  Path:      infra/app\n"
    "  Operation: OperationTypeApply\n"
    "  Who:       ci@agent-1\n";

// Chunks the fake server stored (every chunk of a batch it answered ok, without duplicates).
std::int64_t stored_chunks(const AgentHarness& h) {
  std::set<std::int64_t> seqs;
  for (const auto& call : h.server.logs())
    if (call.answer == Answer::ok)
      for (const auto& c : call.batch.chunks) seqs.insert(c.seq);
  return static_cast<std::int64_t>(seqs.size());
}

// Runs one offer to its report (or, with `reported` false, until the agent claims again).
void run_one(AgentHarness& h, bool reported = true) {
  h.start();
  if (reported) {
    ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 1; }));
  } else {
    ASSERT_TRUE(h.wait([&] { return h.server.claims().size() == 2 && h.server.parked() == 1; }));
  }
  EXPECT_EQ(h.stop_and_await(), 0);
}

TEST(Attempt, LockOutputIsShippedAndReportedAsLockWithItsInfo) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.processes.push({.output = {kLockOutput}, .exit_code = 1});
  std::size_t starts_at_checkout = 0;
  h.workspaces.on_make([&] { starts_at_checkout = h.server.starts().size(); });
  run_one(h);

  EXPECT_EQ(starts_at_checkout, 1u) << "the offer is confirmed before any checkout";
  ASSERT_EQ(h.server.starts().size(), 1u);
  EXPECT_EQ(h.server.starts()[0], (wire::AttemptRef{11, 2}));
  ASSERT_EQ(h.workspaces.calls().size(), 1u);
  const auto ws = h.workspaces.calls()[0];
  EXPECT_EQ(ws.repo_url, "/srv/infra");
  EXPECT_EQ(ws.commit, h.commit);
  EXPECT_EQ(ws.dest, h.workspace());
  EXPECT_FALSE(std::filesystem::exists(h.workspace())) << "workspace removed after the job";

  const auto calls = h.processes.calls();
  ASSERT_EQ(calls.size(), 1u);
  const proc::Launch& l = calls[0].launch;
  EXPECT_EQ(l.argv, (std::vector<std::string>{"/bin/sh", "-ec", "terragrunt apply"}));
  EXPECT_EQ(l.cwd, h.workspace() + "/stacks/app");
  EXPECT_EQ(env_of(l, "TF_IN_AUTOMATION"), "1") << "the pipeline's env";
  EXPECT_EQ(env_of(l, "BASE"), "1") << "the agent's environment";
  EXPECT_EQ(env_of(l, "CI_COMMIT_SHA"), h.commit);
  EXPECT_EQ(env_of(l, "CI_COMMIT_BRANCH"), "master");
  EXPECT_EQ(env_of(l, "STACKRUN_STACK"), "stacks/app");
  EXPECT_EQ(env_of(l, "STACKRUN_JOB_KIND"), "apply");
  EXPECT_EQ(l.grace, h.options.grace);

  std::string problem;
  const std::string log = h.server.accepted_log(&problem);
  EXPECT_EQ(problem, "");
  EXPECT_EQ(log, "[stackrun] apply stacks/app @ " + h.commit.substr(0, 12) +
                     " step \"apply\"\n$ terragrunt apply\n" + kLockOutput);

  const auto f = h.server.finishes()[0];
  EXPECT_EQ(f.attempt_id, 11);
  EXPECT_EQ(f.epoch, 2);
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_FALSE(f.stopped);
  EXPECT_EQ(f.seq_count, stored_chunks(h));
  EXPECT_FALSE(std::filesystem::exists(h.dir.path() / "attempts" / "11"))
      << "the attempt's directory is removed once reported";
  EXPECT_EQ(f.verdict.cls, core::Class::lock);
  EXPECT_EQ(f.verdict.rule, "builtin.lock.state-lock");
  ASSERT_TRUE(f.verdict.lock.has_value());
  EXPECT_EQ(f.verdict.lock->id, "1f2e");
  EXPECT_EQ(f.verdict.lock->who, "ci@agent-1");
  EXPECT_EQ(f.verdict.lock->operation, "OperationTypeApply");
}

TEST(Attempt, StepsRunInOrderInTheirDirsAndExitZeroIsSuccess) {
  AgentHarness h;
  h.server.push_offer(h.offer(11, R"(version: 1
name: apply
when: [{event: push}]
steps:
  - {name: init, command: terragrunt init, dir: sub}
  - {name: apply, command: terragrunt apply, env: {X: "2"}}
)"));
  h.processes.push({.output = {"initialised\n"}});
  h.processes.push({.output = {"Apply complete!"}});  // no final newline
  run_one(h);
  const auto calls = h.processes.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].launch.cwd, h.workspace() + "/stacks/app/sub");
  EXPECT_EQ(calls[1].launch.argv.back(), "terragrunt apply");
  EXPECT_EQ(env_of(calls[1].launch, "X"), "2");
  EXPECT_EQ(env_of(calls[0].launch, "X"), "");
  const auto f = h.server.finishes()[0];
  EXPECT_EQ(f.verdict.cls, core::Class::success);
  EXPECT_EQ(f.exit_code, 0);
  EXPECT_EQ(h.server.accepted_log(), "[stackrun] apply stacks/app @ " + h.commit.substr(0, 12) +
                                         " step \"init\"\n" + "$ terragrunt init\ninitialised\n" +
                                         "[stackrun] apply stacks/app @ " + h.commit.substr(0, 12) +
                                         " step \"apply\"\n$ terragrunt apply\nApply complete!\n");
}

TEST(Attempt, ShipsOutputWhileTheStepStillRuns) {
  AgentHarness h;
  auto gate = std::make_shared<testing::Gate>();
  h.processes.push({.output = {"early line\n"}, .gate = gate});
  h.server.push_offer(h.offer());
  h.start();
  // Only an agent that ships as output arrives passes this: the step waits for the gate.
  EXPECT_TRUE(
      h.wait([&] { return h.server.accepted_log().find("early line\n") != std::string::npos; }));
  gate->open();
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 1; }));
  EXPECT_EQ(h.stop_and_await(), 0);
}

TEST(Attempt, LogsRetriedWhileUnavailableNothingLostNothingDuplicated) {
  AgentHarness h;
  h.options.timings.log_batch_bytes = 40;  // several batches
  std::vector<std::string> out;
  std::string expected_out;
  for (int i = 0; i < 30; ++i) {
    // Lines split across output chunks.
    const std::string line = "line " + std::to_string(i) + " of the output\n";
    out.push_back(line.substr(0, 7));
    out.push_back(line.substr(7));
    expected_out += line;
  }
  h.processes.push({.output = out});
  h.server.push_logs(Logs::unavailable("connection refused"));
  h.server.push_logs(Logs::unavailable("server answered 503"));
  h.server.push_logs(Logs::of({}));
  h.server.push_logs(Logs::unavailable("server answered 502"));
  h.server.push_offer(h.offer());
  run_one(h);
  std::string problem;
  const std::string log = h.server.accepted_log(&problem);
  EXPECT_EQ(problem, "");
  EXPECT_NE(log.find(expected_out), std::string::npos) << log;
  EXPECT_GE(h.server.logs().size(), 5u);
  EXPECT_EQ(h.server.finishes()[0].seq_count, stored_chunks(h));
  for (const auto& call : h.server.logs())
    for (const auto& c : call.batch.chunks) EXPECT_LE(c.data.size(), 40u);
  EXPECT_TRUE(h.logged("cannot ship log lines of attempt 11"));
}

TEST(Attempt, HeartbeatConflictStopsTheStepAndReportsNothing) {
  AgentHarness h;
  wire::Offer o = h.offer();
  o.lease_ms = 300;  // heartbeat every 100 ms
  h.server.push_offer(o);
  h.server.push_heartbeat(Lease::refused(409, "attempt is no longer running under this epoch"));
  h.processes.push({.until_stopped = true, .output_after_stop = {"Interrupt received.\n"}});
  run_one(h, /*reported=*/false);
  ASSERT_EQ(h.processes.calls().size(), 1u);
  EXPECT_TRUE(h.processes.calls()[0].stopped);
  EXPECT_TRUE(h.server.finishes().empty());
  EXPECT_TRUE(h.logged("fenced by the server (heartbeat answered 409"));
  // The fenced step's last words are still shipped: output is evidence the server keeps.
  bool shipped = false;
  for (const auto& call : h.server.logs())
    for (const auto& c : call.batch.chunks)
      shipped |= c.data.find("Interrupt received.") != std::string::npos;
  EXPECT_TRUE(shipped);
}

TEST(Attempt, CancelStopsTheStepAndReportsStopped) {
  AgentHarness h;
  wire::Offer o = h.offer();
  o.lease_ms = 300;
  h.server.push_offer(o);
  h.server.push_heartbeat(Lease::of({true, 0}));
  h.processes.push({.until_stopped = true});
  run_one(h);
  EXPECT_TRUE(h.processes.calls()[0].stopped);
  const auto f = h.server.finishes()[0];
  EXPECT_TRUE(f.stopped);
  EXPECT_EQ(f.exit_code, 130);
}

TEST(Attempt, CancelledAtStartRunsNoStep) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.server.push_start(Lease::of({true, 0}));
  run_one(h);
  EXPECT_TRUE(h.processes.calls().empty());
  const auto f = h.server.finishes()[0];
  EXPECT_TRUE(f.stopped);
  EXPECT_EQ(f.verdict.rule, "agent.stopped");
}

TEST(Attempt, NoAcceptedHeartbeatForALeaseSelfFences) {
  AgentHarness h;
  wire::Offer o = h.offer();
  o.lease_ms = 300;
  h.server.push_offer(o);
  h.server.set_heartbeat_default(Lease::unavailable("connection refused"));
  h.processes.push({.until_stopped = true});
  run_one(h);
  EXPECT_TRUE(h.processes.calls()[0].stopped);
  EXPECT_GE(h.server.heartbeats().size(), 1u);
  const auto f = h.server.finishes()[0];
  EXPECT_FALSE(f.stopped) << "not a cancel";
  EXPECT_EQ(f.verdict.cls, core::Class::fatal);
  EXPECT_EQ(f.verdict.rule, "agent.self-fenced");
  EXPECT_TRUE(h.logged("no heartbeat accepted for a whole lease"));
}

TEST(Attempt, LogsRefusedFencesTheAttempt) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.server.set_logs_default(Logs::refused(409, "fenced"));
  h.processes.push({.output = {"x\n"}, .until_stopped = true});
  run_one(h, /*reported=*/false);
  EXPECT_TRUE(h.processes.calls()[0].stopped);
  EXPECT_TRUE(h.server.finishes().empty());
}

TEST(Attempt, FinishRetriedThroughUnavailableUntilAccepted) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  for (int i = 0; i < 3; ++i) h.server.push_finish(Finish::unavailable("connection refused"));
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 4; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  const auto f = h.server.finishes();
  for (const auto& r : f) EXPECT_EQ(r, f[0]) << "the same report each time";
  EXPECT_TRUE(h.logged("cannot report attempt 11"));
  EXPECT_TRUE(h.logged("finished attempt 11 (apply stacks/app, run 3, try 1): success"));
}

TEST(Attempt, FinishRefusedIsLoggedAndTheAgentMovesOn) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.server.push_finish(Finish::refused(409, "attempt is no longer running under this epoch"));
  run_one(h, /*reported=*/false);
  EXPECT_EQ(h.server.finishes().size(), 1u);
  EXPECT_TRUE(h.logged("report of attempt 11 (apply stacks/app, run 3, try 1) refused (409)"));
}

// A finish the server refuses for its size is sent again with a smaller verdict (heartbeats go
// on meanwhile): the result is never dropped, and the class is kept at every level.
TEST(Attempt, FinishRefusedForItsSizeIsResentSmallerUntilAccepted) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.processes.push({.output = {kLockOutput}, .exit_code = 1});
  h.server.push_finish(Finish::refused(413, "request body larger than 262144 bytes"));
  h.server.push_finish(Finish::refused(400, "finish: field \"verdict.line\": too long"));
  h.start();
  ASSERT_TRUE(h.wait([&] { return h.server.finishes().size() == 3; }));
  EXPECT_EQ(h.stop_and_await(), 0);
  const auto f = h.server.finishes();
  ASSERT_EQ(f.size(), 3u);
  for (const auto& r : f) EXPECT_EQ(r.verdict.cls, core::Class::lock);
  EXPECT_TRUE(f[0].verdict.lock.has_value());
  EXPECT_TRUE(f[1].verdict.lock.has_value());  // level 1: fields cut, kept
  EXPECT_FALSE(f[2].verdict.lock.has_value());
  EXPECT_EQ(f[2].verdict.line,
            "[stackrun] the deciding line was dropped: the server refused the report with it");
  EXPECT_TRUE(h.logged("sending it with a smaller verdict"));
  EXPECT_TRUE(h.logged("(verdict cut to fit the server)"));
}

TEST(CompactVerdict, CutsEachStringAndKeepsTheClass) {
  core::Verdict v{core::Class::fatal, std::string(5000, 'r'), std::string(300'000, 'x'), 7, {}, {}};
  v.lock = core::LockInfo{};
  v.lock->id = std::string(10'000, 'i');
  v.lock->who = "me@host";
  EXPECT_EQ(compact_verdict(v, 0), v);
  const core::Verdict one = compact_verdict(v, 1);
  EXPECT_EQ(one.cls, core::Class::fatal);
  EXPECT_LE(one.line.size(), 1024u + 64);
  EXPECT_LE(one.rule.size(), 256u + 64);
  ASSERT_TRUE(one.lock);
  EXPECT_LE(one.lock->id.size(), 256u + 64);
  EXPECT_EQ(one.lock->who, "me@host");
  const core::Verdict two = compact_verdict(v, 2);
  EXPECT_EQ(two.cls, core::Class::fatal);
  EXPECT_FALSE(two.lock);
}

TEST(Attempt, CheckoutFailureIsTransientAndRunsNoStep) {
  AgentHarness h;
  h.server.push_offer(h.offer());
  h.workspaces.fail_with("/srv/infra: commit abc is on no branch");
  run_one(h);
  EXPECT_TRUE(h.processes.calls().empty());
  const auto f = h.server.finishes()[0];
  EXPECT_EQ(f.verdict.cls, core::Class::transient);
  EXPECT_EQ(f.verdict.rule, "agent.checkout");
  EXPECT_NE(h.server.accepted_log().find("checkout failed: /srv/infra: commit abc"),
            std::string::npos);
}

}  // namespace
}  // namespace stackrun::agent
