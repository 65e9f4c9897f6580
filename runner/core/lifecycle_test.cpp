#include "runner/core/lifecycle.hpp"

#include <gtest/gtest.h>

namespace stackrun::core {
namespace {

constexpr Millis kNow = 1'000'000;

JobView job(std::int64_t id, const std::string& stack, const std::string& tier, JobStatus status,
            JobKind kind = JobKind::apply, std::vector<std::string> needs = {}) {
  JobView j;
  j.id = id;
  j.run_id = 7;
  j.repo_id = 3;
  j.stack = stack;
  j.tier = tier;
  j.status = status;
  j.kind = kind;
  j.tier_needs = std::move(needs);
  return j;
}

RunFacts run(RunStatus status = RunStatus::running, CancelLevel cancel = CancelLevel::none) {
  RunFacts r;
  r.id = 7;
  r.status = status;
  r.cancel = cancel;
  r.commit = std::string(40, 'c');
  r.policy.transient.attempts = 3;
  r.policy.transient.backoff = std::chrono::seconds(10);
  r.policy.transient.jitter = 0;  // deterministic delays
  r.policy.lock.wait = std::chrono::seconds(60);
  r.policy.lock.poll = std::chrono::seconds(20);
  return r;
}

AttemptFacts attempt(std::int64_t job_id, AttemptStatus status = AttemptStatus::running,
                     int n = 1) {
  AttemptFacts a;
  a.id = 100 + job_id;
  a.job_id = job_id;
  a.agent_id = 5;
  a.agent = "agent-1";
  a.n = n;
  a.epoch = 4;
  a.status = status;
  return a;
}

FinishFacts report(Class cls, std::string rule = "r", std::string line = "the line") {
  FinishFacts f;
  f.exit_code = cls == Class::success ? 0 : 1;
  f.verdict.cls = cls;
  f.verdict.rule = std::move(rule);
  f.verdict.line = std::move(line);
  return f;
}

double half() {
  return 0.5;
}

std::vector<std::string> lines(const Effects& fx) {
  std::vector<std::string> out;
  for (const auto& e : fx.events)
    if (auto l = describe(e); !l.text.empty()) out.push_back(l.text);
  return out;
}

const JobChange* change_of(const Effects& fx, std::int64_t job_id) {
  for (const auto& c : fx.jobs)
    if (c.job_id == job_id) return &c;
  return nullptr;
}

// ---------------------------------------------------------------- fencing

TEST(Fencing, Table) {
  const JobView running = job(1, "s/a", "t", JobStatus::running);
  const JobView queued = job(1, "s/a", "t", JobStatus::queued);
  const JobView interrupted = job(1, "s/a", "t", JobStatus::interrupted);
  struct Case {
    const char* name;
    AttemptStatus status;
    std::int64_t agent, epoch;
    Outcome start, heartbeat, finish, logs;
    const JobView* job;
  };
  const Outcome ok = Outcome::ok, stale = Outcome::stale, forbidden = Outcome::forbidden;
  const std::vector<Case> cases = {
      {"offered, right agent and epoch", AttemptStatus::offered, 5, 4, ok, stale, stale, ok,
       &running},
      {"running", AttemptStatus::running, 5, 4, Outcome::idempotent, ok, ok, ok, &running},
      {"running, older epoch", AttemptStatus::running, 5, 3, stale, stale, stale, stale, &running},
      {"running, another agent", AttemptStatus::running, 6, 4, forbidden, forbidden, forbidden,
       forbidden, &running},
      {"finished: a repeated report", AttemptStatus::finished, 5, 4, stale, stale,
       Outcome::idempotent, stale, &running},
      {"finished under another epoch", AttemptStatus::finished, 5, 9, stale, stale, stale, stale,
       &running},
      {"finished, another agent", AttemptStatus::finished, 6, 4, forbidden, forbidden, forbidden,
       forbidden, &running},
      {"interrupted", AttemptStatus::interrupted, 5, 4, stale, stale, stale, stale, &running},
      // The agent of an interrupted apply came back: its report is taken (on_late_finish), its
      // output is not (the log is closed).
      {"interrupted apply: late report", AttemptStatus::interrupted, 5, 4, stale, stale,
       Outcome::late, stale, &interrupted},
      {"interrupted apply, older epoch", AttemptStatus::interrupted, 5, 3, stale, stale, stale,
       stale, &interrupted},
      {"interrupted apply, another agent", AttemptStatus::interrupted, 6, 4, forbidden, forbidden,
       forbidden, forbidden, &interrupted},
      {"lost", AttemptStatus::lost, 5, 4, stale, stale, stale, stale, &running},
      {"job no longer running", AttemptStatus::running, 5, 4, Outcome::idempotent, ok, stale, ok,
       &queued},
  };
  for (const auto& c : cases) {
    AttemptFacts a = attempt(1, c.status);
    EXPECT_EQ(check_start(a, c.agent, c.epoch), c.start) << c.name;
    EXPECT_EQ(check_heartbeat(a, c.agent, c.epoch), c.heartbeat) << c.name;
    EXPECT_EQ(check_finish(a, *c.job, c.agent, c.epoch), c.finish) << c.name;
    EXPECT_EQ(check_logs(a, c.agent, c.epoch), c.logs) << c.name;
  }
}

// ---------------------------------------------------------------- start

TEST(OnStart, ConfirmsTheOfferUnderALeaseAndStartsTheRun) {
  const auto fx = on_start(run(RunStatus::queued), attempt(1, AttemptStatus::offered),
                           job(1, "s/a", "t", JobStatus::running), kNow, 30'000);
  ASSERT_EQ(fx.attempts.size(), 1u);
  EXPECT_EQ(fx.attempts[0].from, AttemptStatus::offered);
  EXPECT_EQ(fx.attempts[0].to, AttemptStatus::running);
  EXPECT_EQ(fx.attempts[0].lease_expires_at, kNow + 30'000);
  ASSERT_TRUE(fx.run);
  EXPECT_EQ(fx.run->to, RunStatus::running);
  EXPECT_EQ(lines(fx), std::vector<std::string>{"--- apply attempt 1 started on agent-1"});
  EXPECT_FALSE(fx.wakes_claims());
}

TEST(OnStart, ARunningRunIsLeftAlone) {
  const auto fx = on_start(run(RunStatus::running), attempt(1, AttemptStatus::offered),
                           job(1, "s/a", "t", JobStatus::running), kNow, 30'000);
  EXPECT_FALSE(fx.run);
}

// ---------------------------------------------------------------- finish

struct FinishCase {
  const char* name;
  FinishFacts report;
  std::vector<AttemptRecord> prior;
  CancelLevel cancel;
  JobKind kind;
  JobStatus job_to;
  Millis not_before;   // for queued
  bool applied;        // the stack's applied commit advances
  std::string reason;  // the job's result_reason
  std::vector<std::string> lines;
};

TEST(OnFinish, Table) {
  FinishFacts stopped = report(Class::fatal);
  stopped.stopped = true;
  stopped.exit_code = 130;
  const std::vector<AttemptRecord> one_transient = {{Class::transient, TimePoint{}}};
  const std::vector<AttemptRecord> two_transient = {{Class::transient, TimePoint{}},
                                                    {Class::transient, TimePoint{}}};
  const std::vector<AttemptRecord> locked_long_ago = {
      {Class::lock, TimePoint(std::chrono::milliseconds(kNow - 50'000))}};
  const std::vector<FinishCase> cases = {
      {"apply success advances the stack",
       report(Class::success, "exit:0", ""),
       {},
       CancelLevel::none,
       JobKind::apply,
       JobStatus::success,
       0,
       true,
       "",
       {"verdict: success (exit:0) -> success", "run success: 1 ok, 0 skipped, 0 failed"}},
      {"plan success records nothing",
       report(Class::success, "exit:0", ""),
       {},
       CancelLevel::none,
       JobKind::plan,
       JobStatus::success,
       0,
       false,
       "",
       {"verdict: success (exit:0) -> success", "run success: 1 ok, 0 skipped, 0 failed"}},
      {"drift is information",
       report(Class::drift, "exit:2", ""),
       {},
       CancelLevel::none,
       JobKind::plan,
       JobStatus::drift,
       0,
       false,
       "",
       {"verdict: drift (exit:2) -> drift", "run drift: 1 ok, 0 skipped, 0 failed, 1 drifted"}},
      {"fatal fails at once",
       report(Class::fatal, "builtin.fatal.x", "Error: bad"),
       {},
       CancelLevel::none,
       JobKind::apply,
       JobStatus::failed,
       0,
       false,
       "fatal error (rule builtin.fatal.x)",
       {"verdict: fatal (builtin.fatal.x): Error: bad -> failed",
        "failed: fatal error (rule builtin.fatal.x)", "run failed: 0 ok, 0 skipped, 1 failed"}},
      {"transient is retried after the backoff",
       report(Class::transient, "t1", "timeout"),
       {},
       CancelLevel::none,
       JobKind::apply,
       JobStatus::queued,
       kNow + 10'000,
       false,
       "transient failure (t1), attempt 2 of 3 in 10s",
       {"verdict: transient (t1): timeout -> retry in 10s (transient failure (t1), attempt 2 of "
        "3 in 10s)"}},
      {"second retry doubles",
       report(Class::transient, "t1", "timeout"),
       one_transient,
       CancelLevel::none,
       JobKind::apply,
       JobStatus::queued,
       kNow + 20'000,
       false,
       "transient failure (t1), attempt 3 of 3 in 20s",
       {"verdict: transient (t1): timeout -> retry in 20s (transient failure (t1), attempt 3 of "
        "3 in 20s)"}},
      {"transient attempts used up",
       report(Class::transient, "t1", "timeout"),
       two_transient,
       CancelLevel::none,
       JobKind::apply,
       JobStatus::failed,
       0,
       false,
       "transient failure persisted after 3 attempts",
       {"verdict: transient (t1): timeout -> failed",
        "failed: transient failure persisted after 3 attempts",
        "run failed: 0 ok, 0 skipped, 1 failed"}},
      {"retry of a cancelled run is cancelled",
       report(Class::transient, "t1", "timeout"),
       {},
       CancelLevel::graceful,
       JobKind::apply,
       JobStatus::cancelled,
       0,
       false,
       "run cancelled while waiting to retry",
       {"cancelled: run cancelled while waiting to retry",
        "run cancelled: 0 ok, 0 skipped, 0 failed, 1 cancelled"}},
      {"lock waits and polls",
       report(Class::lock, "lock", "Error acquiring the state lock"),
       {},
       CancelLevel::none,
       JobKind::apply,
       JobStatus::queued,
       kNow + 20'000,
       false,
       "state lock held by someone else; trying again",
       {"verdict: lock (lock): Error acquiring the state lock -> wait_lock in 20s (state lock "
        "held by someone else; trying again)"}},
      {"lock wait used up: skipped",
       report(Class::lock, "lock", "Error acquiring the state lock"),
       locked_long_ago,
       CancelLevel::none,
       JobKind::apply,
       JobStatus::skipped,
       0,
       false,
       "state lock held by someone else for more than 1m",
       {"verdict: lock (lock): Error acquiring the state lock -> skipped",
        "skipped: state lock held by someone else for more than 1m",
        "run success: 0 ok, 1 skipped, 0 failed"}},
      {"stopped on request",
       stopped,
       {},
       CancelLevel::force,
       JobKind::apply,
       JobStatus::cancelled,
       0,
       false,
       "stopped on request (exit 130)",
       {"cancelled: stopped on request (exit 130)",
        "run cancelled: 0 ok, 0 skipped, 0 failed, 1 cancelled"}},
  };
  for (const auto& c : cases) {
    const std::vector<JobView> jobs = {job(1, "stacks/a", "t", JobStatus::running, c.kind)};
    const auto fx = on_finish(run(RunStatus::running, c.cancel), jobs, attempt(1), c.report,
                              c.prior, kNow, half);
    ASSERT_EQ(fx.attempts.size(), 1u) << c.name;
    EXPECT_EQ(fx.attempts[0].to, AttemptStatus::finished) << c.name;
    const JobChange* jc = change_of(fx, 1);
    ASSERT_TRUE(jc) << c.name;
    EXPECT_EQ(jc->from, JobStatus::running) << c.name;
    EXPECT_EQ(jc->to, c.job_to) << c.name;
    EXPECT_EQ(jc->reason, c.reason) << c.name;
    if (c.job_to == JobStatus::queued) {
      EXPECT_EQ(jc->not_before, c.not_before) << c.name;
    }
    EXPECT_EQ(fx.applied.size(), c.applied ? 1u : 0u) << c.name;
    EXPECT_EQ(lines(fx), c.lines) << c.name;
    EXPECT_TRUE(fx.wakes_claims()) << c.name;  // the stack is free again either way
  }
}

TEST(OnFinish, AppliedRecordNamesRepoStackCommitAndRun) {
  const auto fx = on_finish(run(), {job(1, "stacks/a", "t", JobStatus::running)}, attempt(1),
                            report(Class::success), {}, kNow, half);
  ASSERT_EQ(fx.applied.size(), 1u);
  EXPECT_EQ(fx.applied[0].repo_id, 3);
  EXPECT_EQ(fx.applied[0].stack, "stacks/a");
  EXPECT_EQ(fx.applied[0].commit, std::string(40, 'c'));
  EXPECT_EQ(fx.applied[0].run_id, 7);
}

TEST(OnFinish, TheLastPlatformJobReleasesTheAppsTier) {
  const std::vector<JobView> jobs = {
      job(1, "stacks/db", "platform", JobStatus::running),
      job(2, "stacks/app", "apps", JobStatus::pending, JobKind::apply, {"platform"}),
      job(3, "stacks/web", "apps", JobStatus::pending, JobKind::apply, {"platform"})};
  const auto fx = on_finish(run(), jobs, attempt(1), report(Class::success), {}, kNow, half);
  ASSERT_TRUE(change_of(fx, 2));
  EXPECT_EQ(change_of(fx, 2)->from, JobStatus::pending);
  EXPECT_EQ(change_of(fx, 2)->to, JobStatus::queued);
  EXPECT_EQ(change_of(fx, 3)->to, JobStatus::queued);
  EXPECT_FALSE(fx.run);  // apps still to run
}

TEST(OnFinish, ARetryDoesNotReleaseTheNextTier) {
  const std::vector<JobView> jobs = {
      job(1, "stacks/db", "platform", JobStatus::running),
      job(2, "stacks/app", "apps", JobStatus::pending, JobKind::apply, {"platform"})};
  const auto fx = on_finish(run(), jobs, attempt(1), report(Class::transient), {}, kNow, half);
  EXPECT_FALSE(change_of(fx, 2));
  EXPECT_FALSE(fx.run);
}

TEST(OnFinish, AFinishedRunIsNeverEndedTwice) {
  const auto fx = on_finish(run(RunStatus::failed), {job(1, "s/a", "t", JobStatus::running)},
                            attempt(1), report(Class::success), {}, kNow, half);
  EXPECT_FALSE(fx.run);
}

// ---------------------------------------------------------------- expiry

TEST(OnExpired, AnUnconfirmedOfferRequeuesEvenAnApply) {
  const auto fx = on_expired(run(RunStatus::queued), {job(1, "s/a", "t", JobStatus::running)},
                             attempt(1, AttemptStatus::offered), 0);
  ASSERT_EQ(fx.attempts.size(), 1u);
  EXPECT_FALSE(fx.attempts[0].to);  // removed: nothing ran
  ASSERT_TRUE(change_of(fx, 1));
  EXPECT_EQ(change_of(fx, 1)->to, JobStatus::queued);
  EXPECT_EQ(change_of(fx, 1)->reason, "offer to agent agent-1 expired");
  EXPECT_EQ(lines(fx),
            std::vector<std::string>{
                "agent agent-1 did not confirm attempt 1 in time; nothing ran, requeued"});
  EXPECT_TRUE(fx.wakes_claims());
  EXPECT_TRUE(fx.applied.empty());
}

TEST(OnExpired, AnUnconfirmedOfferOfACancelledRunIsCancelled) {
  const auto fx =
      on_expired(run(RunStatus::queued, CancelLevel::graceful),
                 {job(1, "s/a", "t", JobStatus::running)}, attempt(1, AttemptStatus::offered), 0);
  EXPECT_EQ(change_of(fx, 1)->to, JobStatus::cancelled);
  ASSERT_TRUE(fx.run);
  EXPECT_EQ(fx.run->to, RunStatus::cancelled);
}

TEST(OnExpired, ALostPlanIsRequeued) {
  const auto fx =
      on_expired(run(), {job(1, "s/a", "t", JobStatus::running, JobKind::plan)}, attempt(1), 0);
  EXPECT_EQ(fx.attempts[0].to, AttemptStatus::lost);
  EXPECT_EQ(change_of(fx, 1)->to, JobStatus::queued);
  EXPECT_EQ(lines(fx),
            std::vector<std::string>{"agent agent-1 stopped heartbeating; plan requeued"});
  EXPECT_FALSE(fx.run);
}

// A plan whose agent keeps dying (out of memory on its output, say) is requeued a bounded
// number of times, then fails with a reason naming the count: never requeued forever.
TEST(OnExpired, ALostPlanIsRequeuedABoundedNumberOfTimes) {
  struct Case {
    int lost_before;
    JobStatus to;
  };
  const Case cases[] = {{0, JobStatus::queued},
                        {1, JobStatus::queued},
                        {kMaxLostPlanAttempts - 1, JobStatus::failed},
                        {kMaxLostPlanAttempts + 4, JobStatus::failed}};
  static_assert(kMaxLostPlanAttempts == 3);
  for (const auto& c : cases) {
    const auto fx =
        on_expired(run(), {job(1, "s/a", "t", JobStatus::running, JobKind::plan)},
                   attempt(1, AttemptStatus::running, c.lost_before + 1), c.lost_before);
    EXPECT_EQ(fx.attempts[0].to, AttemptStatus::lost) << c.lost_before;
    ASSERT_TRUE(change_of(fx, 1)) << c.lost_before;
    EXPECT_EQ(change_of(fx, 1)->to, c.to) << c.lost_before;
    EXPECT_EQ(fx.run.has_value(), c.to == JobStatus::failed) << c.lost_before;
  }
  const auto fx = on_expired(run(), {job(1, "s/a", "t", JobStatus::running, JobKind::plan)},
                             attempt(1, AttemptStatus::running, 3), 2);
  const std::string reason =
      "agent agent-1 stopped heartbeating during plan attempt 3; its agent was lost 3 times, not "
      "requeued again (look for agents killed by memory or output limits)";
  EXPECT_EQ(change_of(fx, 1)->reason, reason);
  EXPECT_EQ(lines(fx), (std::vector<std::string>{"failed: " + reason,
                                                 "run failed: 0 ok, 0 skipped, 1 failed"}));
}

TEST(OnExpired, ALostPlanOfACancelledRunIsCancelled) {
  const auto fx = on_expired(run(RunStatus::running, CancelLevel::graceful),
                             {job(1, "s/a", "t", JobStatus::running, JobKind::plan)},
                             attempt(1, AttemptStatus::running, 2), 1);
  EXPECT_EQ(fx.attempts[0].to, AttemptStatus::lost);
  EXPECT_EQ(change_of(fx, 1)->to, JobStatus::cancelled);
  EXPECT_EQ(change_of(fx, 1)->reason, "agent agent-1 stopped heartbeating during plan attempt 2");
}

TEST(OnExpired, ALostApplyIsInterruptedNeverRerunAndLeavesTheStackAlone) {
  // An apply is interrupted on its first loss, whatever the count of lost attempts.
  const auto fx =
      on_expired(run(), {job(1, "stacks/my app", "t", JobStatus::running)}, attempt(1), 0);
  EXPECT_EQ(fx.attempts[0].to, AttemptStatus::interrupted);
  EXPECT_EQ(change_of(fx, 1)->to, JobStatus::interrupted);
  EXPECT_TRUE(fx.applied.empty());
  const std::string expected =
      "agent agent-1 stopped heartbeating during apply attempt 1; state may be stale, not re-run "
      "automatically (re-apply with `stackrun trigger apply --stack 'stacks/my app'`)";
  EXPECT_EQ(change_of(fx, 1)->reason, expected);
  EXPECT_EQ(lines(fx), (std::vector<std::string>{"interrupted: " + expected,
                                                 "run failed: 0 ok, 0 skipped, 1 failed"}));
}

// ---------------------------------------------------------------- late report

TEST(OnLateFinish, ASuccessCorrectsTheJobTheAppliedCommitAndTheFinishedRun) {
  const std::vector<JobView> jobs = {job(1, "stacks/a", "t", JobStatus::interrupted),
                                     job(2, "stacks/b", "t", JobStatus::success)};
  const auto fx =
      on_late_finish(run(RunStatus::failed), jobs, attempt(1, AttemptStatus::interrupted),
                     report(Class::success), {}, kNow, half);
  ASSERT_EQ(fx.attempts.size(), 1u);
  EXPECT_EQ(fx.attempts[0].from, AttemptStatus::interrupted);
  EXPECT_EQ(fx.attempts[0].to, AttemptStatus::finished);
  ASSERT_TRUE(change_of(fx, 1));
  EXPECT_EQ(change_of(fx, 1)->from, JobStatus::interrupted);
  EXPECT_EQ(change_of(fx, 1)->to, JobStatus::success);
  ASSERT_EQ(fx.applied.size(), 1u);
  EXPECT_EQ(fx.applied[0].stack, "stacks/a");
  ASSERT_TRUE(fx.run);
  EXPECT_EQ(fx.run->from, RunStatus::failed);
  EXPECT_EQ(fx.run->to, RunStatus::success);
  EXPECT_EQ(lines(fx),
            (std::vector<std::string>{
                "late report: agent agent-1 came back and reported apply attempt 1, which had "
                "been marked interrupted",
                "verdict: success (r): the line -> success",
                "run success (was failed before a late report): 2 ok, 0 skipped, 0 failed"}));
}

TEST(OnLateFinish, AFailureStaysFailedAndARetryableVerdictIsNotRetried) {
  const std::vector<JobView> jobs = {job(1, "stacks/a", "t", JobStatus::interrupted)};
  const auto failed =
      on_late_finish(run(RunStatus::failed), jobs, attempt(1, AttemptStatus::interrupted),
                     report(Class::fatal), {}, kNow, half);
  EXPECT_EQ(change_of(failed, 1)->to, JobStatus::failed);
  EXPECT_TRUE(failed.applied.empty());
  EXPECT_FALSE(failed.run);  // still failed: nothing to correct
  const auto transient =
      on_late_finish(run(RunStatus::failed), jobs, attempt(1, AttemptStatus::interrupted),
                     report(Class::transient), {}, kNow, half);
  ASSERT_TRUE(change_of(transient, 1));
  EXPECT_EQ(change_of(transient, 1)->to, JobStatus::failed);
  EXPECT_EQ(change_of(transient, 1)->not_before, 0);
  EXPECT_EQ(change_of(transient, 1)->reason.rfind("reported late, not retried: ", 0), 0u)
      << change_of(transient, 1)->reason;
  EXPECT_FALSE(transient.run);
}

TEST(OnLateFinish, ARunStillGoingIsSettledAsUsual) {
  const std::vector<JobView> jobs = {
      job(1, "stacks/db", "platform", JobStatus::interrupted),
      job(2, "stacks/x", "platform", JobStatus::running),
      job(3, "stacks/app", "apps", JobStatus::pending, JobKind::apply, {"platform"})};
  const auto fx =
      on_late_finish(run(RunStatus::running), jobs, attempt(1, AttemptStatus::interrupted),
                     report(Class::success), {}, kNow, half);
  EXPECT_EQ(change_of(fx, 1)->to, JobStatus::success);
  EXPECT_FALSE(change_of(fx, 3));  // stacks/x still runs
  EXPECT_FALSE(fx.run);
}

// ---------------------------------------------------------------- cancel

TEST(OnCancel, QueuedAndPendingAreCancelledRunningFinishesOffersAreWithdrawn) {
  const std::vector<JobView> jobs = {
      job(1, "s/a", "t", JobStatus::running), job(2, "s/b", "t", JobStatus::running),
      job(3, "s/c", "t", JobStatus::queued), job(4, "s/d", "u", JobStatus::pending)};
  const auto fx =
      on_cancel(run(), jobs, {attempt(2, AttemptStatus::offered)}, CancelLevel::graceful);
  EXPECT_EQ(fx.cancel, CancelLevel::graceful);
  EXPECT_FALSE(change_of(fx, 1));  // running: finishes on its own
  EXPECT_EQ(change_of(fx, 2)->to, JobStatus::cancelled);
  EXPECT_EQ(change_of(fx, 3)->to, JobStatus::cancelled);
  EXPECT_EQ(change_of(fx, 4)->to, JobStatus::cancelled);
  ASSERT_EQ(fx.attempts.size(), 1u);
  EXPECT_FALSE(fx.attempts[0].to);
  EXPECT_FALSE(fx.run);  // job 1 still runs
  EXPECT_EQ(lines(fx).front(), "cancel requested (running steps finish; nothing new starts)");
}

TEST(OnCancel, NothingRunningEndsTheRunCancelled) {
  const auto fx = on_cancel(run(RunStatus::queued), {job(1, "s/a", "t", JobStatus::queued)}, {},
                            CancelLevel::force);
  ASSERT_TRUE(fx.run);
  EXPECT_EQ(fx.run->to, RunStatus::cancelled);
  EXPECT_EQ(fx.run->summary, "0 ok, 0 skipped, 0 failed, 1 cancelled");
  EXPECT_EQ(lines(fx),
            (std::vector<std::string>{"cancel requested (force: running steps get SIGINT)",
                                      "run cancelled: 0 ok, 0 skipped, 0 failed, 1 cancelled"}));
}

TEST(OnCancel, TheLevelOnlyRises) {
  const auto fx = on_cancel(run(RunStatus::running, CancelLevel::force),
                            {job(1, "s/a", "t", JobStatus::running)}, {}, CancelLevel::graceful);
  EXPECT_EQ(fx.cancel, CancelLevel::force);
}

// ---------------------------------------------------------------- settle

TEST(Settle, Table) {
  struct Case {
    const char* name;
    RunStatus status;
    std::vector<JobStatus> jobs;
    std::optional<RunStatus> ends;
    std::string summary;
  };
  using J = JobStatus;
  const std::vector<Case> cases = {
      {"all skipped at creation",
       RunStatus::queued,
       {J::skipped, J::skipped},
       RunStatus::success,
       "0 ok, 2 skipped, 0 failed"},
      {"no jobs", RunStatus::queued, {}, RunStatus::success, "0 ok, 0 skipped, 0 failed"},
      {"one still running", RunStatus::running, {J::success, J::running}, std::nullopt, ""},
      {"interrupted counts as failed",
       RunStatus::running,
       {J::success, J::interrupted},
       RunStatus::failed,
       "1 ok, 0 skipped, 1 failed"},
      {"drift is ok, and the run says it drifted",
       RunStatus::running,
       {J::drift, J::success},
       RunStatus::drift,
       "2 ok, 0 skipped, 0 failed, 1 drifted"},
      {"an error beats drift",
       RunStatus::running,
       {J::drift, J::failed},
       RunStatus::failed,
       "1 ok, 0 skipped, 1 failed, 1 drifted"},
      {"skipped stacks do not hide drift",
       RunStatus::running,
       {J::drift, J::skipped},
       RunStatus::drift,
       "1 ok, 1 skipped, 0 failed, 1 drifted"},
      {"failed beats cancelled",
       RunStatus::running,
       {J::cancelled, J::failed},
       RunStatus::failed,
       "0 ok, 0 skipped, 1 failed, 1 cancelled"},
      {"superseded once the rest is done",
       RunStatus::running,
       {J::success, J::superseded, J::superseded},
       RunStatus::superseded,
       "1 ok, 0 skipped, 0 failed, 2 superseded"},
      {"failed beats superseded",
       RunStatus::running,
       {J::failed, J::superseded},
       RunStatus::failed,
       "0 ok, 0 skipped, 1 failed, 1 superseded"},
      {"cancelled beats superseded",
       RunStatus::running,
       {J::cancelled, J::superseded},
       RunStatus::cancelled,
       "0 ok, 0 skipped, 0 failed, 1 cancelled, 1 superseded"},
      {"already ended", RunStatus::success, {J::success}, std::nullopt, ""},
  };
  for (const auto& c : cases) {
    std::vector<JobView> jobs;
    for (std::size_t i = 0; i < c.jobs.size(); ++i)
      jobs.push_back(
          job(static_cast<std::int64_t>(i + 1), "s/" + std::to_string(i), "t", c.jobs[i]));
    const auto fx = settle(run(c.status), jobs);
    ASSERT_EQ(fx.run.has_value(), c.ends.has_value()) << c.name;
    if (c.ends) {
      EXPECT_EQ(fx.run->to, *c.ends) << c.name;
      EXPECT_EQ(fx.run->summary, c.summary) << c.name;
    }
  }
}

TEST(Settle, ReleasesTheFirstTierOfANewRun) {
  const std::vector<JobView> jobs = {
      job(1, "s/db", "platform", JobStatus::pending),
      job(2, "s/app", "apps", JobStatus::pending, JobKind::apply, {"platform"})};
  const auto fx = settle(run(RunStatus::queued), jobs);
  ASSERT_EQ(fx.jobs.size(), 1u);
  EXPECT_EQ(fx.jobs[0].job_id, 1);
  EXPECT_EQ(fx.jobs[0].to, JobStatus::queued);
  EXPECT_TRUE(fx.wakes_claims());
}

TEST(Settle, AFailedDependencySkipsItsChainAndTheRunEnds) {
  // vpc failed; app depends on vpc, web on app: both are skipped, in one settle, and the run
  // ends failed with nothing left pending.
  auto app = job(2, "s/app", "all", JobStatus::pending);
  app.needs = {"s/vpc"};
  auto web = job(3, "s/web", "all", JobStatus::pending);
  web.needs = {"s/app"};
  const std::vector<JobView> jobs = {job(1, "s/vpc", "all", JobStatus::failed), app, web};
  const auto fx = settle(run(), jobs);
  ASSERT_EQ(fx.jobs.size(), 2u);
  EXPECT_EQ(fx.jobs[0].job_id, 2);
  EXPECT_EQ(fx.jobs[0].to, JobStatus::skipped);
  EXPECT_EQ(fx.jobs[0].reason, "dependency s/vpc failed");
  EXPECT_EQ(fx.jobs[1].job_id, 3);
  EXPECT_EQ(fx.jobs[1].reason, "dependency s/app skipped");
  ASSERT_TRUE(fx.run.has_value());
  EXPECT_EQ(fx.run->to, RunStatus::failed);
  EXPECT_EQ(fx.run->summary, "0 ok, 2 skipped, 1 failed");
}

TEST(Settle, ADependencyThatSucceededReleasesTheNextInTheTier) {
  auto app = job(2, "s/app", "all", JobStatus::pending);
  app.needs = {"s/vpc"};
  const auto fx = settle(run(), {job(1, "s/vpc", "all", JobStatus::success), app});
  ASSERT_EQ(fx.jobs.size(), 1u);
  EXPECT_EQ(fx.jobs[0].job_id, 2);
  EXPECT_EQ(fx.jobs[0].to, JobStatus::queued);
  EXPECT_FALSE(fx.run.has_value());
}

TEST(Effects, AnyJobChangeWakesParkedClaims) {
  Effects none;
  EXPECT_FALSE(none.wakes_claims());
  Effects started;  // an attempt change alone frees nothing
  started.attempts.push_back({1, 1, AttemptStatus::offered, AttemptStatus::running, 5});
  EXPECT_FALSE(started.wakes_claims());
  // An older run's pending job cancelled: a newer run's job on that stack may go now.
  Effects cancelled_pending;
  cancelled_pending.jobs.push_back({1, JobStatus::pending, JobStatus::cancelled, "", 0});
  EXPECT_TRUE(cancelled_pending.wakes_claims());
  Effects ended;
  ended.jobs.push_back({1, JobStatus::running, JobStatus::failed, "", 0});
  EXPECT_TRUE(ended.wakes_claims());
}

// ---------------------------------------------------------------- destroy guard

namespace guard_tests {

FinishFacts guarded(DestroyGuard g) {
  FinishFacts f = report(Class::success, "exit:0", "");
  f.guard = GuardStop{g, {{"kubernetes_secret.legacy", "destroy"}}, 0, "show -json"};
  return f;
}

}  // namespace guard_tests

TEST(DestroyGuardLifecycle, ApproveHoldsTheJobAndItsDependentsAndTheNextTier) {
  auto app = job(2, "s/app", "platform", JobStatus::pending);
  app.needs = {"s/vpc"};
  const std::vector<JobView> jobs = {
      job(1, "s/vpc", "platform", JobStatus::running), app,
      job(3, "s/web", "apps", JobStatus::pending, JobKind::apply, {"platform"})};
  const auto fx = on_finish(run(), jobs, attempt(1), guard_tests::guarded(DestroyGuard::approve),
                            {}, kNow, half);
  ASSERT_EQ(fx.jobs.size(), 1u);  // nothing released, nothing skipped
  EXPECT_EQ(fx.jobs[0].to, JobStatus::needs_approval);
  EXPECT_EQ(fx.jobs[0].reason,
            "the plan destroys 1 resource: destroy kubernetes_secret.legacy (from show -json); "
            "approve with `stackrun approve 7 --stack s/vpc`");
  EXPECT_FALSE(fx.run);
  EXPECT_TRUE(fx.applied.empty());
  EXPECT_EQ(lines(fx), (std::vector<std::string>{
                           "destroy guard: the plan destroys 1 resource: destroy "
                           "kubernetes_secret.legacy (from show -json); waiting for approval: "
                           "stackrun approve 7 --stack s/vpc"}));
}

TEST(DestroyGuardLifecycle, RefuseEndsTheJobRefusedAndTheRunFailed) {
  const auto fx = on_finish(run(), {job(1, "s/vpc", "t", JobStatus::running)}, attempt(1),
                            guard_tests::guarded(DestroyGuard::refuse), {}, kNow, half);
  ASSERT_FALSE(fx.jobs.empty());
  EXPECT_EQ(fx.jobs[0].to, JobStatus::refused);
  EXPECT_EQ(fx.jobs[0].reason,
            "destroy guard refuses: the plan destroys 1 resource: destroy "
            "kubernetes_secret.legacy (from show -json)");
  EXPECT_TRUE(fx.applied.empty());
  ASSERT_TRUE(fx.run);
  EXPECT_EQ(fx.run->to, RunStatus::failed);
  EXPECT_EQ(fx.run->summary, "0 ok, 0 skipped, 1 failed");
}

TEST(DestroyGuardLifecycle, ApprovalQueuesTheJobAndNamesTheApproverAndThePlan) {
  const std::vector<JobView> jobs = {job(1, "s/vpc", "t", JobStatus::needs_approval)};
  const auto fx = on_approve(run(), jobs, 1, "alice", 101, std::string(64, 'a'));
  ASSERT_EQ(fx.jobs.size(), 1u);
  EXPECT_EQ(fx.jobs[0].from, JobStatus::needs_approval);
  EXPECT_EQ(fx.jobs[0].to, JobStatus::queued);
  EXPECT_EQ(fx.jobs[0].reason, "approved by alice");
  EXPECT_EQ(lines(fx), (std::vector<std::string>{"approved by alice: applying the plan saved by "
                                                 "attempt 101 (sha256 aaaaaaaaaaaa)"}));
}

TEST(DestroyGuardLifecycle, CancelAndSupersedeEndAJobWaitingForApproval) {
  const std::vector<JobView> jobs = {job(1, "s/vpc", "t", JobStatus::needs_approval)};
  const auto cancelled = on_cancel(run(), jobs, {}, CancelLevel::graceful);
  ASSERT_TRUE(change_of(cancelled, 1));
  EXPECT_EQ(change_of(cancelled, 1)->to, JobStatus::cancelled);
  ASSERT_TRUE(cancelled.run);
  EXPECT_EQ(cancelled.run->to, RunStatus::cancelled);
  const auto taken = on_superseded(run(), jobs, 9, std::string(40, 'd'));
  ASSERT_TRUE(change_of(taken, 1));
  EXPECT_EQ(change_of(taken, 1)->to, JobStatus::superseded);
}

TEST(DestroyGuardLifecycle, ALateReportOfAGuardStopFailsWithoutApplying) {
  const std::vector<JobView> jobs = {job(1, "s/vpc", "t", JobStatus::interrupted)};
  const auto fx =
      on_late_finish(run(RunStatus::failed), jobs, attempt(1, AttemptStatus::interrupted),
                     guard_tests::guarded(DestroyGuard::approve), {}, kNow, half);
  ASSERT_TRUE(change_of(fx, 1));
  EXPECT_EQ(change_of(fx, 1)->to, JobStatus::failed);
  EXPECT_TRUE(fx.applied.empty());
}

}  // namespace
}  // namespace stackrun::core
