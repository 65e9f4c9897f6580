// The coordinator over a real SQLite file with an injected clock: offers and their expiry,
// lease expiry, the restart grace, fencing, and which outcomes move a stack's applied commit.
// (End-to-end tests cover the same paths with real processes, but cannot hit these timing
// windows deterministically.)
#include "runner/server/coordinator.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "runner/core/classify.hpp"
#include "runner/server/tokens.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

using core::AttemptStatus;
using core::JobStatus;

struct Fixture {
  testing::TempDir dir{"stackrun-coord"};
  store::Store st{(dir.path() / "db.sqlite").string()};
  Millis now = 1'000'000;
  store::AgentRow agent;
  Id repo = 0;

  Fixture() {
    auto tx = st.begin();
    repo = st.upsert_repo("infra", "/nonexistent", "master", now);
    agent.id = st.create_agent("a1", "hash-a1", "", 1, now);
    agent.name = "a1";
    tx.commit();
  }

  Coordinator make(Millis lease_ms, Millis offer_ms = 500) {
    return Coordinator(
        st, {lease_ms, offer_ms}, [this] { return now; }, [] { return 0.5; });
  }

  // A push run of `kind` on the fixture's repo, without jobs yet.
  store::NewRun new_run(core::JobKind kind = core::JobKind::apply) const {
    store::NewRun r;
    r.repo_id = repo;
    r.pipeline = "p";
    r.pipeline_file = ".stackrun/p.yml";
    r.kind = kind;
    r.event = "push";
    r.commit_sha = std::string(40, 'a');
    return r;
  }

  // A run of `kind` with one job on stack "stacks/a", created through the coordinator.
  Id add_job(Coordinator& c, core::JobKind kind) {
    store::NewRun r = new_run(kind);
    r.policy.lock.wait = core::Duration(0);  // a lock skips at once
    store::NewJob j;
    j.stack = "stacks/a";
    j.label = "a";
    j.tier = "all";
    j.kind = kind;
    r.jobs.push_back(j);
    const Id run = c.create_runs({r}).front();
    return st.jobs_of_run(run).front().id;
  }

  // Claims and confirms the only job; returns the attempt.
  store::AttemptRow run_one(Coordinator& c) {
    auto claimed = c.claim(agent);
    EXPECT_TRUE(claimed);
    EXPECT_EQ(c.start(agent, claimed->attempt.id, claimed->attempt.epoch).outcome, Outcome::ok);
    return *st.attempt(claimed->attempt.id);
  }

  FinishReport report(const store::AttemptRow& a, core::Class cls) {
    FinishReport r;
    r.attempt_id = a.id;
    r.epoch = a.epoch;
    r.facts.exit_code = cls == core::Class::success ? 0 : 1;
    r.facts.verdict.cls = cls;
    r.facts.verdict.rule = "r";
    return r;
  }
};

TEST(Coordinator, CreatingARunReleasesItsJobAndSignalsWaiters) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::apply);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::queued);
  const Changes ch = c.take_changes();
  EXPECT_TRUE(ch.claims);
  EXPECT_EQ(ch.log_runs.size(), 1u);
  EXPECT_FALSE(c.take_changes().claims);  // taken
}

TEST(Coordinator, AClaimIsAnOfferUntilTheAgentConfirms) {
  Fixture f;
  auto c = f.make(1000, 500);
  const Id job = f.add_job(c, core::JobKind::apply);
  auto claimed = c.claim(f.agent);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->attempt.status, AttemptStatus::offered);
  EXPECT_EQ(claimed->attempt.lease_expires_at, f.now + 500);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::running);  // nobody else gets the stack
  EXPECT_FALSE(c.claim(f.agent));
  EXPECT_EQ(f.st.run(f.st.job(job)->run_id)->status, core::RunStatus::queued);  // nothing ran yet
  const auto r = c.start(f.agent, claimed->attempt.id, claimed->attempt.epoch);
  EXPECT_EQ(r.outcome, Outcome::ok);
  EXPECT_EQ(r.lease_expires_at, f.now + 1000);
  EXPECT_EQ(f.st.attempt(claimed->attempt.id)->status, AttemptStatus::running);
  EXPECT_EQ(f.st.run(f.st.job(job)->run_id)->status, core::RunStatus::running);
  // A retried start (its answer was lost) is answered again, not refused.
  EXPECT_EQ(c.start(f.agent, claimed->attempt.id, claimed->attempt.epoch).outcome,
            Outcome::idempotent);
}

