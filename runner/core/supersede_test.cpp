#include "runner/core/supersede.hpp"

#include <gtest/gtest.h>

#include "runner/core/lifecycle.hpp"

namespace stackrun::core {
namespace {

using J = JobStatus;

JobView job(std::int64_t id, std::int64_t run_id, const std::string& stack, JobStatus status) {
  JobView j;
  j.id = id;
  j.run_id = run_id;
  j.repo_id = 3;
  j.stack = stack;
  j.tier = "t";
  j.status = status;
  return j;
}

RunFacts run(RunStatus status) {
  RunFacts r;
  r.id = 7;
  r.status = status;
  r.commit = std::string(40, 'a');
  return r;
}

TEST(Supersede, ManualRunsNeitherSupersedeNorAreSuperseded) {
  EXPECT_TRUE(takes_part_in_supersede("push"));
  EXPECT_TRUE(takes_part_in_supersede("cron"));
  EXPECT_FALSE(takes_part_in_supersede("manual"));
}

TEST(Supersede, InheritsTheUnstartedStacksTheNewRunLacks) {
  struct Case {
    const char* name;
    std::vector<std::string> new_stacks;
    std::vector<JobView> older;
    std::vector<std::int64_t> inherited;  // job ids, in order
  };
  const std::vector<Case> cases = {
      {"nothing older", {"s/a"}, {}, {}},
      {"the new run has the stack already", {"s/a"}, {job(1, 5, "s/a", J::pending)}, {}},
      {"a stack the new run lacks is inherited",
       {"s/a"},
       {job(1, 5, "s/a", J::queued), job(2, 5, "s/b", J::pending)},
       {2}},
      {"a queued job (waiting to retry) counts as not started",
       {},
       {job(1, 5, "s/a", J::queued)},
       {1}},
      {"running and finished jobs are not inherited",
       {},
       {job(1, 5, "s/a", J::running), job(2, 5, "s/b", J::success), job(3, 5, "s/c", J::failed)},
       {}},
      {"one job per stack, from the newest run",
       {},
       {job(1, 6, "s/a", J::pending), job(2, 5, "s/a", J::pending), job(3, 5, "s/b", J::pending)},
       {1, 3}},
      {"the newest wins whatever the order",
       {},
       {job(2, 5, "s/a", J::pending), job(1, 6, "s/a", J::queued)},
       {1}},
  };
  for (const auto& c : cases) {
    std::vector<std::int64_t> got;
    for (const auto& j : to_inherit(c.new_stacks, c.older)) got.push_back(j.id);
    EXPECT_EQ(got, c.inherited) << c.name;
  }
}

TEST(OnSuperseded, TakesOnlyJobsThatHaveNotStarted) {
  struct Case {
    const char* name;
    std::vector<JobStatus> jobs;
    std::vector<JobStatus> after;         // each job's status after the effects
    std::optional<RunStatus> run_ends;    // the run's new status, if it ends
    std::optional<std::int64_t> pointer;  // superseded_by
  };
  const std::vector<Case> cases = {
      {"all unstarted: the run ends superseded",
       {J::pending, J::queued},
       {J::superseded, J::superseded},
       RunStatus::superseded,
       12},
      {"a running job keeps the run going",
       {J::running, J::pending},
       {J::running, J::superseded},
       std::nullopt,
       12},
      {"a failed job keeps the run red",
       {J::failed, J::pending},
       {J::failed, J::superseded},
       RunStatus::failed,
       12},
      {"nothing to take: no effects", {J::running, J::success}, {J::running, J::success}, {}, {}},
  };
  for (const auto& c : cases) {
    std::vector<JobView> jobs;
    for (std::size_t i = 0; i < c.jobs.size(); ++i)
      jobs.push_back(job(static_cast<std::int64_t>(i + 1), 7, "s/" + std::to_string(i), c.jobs[i]));
    const auto fx = on_superseded(run(RunStatus::running), jobs, 12, std::string(40, 'b'));
    std::vector<JobStatus> after = c.jobs;
    for (const auto& change : fx.jobs) {
      EXPECT_EQ(change.from, after[static_cast<std::size_t>(change.job_id - 1)]) << c.name;
      after[static_cast<std::size_t>(change.job_id - 1)] = change.to;
      if (change.to == J::superseded) {
        EXPECT_EQ(change.reason, "run 12 applies it at bbbbbbbbbbbb") << c.name;
      }
    }
    EXPECT_EQ(after, c.after) << c.name;
    ASSERT_EQ(fx.run.has_value(), c.run_ends.has_value()) << c.name;
    if (c.run_ends) {
      EXPECT_EQ(fx.run->to, *c.run_ends) << c.name;
    }
    EXPECT_EQ(fx.superseded_by, c.pointer) << c.name;
  }
}

TEST(OnSuperseded, LeavesOneRunLineNamingTheNewRunAndTheStacks) {
  const std::vector<JobView> jobs = {job(1, 7, "s/a", J::running), job(2, 7, "s/b", J::pending),
                                     job(3, 7, "s/c", J::queued)};
  const auto fx = on_superseded(run(RunStatus::running), jobs, 12, std::string(40, 'b'));
  std::vector<std::string> lines;
  for (const auto& e : fx.events) lines.push_back(describe(e).text);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0],
            "superseded by run 12 (bbbbbbbbbbbb): it takes over 2 stack(s) not started here: s/b "
            "s/c; running jobs finish here");
}

}  // namespace
}  // namespace stackrun::core
