// Supersede through the coordinator over a real SQLite file: a new run of the same repo,
// pipeline and ref takes over what older runs had not started, in the creating transaction;
// running jobs are left alone; manual runs and other lines are untouched.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "runner/server/coordinator.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

using core::JobStatus;
using core::RunStatus;

struct Fixture {
  testing::TempDir dir{"stackrun-supersede"};
  store::Store st{(dir.path() / "db.sqlite").string()};
  Millis now = 1'000'000;
  store::AgentRow agent;
  Id repo = 0;
  Coordinator c{st, {60'000, 5'000}, [this] { return now; }, [] { return 0.5; }};

  Fixture() {
    auto tx = st.begin();
    repo = st.upsert_repo("infra", "/nonexistent", "main", now);
    agent.id = st.create_agent("a1", "hash-a1", "", 1, now);
    agent.name = "a1";
    tx.commit();
  }

  // A run at commit `c` (one hex digit repeated) with one job per stack, all in tier "t1"
  // except stacks starting with "late/", which are in tier "t2" after it.
  Id create(char commit, const std::vector<std::string>& stacks, const std::string& event = "push",
            const std::string& ref = "refs/heads/main") {
    store::NewRun r;
    r.repo_id = repo;
    r.pipeline = "apply";
    r.pipeline_file = ".stackrun/apply.yml";
    r.event = event;
    r.ref = ref;
    r.commit_sha = std::string(40, commit);
    for (const auto& s : stacks) {
      store::NewJob j;
      j.stack = s;
      j.label = s;
      const bool late = s.rfind("late/", 0) == 0;
      j.tier = late ? "t2" : "t1";
      j.tier_index = late ? 1 : 0;
      j.tier_needs = late ? "t1" : "";
      r.jobs.push_back(j);
    }
    return c.create_runs({r}).front();
  }

  std::map<std::string, JobStatus> statuses(Id run) {
    std::map<std::string, JobStatus> out;
    for (const auto& j : st.jobs_of_run(run)) out[j.stack] = j.status;
    return out;
  }

  // Claims and confirms one job; returns its stack.
  std::string start_one() {
    auto claimed = c.claim(agent);
    EXPECT_TRUE(claimed);
    if (!claimed) return "";
    EXPECT_EQ(c.start(agent, claimed->attempt.id, claimed->attempt.epoch).outcome, Outcome::ok);
    return st.job(claimed->attempt.job_id)->stack;
  }

  std::vector<std::string> sys_lines(Id run) {
    std::vector<std::string> out;
    for (const auto& l : st.chunks_after(run, 0, "", 100, 1 << 20).chunks) out.push_back(l.data);
    return out;
  }
};

TEST(Supersede, ANewRunTakesOverWhatTheOlderRunHadNotStarted) {
  Fixture f;
  const Id first = f.create('a', {"s/a", "s/b", "late/c"});
  EXPECT_EQ(f.start_one(), "s/a");  // s/a is running at commit a
  const Id second = f.create('b', {"s/a", "s/b"});

  const auto old = f.statuses(first);
  EXPECT_EQ(old.at("s/a"), JobStatus::running);  // never touched
  EXPECT_EQ(old.at("s/b"), JobStatus::superseded);
  EXPECT_EQ(old.at("late/c"), JobStatus::superseded);
  const auto first_row = *f.st.run(first);
  EXPECT_EQ(first_row.status, RunStatus::running);  // its running job finishes there
  EXPECT_EQ(first_row.superseded_by, second);

  // The new run has its own stacks and inherits late/c, which it did not select.
  const auto fresh = f.statuses(second);
  ASSERT_EQ(fresh.size(), 3u);
  EXPECT_TRUE(fresh.count("late/c"));
  for (const auto& j : f.st.jobs_of_run(second))
    if (j.stack == "late/c") {
      EXPECT_EQ(j.tier, "t2");
      EXPECT_EQ(j.reason,
                "not started in run " + std::to_string(first) + "; applied here at this commit");
    }
  for (const auto& j : f.st.jobs_of_run(first)) {
    if (j.stack == "s/b") {
      EXPECT_EQ(j.result_reason, "run " + std::to_string(second) + " applies it at bbbbbbbbbbbb");
    }
  }

  // The new run's s/a waits for the old one; s/b starts at the new commit.
  EXPECT_EQ(f.start_one(), "s/b");
  EXPECT_FALSE(f.c.claim(f.agent));
}

TEST(Supersede, AnOlderRunWithNothingLeftEndsSupersededPointingAtTheNewRun) {
  Fixture f;
  const Id first = f.create('a', {"s/a"});
  const Id second = f.create('b', {"s/a"});
  const auto row = *f.st.run(first);
  EXPECT_EQ(row.status, RunStatus::superseded);
  EXPECT_EQ(row.superseded_by, second);
  EXPECT_TRUE(row.finished_at.has_value());
  const auto lines = f.sys_lines(first);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "superseded by run " + std::to_string(second) +
                          " (bbbbbbbbbbbb): it takes over 1 stack(s) not started here: s/a; "
                          "running jobs finish here\n"),
            lines.end());
  EXPECT_EQ(lines.back(), "run superseded: 0 ok, 0 skipped, 0 failed, 1 superseded\n");
}

TEST(Supersede, ThreeQuickRunsLeaveOnlyTheNewestToApplyWhatHadNotStarted) {
  Fixture f;
  const Id r1 = f.create('a', {"s/a", "s/b"});
  EXPECT_EQ(f.start_one(), "s/a");
  const Id r2 = f.create('b', {"s/b", "s/c"});
  const Id r3 = f.create('c', {"s/c"});
  EXPECT_EQ(f.st.run(r1)->superseded_by, r2);
  EXPECT_EQ(f.st.run(r2)->status, RunStatus::superseded);
  EXPECT_EQ(f.st.run(r2)->superseded_by, r3);
  // r3 holds every stack not started anywhere, each once; r1's running s/a is left alone.
  const auto last = f.statuses(r3);
  EXPECT_EQ(last.size(), 2u);
  EXPECT_TRUE(last.count("s/b") && last.count("s/c"));
  EXPECT_EQ(f.statuses(r1).at("s/a"), JobStatus::running);
}

TEST(Supersede, ManualRunsAndOtherBranchesAreLeftAlone) {
  Fixture f;
  const Id manual = f.create('a', {"s/a"}, "manual");
  const Id other_branch = f.create('a', {"s/b"}, "push", "refs/heads/dev");
  const Id push = f.create('b', {"s/a", "s/b"});
  EXPECT_EQ(f.statuses(manual).at("s/a"), JobStatus::queued);
  EXPECT_EQ(f.statuses(other_branch).at("s/b"), JobStatus::queued);
  EXPECT_FALSE(f.st.run(manual)->superseded_by);
  // A manual run supersedes nothing either.
  f.create('c', {"s/a"}, "manual");
  EXPECT_EQ(f.st.run(push)->status, RunStatus::queued);
  EXPECT_EQ(f.statuses(push).size(), 2u);
}

}  // namespace
}  // namespace stackrun::server