TEST(Coordinator, AnUnconfirmedOfferOfAnApplyReturnsToTheQueue) {
  Fixture f;
  auto c = f.make(1000, 500);
  const Id job = f.add_job(c, core::JobKind::apply);
  auto claimed = c.claim(f.agent);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(c.next_deadline(), f.now + 500);
  f.now += 500;
  EXPECT_EQ(c.reap(), 0);
  f.now += 1;
  c.take_changes();
  EXPECT_EQ(c.reap(), 1);
  EXPECT_TRUE(c.take_changes().claims);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::queued);
  EXPECT_TRUE(f.st.attempts_of_job(job).empty());  // nothing ran: no attempt is left behind
  // The late agent cannot start it any more; the next claim gets it under a new epoch.
  EXPECT_EQ(c.start(f.agent, claimed->attempt.id, claimed->attempt.epoch).outcome,
            Outcome::not_found);
  auto again = c.claim(f.agent);
  ASSERT_TRUE(again);
  EXPECT_GT(again->attempt.epoch, claimed->attempt.epoch);
  EXPECT_EQ(again->attempt.n, 1);
}

TEST(Coordinator, LostApplyIsInterruptedAfterTheLease) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::apply);
  f.run_one(c);
  f.now += 1000;
  EXPECT_EQ(c.reap(), 0);
  f.now += 1;
  EXPECT_EQ(c.reap(), 1);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::interrupted);
  EXPECT_EQ(f.st.attempts_of_job(job).front().status, AttemptStatus::interrupted);
  EXPECT_TRUE(f.st.applied_commits(f.repo).empty());
}

TEST(Coordinator, LostPlanIsRequeued) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::plan);
  f.run_one(c);
  f.now += 5000;
  EXPECT_EQ(c.reap(), 1);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::queued);
  EXPECT_EQ(f.st.attempts_of_job(job).front().status, AttemptStatus::lost);
}

TEST(Coordinator, RestartGivesAgentsOneLeaseToReconnect) {
  // The server was down longer than the lease: without the startup grace the first reap
  // after the restart would interrupt an apply whose agent is alive and about to heartbeat.
  Fixture f;
  Id job = 0;
  {
    auto before_crash = f.make(1000);
    job = f.add_job(before_crash, core::JobKind::apply);
    f.run_one(before_crash);
  }
  f.now += 10'000;  // downtime
  auto restarted = f.make(1000);
  restarted.on_startup();
  EXPECT_EQ(restarted.reap(), 0);
  const auto att = f.st.attempts_of_job(job).front();
  EXPECT_EQ(restarted.heartbeat(f.agent, att.id, att.epoch).outcome, Outcome::ok);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::running);
  // Without heartbeats the grace runs out like any lease.
  f.now += 1001;
  EXPECT_EQ(restarted.reap(), 1);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::interrupted);
}

TEST(Coordinator, HeartbeatUnderAStaleEpochOrFromAnotherAgentIsRefused) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::plan);
  const auto att = f.run_one(c);
  EXPECT_EQ(c.heartbeat(f.agent, att.id, att.epoch + 1).outcome, Outcome::stale);
  store::AgentRow other{f.agent.id + 100, "other", "", 1};
  EXPECT_EQ(c.heartbeat(other, att.id, att.epoch).outcome, Outcome::forbidden);
  EXPECT_EQ(c.finish(other, f.report(att, core::Class::success)), Outcome::forbidden);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::running);
}

