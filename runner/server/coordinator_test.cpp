// The coordinator over a real SQLite file with an injected clock: lease expiry, the restart
// grace, fencing. (End-to-end tests cover the same paths with real processes, but cannot hit
// these timing windows deterministically.)
#include "runner/server/coordinator.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

struct Fixture {
  testing::TempDir dir{"stackrun-coord"};
  store::Store st{(dir.path() / "db.sqlite").string()};
  Millis now = 1'000'000;
  store::AgentRow agent;

  Coordinator make(Millis lease_ms) {
    return Coordinator(st, {lease_ms}, [this] { return now; }, [] { return 0.5; });
  }

  // One queued job of `kind` on stack "stacks/a" in a fresh run.
  Id add_job(const std::string& kind) {
    auto tx = st.begin();
    const Id repo = st.upsert_repo("infra", "/nonexistent", "master", now);
    agent.id = st.create_agent("a1", "hash-a1", "", 1, now);
    agent.name = "a1";
    store::NewRun r;
    r.repo_id = repo;
    r.pipeline = "p";
    r.pipeline_file = ".stackrun/p.yml";
    r.kind = kind;
    r.event = "push";
    r.commit_sha = std::string(40, 'a');
    store::NewJob j;
    j.stack = "stacks/a";
    j.label = "a";
    j.tier = "all";
    j.kind = kind;
    j.status = "queued";
    r.jobs.push_back(j);
    const Id run = st.insert_run(r, now);
    tx.commit();
    return st.jobs_of_run(run).front().id;
  }
};

TEST(Coordinator, LostApplyIsInterruptedAfterTheLease) {
  Fixture f;
  const Id job = f.add_job("apply");
  auto c = f.make(1000);
  ASSERT_TRUE(c.claim(f.agent));
  f.now += 999;
  EXPECT_EQ(c.reap(), 0);
  f.now += 2;
  EXPECT_EQ(c.reap(), 1);
  EXPECT_EQ(f.st.job(job)->status, "interrupted");
  EXPECT_EQ(f.st.attempts_of_job(job).front().status, "interrupted");
}

TEST(Coordinator, LostPlanIsRequeued) {
  Fixture f;
  const Id job = f.add_job("plan");
  auto c = f.make(1000);
  ASSERT_TRUE(c.claim(f.agent));
  f.now += 5000;
  EXPECT_EQ(c.reap(), 1);
  EXPECT_EQ(f.st.job(job)->status, "queued");
  EXPECT_EQ(f.st.attempts_of_job(job).front().status, "lost");
}

TEST(Coordinator, RestartGivesAgentsOneLeaseToReconnect) {
  // The server was down longer than the lease: without the startup grace the first reap
  // after the restart would interrupt an apply whose agent is alive and about to heartbeat.
  Fixture f;
  const Id job = f.add_job("apply");
  {
    auto before_crash = f.make(1000);
    ASSERT_TRUE(before_crash.claim(f.agent));
  }
  f.now += 10'000;  // downtime
  auto restarted = f.make(1000);
  restarted.on_startup();
  EXPECT_EQ(restarted.reap(), 0);
  const auto att = f.st.attempts_of_job(job).front();
  EXPECT_EQ(restarted.heartbeat(f.agent, att.id, att.epoch).outcome, Outcome::ok);
  EXPECT_EQ(f.st.job(job)->status, "running");
  // Without heartbeats the grace runs out like any lease.
  f.now += 1001;
  EXPECT_EQ(restarted.reap(), 1);
  EXPECT_EQ(f.st.job(job)->status, "interrupted");
}

TEST(Coordinator, HeartbeatUnderAStaleEpochIsRefused) {
  Fixture f;
  const Id job = f.add_job("plan");
  auto c = f.make(1000);
  auto claimed = c.claim(f.agent);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(c.heartbeat(f.agent, claimed->attempt.id, claimed->attempt.epoch + 1).outcome, Outcome::stale);
  store::AgentRow other{f.agent.id + 100, "other", "", 1};
  EXPECT_EQ(c.heartbeat(other, claimed->attempt.id, claimed->attempt.epoch).outcome, Outcome::forbidden);
  EXPECT_EQ(f.st.job(job)->status, "running");
}

}  // namespace
}  // namespace stackrun::server
