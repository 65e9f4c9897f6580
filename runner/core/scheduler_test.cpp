#include "runner/core/scheduler.hpp"

#include <gtest/gtest.h>

namespace stackrun::core {
namespace {

JobView job(std::int64_t id, std::int64_t run, const std::string& stack, const std::string& tier,
            const std::string& status, int parallelism = 1, std::vector<std::string> needs = {},
            std::vector<std::string> labels = {}) {
  JobView j;
  j.id = id;
  j.run_id = run;
  j.repo_id = 1;
  j.stack = stack;
  j.tier = tier;
  j.status = parse_job_status(status).value();
  j.parallelism = parallelism;
  j.tier_needs = std::move(needs);
  j.labels = std::move(labels);
  return j;
}

JobView plan(std::int64_t id, std::int64_t run, const std::string& stack,
             const std::string& status) {
  JobView j = job(id, run, stack, "all", status, 4);
  j.kind = JobKind::plan;
  return j;
}

struct PickCase {
  const char* name;
  std::vector<JobView> claimable, running;
  std::vector<std::string> agent_labels;
  std::optional<std::size_t> expected;
};

TEST(PickJob, Table) {
  const std::vector<PickCase> cases = {
      {"nothing queued", {}, {}, {}, std::nullopt},
      {"first free job",
       {job(1, 1, "a", "apps", "queued", 2), job(2, 1, "b", "apps", "queued", 2)},
       {},
       {},
       0},
      {"stack busy in another run",
       {job(1, 2, "a", "apps", "queued", 4), job(2, 2, "b", "apps", "queued", 4)},
       {job(9, 1, "a", "apps", "running")},
       {},
       1},
      {"same stack other repo is not busy",
       {job(1, 2, "a", "apps", "queued", 4)},
       {[] {
         auto j = job(9, 1, "a", "apps", "running");
         j.repo_id = 2;
         return j;
       }()},
       {},
       0},
      {"tier parallelism reached",
       {job(3, 1, "c", "apps", "queued", 2)},
       {job(1, 1, "a", "apps", "running", 2), job(2, 1, "b", "apps", "running", 2)},
       {},
       std::nullopt},
      {"parallelism counts per run",
       {job(3, 2, "c", "apps", "queued", 1)},
       {job(1, 1, "a", "apps", "running", 1)},
       {},
       0},
      {"serial platform tier",
       {job(2, 1, "b", "platform", "queued", 1)},
       {job(1, 1, "a", "platform", "running", 1)},
       {},
       std::nullopt},
      {"labels missing",
       {job(1, 1, "a", "apps", "queued", 1, {}, {"zone=eu"})},
       {},
       {"zone=us"},
       std::nullopt},
      {"labels present",
       {job(1, 1, "a", "apps", "queued", 1, {}, {"zone=eu"})},
       {},
       {"x", "zone=eu"},
       0},
      {"zero parallelism treated as one", {job(1, 1, "a", "apps", "queued", 0)}, {}, {}, 0},
      // A stack's runs apply in run order: an older run's unfinished job on it holds newer ones
      // back.
      {"older run still to apply the stack",
       {job(5, 2, "a", "apps", "queued", 4), job(6, 2, "b", "apps", "queued", 4)},
       {job(1, 1, "a", "apps", "pending", 4), job(5, 2, "a", "apps", "queued", 4),
        job(6, 2, "b", "apps", "queued", 4)},
       {},
       1},
      {"older run queued behind a retry wait",
       {job(5, 2, "a", "apps", "queued", 4)},
       {job(1, 1, "a", "apps", "queued", 4), job(5, 2, "a", "apps", "queued", 4)},
       {},
       std::nullopt},
      {"older run is first in claim order",
       {job(1, 1, "a", "apps", "queued", 4), job(5, 2, "a", "apps", "queued", 4)},
       {job(1, 1, "a", "apps", "queued", 4), job(5, 2, "a", "apps", "queued", 4)},
       {},
       0},
      {"newer run's unfinished job does not hold an older one",
       {job(1, 1, "a", "apps", "queued", 4)},
       {job(1, 1, "a", "apps", "queued", 4), job(5, 2, "a", "apps", "pending", 4)},
       {},
       0},
      {"older run's job on another repo does not hold",
       {job(5, 2, "a", "apps", "queued", 4)},
       {[] {
          auto j = job(1, 1, "a", "apps", "pending");
          j.repo_id = 2;
          return j;
        }(),
        job(5, 2, "a", "apps", "queued", 4)},
       {},
       0},
      // Applies before plans on a stack (a nightly drift plan queued before a push's apply).
      {"an older run's queued plan does not hold an apply back",
       {plan(1, 1, "a", "queued"), job(5, 2, "a", "apps", "queued", 4)},
       {plan(1, 1, "a", "queued"), job(5, 2, "a", "apps", "queued", 4)},
       {},
       1},
      {"an older run's running plan does: it is never killed, the apply waits",
       {job(5, 2, "a", "apps", "queued", 4)},
       {plan(1, 1, "a", "running"), job(5, 2, "a", "apps", "queued", 4)},
       {},
       std::nullopt},
      {"a plan waits while an apply of its stack is queued, even a newer run's",
       {plan(1, 1, "a", "queued"), plan(2, 1, "b", "queued")},
       {plan(1, 1, "a", "queued"), plan(2, 1, "b", "queued"), job(5, 2, "a", "apps", "queued", 4)},
       {},
       1},
      {"...but not for one still pending behind its tier",
       {plan(1, 1, "a", "queued")},
       {plan(1, 1, "a", "queued"), job(5, 2, "a", "apps", "pending", 4)},
       {},
       0},
      {"plans keep run order among themselves",
       {plan(5, 2, "a", "queued")},
       {plan(1, 1, "a", "pending"), plan(5, 2, "a", "queued")},
       {},
       std::nullopt},
      {"pending and queued jobs do not count toward parallelism",
       {job(3, 1, "c", "apps", "queued", 1)},
       {job(1, 1, "a", "apps", "pending", 1), job(2, 1, "b", "apps", "queued", 1),
        job(3, 1, "c", "apps", "queued", 1)},
       {},
       0},
  };
  for (const auto& c : cases)
    EXPECT_EQ(pick_job(c.claimable, c.running, c.agent_labels), c.expected) << c.name;
}

TEST(JobsToRelease, Table) {
  // platform (a, b) then apps (c) needing platform.
  std::vector<JobView> jobs = {job(1, 1, "a", "platform", "success"),
                               job(2, 1, "b", "platform", "running"),
                               job(3, 1, "c", "apps", "pending", 1, {"platform"})};
  EXPECT_TRUE(jobs_to_release(jobs).empty());
  jobs[1].status =
      JobStatus::failed;  // a failed platform stack does not stop apps (seed behaviour)
  EXPECT_EQ(jobs_to_release(jobs), std::vector<std::int64_t>{3});
  jobs[1].status = JobStatus::queued;
  EXPECT_TRUE(jobs_to_release(jobs).empty());
  // needs a tier that has no jobs in this run: ready at once.
  std::vector<JobView> lone = {job(4, 1, "d", "apps", "pending", 1, {"platform"})};
  EXPECT_EQ(jobs_to_release(lone), std::vector<std::int64_t>{4});
  // no needs: ready.
  std::vector<JobView> free_tier = {job(5, 1, "e", "x", "pending")};
  EXPECT_EQ(jobs_to_release(free_tier), std::vector<std::int64_t>{5});
  // non-pending jobs are never released twice.
  std::vector<JobView> queued = {job(6, 1, "f", "x", "queued")};
  EXPECT_TRUE(jobs_to_release(queued).empty());
}

// Within a tier, a stack starts after the stacks it depends on ended well; a dependency that
// ended badly skips it, naming the dependency.
TEST(JobsToRelease, DependenciesOrderATierAndABadOneSkips) {
  struct Row {
    const char* name;
    const char* dep_status;  // status of stacks/vpc
    std::vector<std::int64_t> released;
    std::vector<std::pair<std::int64_t, std::string>> skipped;
  } rows[] = {
      {"dependency still queued", "queued", {1}, {}},
      {"dependency running", "running", {}, {}},
      {"dependency succeeded", "success", {2}, {}},
      {"dependency found drift (a plan)", "drift", {2}, {}},
      {"dependency failed", "failed", {}, {{2, "dependency stacks/vpc failed"}}},
      {"dependency skipped", "skipped", {}, {{2, "dependency stacks/vpc skipped"}}},
      {"dependency cancelled", "cancelled", {}, {{2, "dependency stacks/vpc cancelled"}}},
      {"dependency interrupted", "interrupted", {}, {{2, "dependency stacks/vpc interrupted"}}},
  };
  for (const auto& r : rows) {
    auto vpc = job(1, 1, "stacks/vpc", "all", r.dep_status);
    if (vpc.status == JobStatus::queued) vpc.status = JobStatus::pending;  // not yet released
    auto app = job(2, 1, "stacks/app", "all", "pending");
    app.needs = {"stacks/vpc", "stacks/not-in-this-run"};  // a stack the run lacks: no wait
    const std::vector<JobView> jobs = {vpc, app};
    EXPECT_EQ(jobs_to_release(jobs), r.released) << r.name;
    EXPECT_EQ(jobs_to_skip(jobs), r.skipped) << r.name;
  }
}

TEST(RunOutcome, Table) {
  struct C {
    std::vector<std::string> statuses;
    std::optional<std::string> expected;
  };
  const std::vector<C> cases = {
      {{}, "success"},
      {{"success", "skipped"}, "success"},
      {{"success", "skipped", "drift"}, "drift"},
      {{"drift", "failed"}, "failed"},
      {{"drift", "superseded"}, "superseded"},
      {{"success", "failed"}, "failed"},
      {{"success", "interrupted"}, "failed"},
      {{"cancelled", "success"}, "cancelled"},
      {{"cancelled", "failed"}, "failed"},
      {{"success", "running"}, std::nullopt},
      {{"queued"}, std::nullopt},
      {{"pending", "failed"}, std::nullopt},
  };
  for (const auto& c : cases) {
    std::vector<JobView> jobs;
    for (const auto& s : c.statuses) jobs.push_back(job(1, 1, "a", "t", s));
    const auto outcome = run_outcome(jobs);
    const std::optional<std::string> got =
        outcome ? std::optional<std::string>(std::string(to_string(*outcome))) : std::nullopt;
    EXPECT_EQ(got, c.expected) << ::testing::PrintToString(c.statuses);
  }
}

TEST(SplitCsv, DropsEmpty) {
  EXPECT_EQ(split_csv(""), std::vector<std::string>{});
  EXPECT_EQ(split_csv("a,,b,"), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace stackrun::core