TEST(Coordinator, AnOfferIsNotHeartbeatedBeforeItStarts) {
  Fixture f;
  auto c = f.make(1000);
  f.add_job(c, core::JobKind::apply);
  auto claimed = c.claim(f.agent);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(c.heartbeat(f.agent, claimed->attempt.id, claimed->attempt.epoch).outcome,
            Outcome::stale);
}

TEST(Coordinator, OnlyASuccessfulApplyMovesTheAppliedCommit) {
  struct Case {
    const char* name;
    core::Class cls;
    bool applied;
    JobStatus status;
  };
  const std::vector<Case> cases = {
      {"success", core::Class::success, true, JobStatus::success},
      {"fatal", core::Class::fatal, false, JobStatus::failed},
      {"lock, skipped", core::Class::lock, false, JobStatus::skipped},
  };
  for (const auto& k : cases) {
    Fixture f;
    auto c = f.make(1000);
    const Id job = f.add_job(c, core::JobKind::apply);
    const auto att = f.run_one(c);
    EXPECT_EQ(c.finish(f.agent, f.report(att, k.cls)), Outcome::ok) << k.name;
    EXPECT_EQ(f.st.job(job)->status, k.status) << k.name;
    EXPECT_EQ(f.st.applied_commits(f.repo).count("stacks/a"), k.applied ? 1u : 0u) << k.name;
    // A repeated report is answered, and changes nothing.
    EXPECT_EQ(c.finish(f.agent, f.report(att, core::Class::success)), Outcome::idempotent)
        << k.name;
    EXPECT_EQ(f.st.job(job)->status, k.status) << k.name;
  }
}

TEST(Coordinator, CancelWithdrawsOffersAndACancelledJobLeavesTheStackAlone) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::apply);
  auto claimed = c.claim(f.agent);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(c.cancel(claimed->run.id, core::CancelLevel::graceful), Outcome::ok);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::cancelled);
  EXPECT_EQ(c.start(f.agent, claimed->attempt.id, claimed->attempt.epoch).outcome,
            Outcome::not_found);
  EXPECT_EQ(f.st.run(claimed->run.id)->status, core::RunStatus::cancelled);
  EXPECT_TRUE(f.st.applied_commits(f.repo).empty());
  EXPECT_EQ(c.cancel(claimed->run.id, core::CancelLevel::force), Outcome::idempotent);
}

TEST(Coordinator, ForceCancelReachesTheRunningStepThroughTheHeartbeat) {
  Fixture f;
  auto c = f.make(1000);
  f.add_job(c, core::JobKind::apply);
  const auto att = f.run_one(c);
  EXPECT_FALSE(c.heartbeat(f.agent, att.id, att.epoch).cancel);
  const Id run = f.st.job(att.job_id)->run_id;
  c.cancel(run, core::CancelLevel::graceful);
  EXPECT_FALSE(c.heartbeat(f.agent, att.id, att.epoch).cancel);
  c.cancel(run, core::CancelLevel::force);
  EXPECT_TRUE(c.heartbeat(f.agent, att.id, att.epoch).cancel);
}

TEST(Coordinator, ARetryIsADeadline) {
  Fixture f;
  auto c = f.make(60'000);
  const Id job = f.add_job(c, core::JobKind::apply);
  const auto att = f.run_one(c);
  EXPECT_EQ(c.finish(f.agent, f.report(att, core::Class::transient)), Outcome::ok);
  const auto j = f.st.job(job);
  EXPECT_EQ(j->status, JobStatus::queued);
  EXPECT_GT(j->not_before, f.now);
  EXPECT_EQ(c.next_deadline(), j->not_before);  // the server wakes for it; nothing polls
  EXPECT_FALSE(c.claim(f.agent));
  f.now = j->not_before;
  EXPECT_TRUE(c.claim(f.agent));
}

TEST(Coordinator, ATriggersRunsAreCreatedAllOrNone) {
  Fixture f;
  auto c = f.make(1000);
  const store::NewRun good = f.new_run();
  store::NewRun bad = good;
  bad.repo_id = f.repo + 999;  // no such repo: the second insert fails
  EXPECT_THROW(c.create_runs({good, bad}), store::DbError);
  EXPECT_TRUE(f.st.recent_runs(10).empty()) << "the first run of the trigger was kept";
}

TEST(Coordinator, AStartupGraceThatCouldNotBeWrittenIsGivenByTheFirstReap) {
  Fixture f;
  {
    auto before_crash = f.make(1000);
    f.add_job(before_crash, core::JobKind::apply);
    f.run_one(before_crash);
  }
  f.now += 10'000;  // downtime longer than the lease
  store::Store busy_store((f.dir.path() / "db.sqlite").string(),
                          {.read_only = false, .busy_timeout_ms = 50});
  Coordinator restarted(
      busy_store, {1000, 500}, [&f] { return f.now; }, [] { return 0.5; });
  {
    store::Store holder((f.dir.path() / "db.sqlite").string());
    auto lock = holder.begin();  // another process holds the write lock during start-up
    EXPECT_THROW(restarted.on_startup(), store::DbError);
  }
  EXPECT_EQ(restarted.reap(), 0) << "the apply was interrupted although its agent had a grace";
  f.now += 1001;
  EXPECT_EQ(restarted.reap(), 1);  // the grace runs out like any lease
}

// A lost plan is requeued, but not forever: the third loss fails it with its reason.
TEST(Coordinator, APlanWhoseAgentKeepsDyingFailsAfterABoundedNumberOfLosses) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::plan);
  for (int lost = 1; lost <= core::kMaxLostPlanAttempts; ++lost) {
    ASSERT_EQ(f.st.job(job)->status, JobStatus::queued) << lost;
    f.run_one(c);
    f.now += 1001;
    ASSERT_EQ(c.reap(), 1) << lost;
  }
  const auto j = f.st.job(job);
  EXPECT_EQ(j->status, JobStatus::failed);
  EXPECT_NE(j->result_reason.find("its agent was lost 3 times, not requeued again"),
            std::string::npos)
      << j->result_reason;
  EXPECT_EQ(f.st.attempts_of_job(job).size(), 3u);
  EXPECT_EQ(f.st.run(j->run_id)->status, core::RunStatus::failed);
  EXPECT_FALSE(c.claim(f.agent));
}

// The job's log as "stream:data", after its attempt's "--- ... started" line.
std::vector<std::string> stored_output(store::Store& st, Id run) {
  std::vector<std::string> out;
  for (const auto& c : st.chunks_after(run, 0, "a", 10'000, 1 << 30).chunks)
    if (!c.data.starts_with("--- ")) out.push_back(c.stream + ":" + c.data);
  return out;
}

// Output is evidence while the attempt is current; once it is over (or claimed again under a
// newer epoch) its agent's late chunks are refused and nothing is stored.
TEST(Coordinator, LogsAreRefusedOnceTheAttemptIsNoLongerCurrent) {
  struct Case {
    const char* name;
    std::function<void(Fixture&, Coordinator&, const store::AttemptRow&)> end;
    core::JobKind kind;
  };
  const Case cases[] = {
      {"finished",
       [](Fixture& f, Coordinator& c, const store::AttemptRow& a) {
         ASSERT_EQ(c.finish(f.agent, f.report(a, core::Class::success)), Outcome::ok);
       },
       core::JobKind::apply},
      {"interrupted",
       [](Fixture& f, Coordinator& c, const store::AttemptRow&) {
         f.now += 1001;
         ASSERT_EQ(c.reap(), 1);
       },
       core::JobKind::apply},
      {"lost",
       [](Fixture& f, Coordinator& c, const store::AttemptRow&) {
         f.now += 1001;
         ASSERT_EQ(c.reap(), 1);
       },
       core::JobKind::plan},
  };
  for (const auto& k : cases) {
    Fixture f;
    auto c = f.make(1000);
    f.add_job(c, k.kind);
    const auto att = f.run_one(c);
    const Id run = f.st.job(att.job_id)->run_id;
    EXPECT_EQ(c.append_logs(f.agent, att.id, att.epoch, {{0, "during\n"}}), Outcome::ok) << k.name;
    EXPECT_EQ(c.append_logs(f.agent, att.id, att.epoch + 1, {{1, "stale epoch\n"}}), Outcome::stale)
        << k.name;
    k.end(f, c, att);
    EXPECT_NE(f.st.attempt(att.id)->status, core::AttemptStatus::running) << k.name;
    EXPECT_EQ(c.append_logs(f.agent, att.id, att.epoch, {{2, "after\n"}}), Outcome::stale)
        << k.name;
    store::AgentRow other{f.agent.id + 100, "other", "", 1};
    EXPECT_EQ(c.append_logs(other, att.id, att.epoch, {{3, "forged\n"}}), Outcome::forbidden)
        << k.name;
    std::vector<std::string> out;
    for (const auto& line : stored_output(f.st, run))
      if (line.starts_with("out:")) out.push_back(line);
    EXPECT_EQ(out, std::vector<std::string>{"out:during\n"}) << k.name;
  }
}

TEST(Coordinator, OutputPastTheServersCapIsDroppedWithOneLineSayingSo) {
  Fixture f;
  auto c = Coordinator(
      f.st, {1000, 500, 25}, [&f] { return f.now; }, [] { return 0.5; });
  f.add_job(c, core::JobKind::apply);
  const auto att = f.run_one(c);
  const Id run = f.st.job(att.job_id)->run_id;
  EXPECT_EQ(c.append_logs(f.agent, att.id, att.epoch, {{0, "0123456789\n"}, {1, "abcdefghi\n"}}),
            Outcome::ok);
  c.take_changes();
  // 21 bytes stored; the next 10 would pass 25: dropped, and so is everything after it, even a
  // chunk that would fit (the stored log has no holes).
  EXPECT_EQ(c.append_logs(f.agent, att.id, att.epoch, {{2, "ABCDEFGHI\n"}, {3, "x\n"}}),
            Outcome::ok);
  EXPECT_EQ(c.take_changes().log_runs.count(run), 1u);  // followers see the truncation line
  EXPECT_EQ(c.append_logs(f.agent, att.id, att.epoch, {{4, "more\n"}}), Outcome::ok);
  EXPECT_EQ(c.append_logs(f.agent, att.id, att.epoch, {{0, "0123456789\n"}}), Outcome::ok);
  const std::vector<std::string> want = {
      "out:0123456789\n", "out:abcdefghi\n",
      "sys:output truncated by the server after 21 bytes; the rest of this attempt's output is "
      "not stored\n"};
  EXPECT_EQ(stored_output(f.st, run), want);
  EXPECT_EQ(f.st.attempt(att.id)->out_bytes, 21);
}

TEST(Coordinator, AResentChunkAtTheCapIsNotATruncation) {
  Fixture f;
  auto c = Coordinator(
      f.st, {1000, 500, 20}, [&f] { return f.now; }, [] { return 0.5; });
  f.add_job(c, core::JobKind::apply);
  const auto att = f.run_one(c);
  const Id run = f.st.job(att.job_id)->run_id;
  ASSERT_EQ(c.append_logs(f.agent, att.id, att.epoch, {{0, "0123456789\n"}}), Outcome::ok);
  // seq 0 again (its answer was lost): 11 + 11 > 20, but it is stored already.
  ASSERT_EQ(c.append_logs(f.agent, att.id, att.epoch, {{0, "0123456789\n"}, {1, "fits\n"}}),
            Outcome::ok);
  EXPECT_EQ(stored_output(f.st, run), (std::vector<std::string>{"out:0123456789\n", "out:fits\n"}));
}

// An agent may be old or hostile: whatever verdict it sends, what is stored is bounded.
TEST(Coordinator, AReportedVerdictIsCappedBeforeItIsStored) {
  Fixture f;
  auto c = f.make(1000);
  f.add_job(c, core::JobKind::apply);
  const auto att = f.run_one(c);
  auto rep = f.report(att, core::Class::lock);
  rep.facts.verdict.rule = std::string(100'000, 'r');
  rep.facts.verdict.line = std::string(6'000'000, 'l');
  core::LockInfo lock;
  lock.id = std::string(3'000'000, 'i');
  lock.who = std::string(3'000'000, 'w');
  rep.facts.verdict.lock = lock;
  ASSERT_EQ(c.finish(f.agent, rep), Outcome::ok);
  const auto stored = f.st.attempt(att.id);
  EXPECT_LE(stored->rule.size(), core::kMaxRuleId);
  EXPECT_LE(stored->line.size(), core::kMaxVerdictLine);
  EXPECT_TRUE(stored->line.ends_with(" bytes]")) << stored->line.substr(4000);
  EXPECT_LE(stored->lock_json.size(), 7 * core::kMaxLockField + 200);
  EXPECT_NE(stored->lock_json.find("[cut: 2,999,"), std::string::npos);
  // The run log's verdict line is built from the capped verdict too.
  const Id run = f.st.job(att.job_id)->run_id;
  for (const auto& line : f.st.chunks_after(run, 0, "", 100, 1 << 30).chunks)
    EXPECT_LE(line.data.size(), 2 * core::kMaxVerdictLine);
}

TEST(Coordinator, AnIdleClaimWritesNothing) {
  Fixture f;
  auto c = f.make(1000);
  auto changes = [&] {
    auto s = f.st.db().prepare("SELECT total_changes()");
    s.step();
    return s.i64(0);
  };
  const auto before = changes();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(c.claim(f.agent));
  EXPECT_EQ(changes(), before);
}

// claim() reads claimable jobs a page at a time: a job that only a later page holds is still
// found when every job before it is held back (here: 20 jobs needing a label this agent lacks),
// and the jobs held back stay queued, untouched.
TEST(Coordinator, AClaimLooksPastPagesOfJobsItCannotTake) {
  Fixture f;
  auto c = f.make(1000);
  store::NewRun r = f.new_run();
  for (int i = 0; i < 21; ++i) {
    store::NewJob j;
    j.stack = "stacks/s" + std::to_string(100 + i);
    j.label = j.stack;
    j.tier = "all";
    j.parallelism = 50;
    if (i < 20) j.labels = "gpu";
    r.jobs.push_back(j);
  }
  const Id run = c.create_runs({r}).front();
  const auto claimed = c.claim(f.agent);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->job.stack, "stacks/s120");
  EXPECT_FALSE(c.claim(f.agent));  // nothing else this agent may take
  int queued = 0;
  for (const auto& j : f.st.jobs_of_run(run)) queued += j.status == JobStatus::queued;
  EXPECT_EQ(queued, 20);
}

// The destroy guard over the real store: a guard stop keeps the saved plan and waits; approve
// checks the status, records who approved, and the next claim carries exactly that plan.
TEST(Coordinator, AGuardStopKeepsThePlanAndAnApprovalOffersExactlyIt) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::apply);
  const Id run = f.st.job(job)->run_id;
  const auto a = f.run_one(c);
  FinishReport rep = f.report(a, core::Class::success);
  rep.facts.guard =
      core::GuardStop{core::DestroyGuard::approve, {{"x.y", "destroy"}}, 1, "show -json"};
  const std::string bytes("PK\x03\x04\0plan", 9);
  rep.plan = wire::SavedPlanFile{0, "tfplan", sha256_hex(bytes), bytes};
  ASSERT_EQ(c.finish(f.agent, rep), Outcome::ok);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::needs_approval);
  EXPECT_EQ(f.st.run(run)->status, core::RunStatus::running);
  const auto kept = f.st.latest_saved_plan(job);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->data, bytes);
  EXPECT_EQ(kept->attempt_id, a.id);
  EXPECT_EQ(kept->destroys, (std::vector<core::PlanChange>{{"x.y", "destroy"}}));
  EXPECT_EQ(kept->unlisted, 1);
  EXPECT_FALSE(c.claim(f.agent)) << "a job waiting for approval is not claimable";

  EXPECT_EQ(c.approve(run, "stacks/nope", "alice").status, 404);
  EXPECT_EQ(c.approve(run + 1, "stacks/a", "alice").status, 404);
  f.now += 10;
  const ApproveResult ok = c.approve(run, "a", "alice");  // the label works as well as the path
  ASSERT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(ok.plan_attempt, a.id);
  EXPECT_EQ(ok.sha256, sha256_hex(bytes));
  const auto approved = f.st.job(job);
  EXPECT_EQ(approved->status, JobStatus::queued);
  EXPECT_EQ(approved->approved_by, "alice");
  EXPECT_EQ(approved->approved_at, f.now);
  EXPECT_EQ(approved->approved_attempt, a.id);
  const ApproveResult twice = c.approve(run, "stacks/a", "bob");
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(twice.error, "stacks/a in run " + std::to_string(run) +
                             " is queued: only a stack whose saved plan waits for approval can be "
                             "approved");
  auto claimed = c.claim(f.agent);
  ASSERT_TRUE(claimed);
  ASSERT_TRUE(claimed->approved_plan);
  EXPECT_EQ(claimed->approved_plan->data, bytes);
  EXPECT_EQ(claimed->approved_plan->attempt_id, a.id);
  EXPECT_EQ(claimed->attempt.n, 2);
}

TEST(Coordinator, AGuardStopWhosePlanDoesNotMatchItsDigestFailsTheJob) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::apply);
  const auto a = f.run_one(c);
  FinishReport rep = f.report(a, core::Class::success);
  rep.facts.guard = core::GuardStop{core::DestroyGuard::approve, {{"x.y", "destroy"}}, 0, "s"};
  rep.plan = wire::SavedPlanFile{0, "tfplan", std::string(64, '0'), "bytes"};
  ASSERT_EQ(c.finish(f.agent, rep), Outcome::ok);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::failed);
  EXPECT_EQ(f.st.attempt(a.id)->rule, "server.saved-plan");
  EXPECT_FALSE(f.st.latest_saved_plan(job));
}

TEST(Coordinator, ARefusedPlanIsKeptForTheRecordAndCannotBeApproved) {
  Fixture f;
  auto c = f.make(1000);
  const Id job = f.add_job(c, core::JobKind::apply);
  const Id run = f.st.job(job)->run_id;
  const auto a = f.run_one(c);
  FinishReport rep = f.report(a, core::Class::success);
  rep.facts.guard = core::GuardStop{core::DestroyGuard::refuse, {{"x.y", "replace"}}, 0, "s"};
  rep.plan = wire::SavedPlanFile{0, "tfplan", sha256_hex("b"), "b"};
  ASSERT_EQ(c.finish(f.agent, rep), Outcome::ok);
  EXPECT_EQ(f.st.job(job)->status, JobStatus::refused);
  EXPECT_EQ(f.st.run(run)->status, core::RunStatus::failed);
  EXPECT_TRUE(f.st.latest_saved_plan(job));
  EXPECT_EQ(c.approve(run, "stacks/a", "alice").status, 409);
  EXPECT_TRUE(f.st.applied_commits(f.repo).empty());
}

}  // namespace
}  // namespace stackrun::server
