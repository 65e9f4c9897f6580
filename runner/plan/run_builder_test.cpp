#include "runner/plan/run_builder.hpp"

#include <gtest/gtest.h>

namespace stackrun::plan {
namespace {

using pipelines::Event;
using Lines = std::vector<std::string>;

const std::string kTo(40, 't'), kBefore(40, 'b'), kOld(40, 'o');

// An apply pipeline over stacks/: platform (db, vault human-only) then apps.
PipelineFile apply_pipeline() {
  PipelineFile f;
  f.file = ".stackrun/apply.yml";
  f.yaml = "the snapshot";
  auto& p = f.pipeline;
  p.name = "apply";
  p.kind = pipelines::Kind::apply;
  pipelines::Condition on_push;
  on_push.events = {Event::push};
  on_push.branches = {"master"};
  p.when = {on_push};
  p.stacks.root = "stacks";
  p.stacks.human_only = {{"vault", "Tier-0, human-applied"}};
  pipelines::Tier platform;
  platform.name = "platform";
  platform.stacks = {"db", "vault"};
  pipelines::Tier apps;
  apps.name = "apps";
  apps.parallelism = 4;
  apps.needs = {"platform"};
  p.tiers = {platform, apps};
  p.on_failure.transient.attempts = 5;
  p.labels = {"zone=eu"};
  return f;
}

PipelineFile plan_pipeline() {
  PipelineFile f = apply_pipeline();
  f.file = ".stackrun/drift.yml";
  f.pipeline.name = "drift";
  f.pipeline.kind = pipelines::Kind::plan;
  f.pipeline.when[0].events = {Event::cron};
  return f;
}

RunInputs inputs(Lines changed) {
  RunInputs in;
  in.commit = kTo;
  in.ref = "refs/heads/master";
  in.before = kBefore;
  in.message = "a change";
  in.pipelines = {apply_pipeline(), plan_pipeline()};
  in.files = {"stacks/db/terragrunt.hcl", "stacks/vault/terragrunt.hcl",
              "stacks/web/terragrunt.hcl", "stacks/api/terragrunt.hcl", ".stackrun/apply.yml"};
  in.files_before = in.files;
  in.changed = changed;
  in.changed_since[kBefore] = changed;
  return in;
}

Lines stacks_of(const RunSpec& r) {
  Lines out;
  for (const auto& j : r.jobs)
    out.push_back(j.stack + ":" + std::string(core::to_string(j.status)));
  return out;
}

TEST(BuildRuns, APushRunsTheAdmittedPipelineOnTheChangedStacksInTierOrder) {
  auto runs = build_runs(inputs({"stacks/web/terragrunt.hcl", "stacks/db/main.tf"}),
                         {Event::push, "", "", ""});
  ASSERT_TRUE(runs) << runs.error();
  ASSERT_EQ(runs->size(), 1u);  // drift runs on cron only
  const RunSpec& r = runs->front();
  EXPECT_EQ(r.pipeline, "apply");
  EXPECT_EQ(r.pipeline_yaml, "the snapshot");
  EXPECT_EQ(r.kind, core::JobKind::apply);
  EXPECT_EQ(r.policy.transient.attempts, 5);
  EXPECT_EQ(stacks_of(r), (Lines{"stacks/db:pending", "stacks/web:pending"}));
  EXPECT_EQ(r.jobs[0].tier, "platform");
  EXPECT_EQ(r.jobs[0].label, "db");
  EXPECT_EQ(r.jobs[1].tier_needs, Lines{"platform"});
  EXPECT_EQ(r.jobs[1].parallelism, 4);
  EXPECT_EQ(r.jobs[1].labels, Lines{"zone=eu"});
  EXPECT_EQ(r.jobs[1].reason, "changed: stacks/web/terragrunt.hcl");
  EXPECT_EQ(r.lines,
            Lines{"apply (apply) at tttttttttttt on refs/heads/master, 2 stack(s) selected"});
}

TEST(BuildRuns, AHumanOnlyStackThatChangedIsShownSkippedWithItsReason) {
  auto runs = build_runs(inputs({"stacks/vault/terragrunt.hcl"}), {Event::push, "", "", ""});
  ASSERT_TRUE(runs);
  const RunSpec& r = runs->front();
  EXPECT_EQ(stacks_of(r), Lines{"stacks/vault:skipped"});
  EXPECT_EQ(r.jobs[0].reason, "excluded");
  EXPECT_EQ(r.jobs[0].result_reason, "human-only: Tier-0, human-applied");
}

TEST(BuildRuns, EachStackDiffsFromItsOwnAppliedCommit) {
  RunInputs in = inputs({"stacks/web/terragrunt.hcl"});
  in.applied["stacks/api"] = kOld;  // api was last applied long ago: changed since then
  in.changed_since[kOld] = {"stacks/api/terragrunt.hcl", "stacks/web/terragrunt.hcl"};
  in.applied["stacks/db"] = kBefore;
  auto runs = build_runs(in, {Event::push, "", "", ""});
  ASSERT_TRUE(runs);
  EXPECT_EQ(stacks_of(runs->front()), (Lines{"stacks/api:pending", "stacks/web:pending"}));
}

TEST(BuildRuns, AStackWhoseBaseLeftTheHistoryCountsAsNeverApplied) {
  RunInputs in = inputs({"stacks/web/terragrunt.hcl"});
  in.applied["stacks/api"] = kOld;  // no changed_since entry: force-pushed away
  auto runs = build_runs(in, {Event::push, "", "", ""});
  ASSERT_TRUE(runs);
  EXPECT_EQ(stacks_of(runs->front()), (Lines{"stacks/api:pending", "stacks/web:pending"}));
  EXPECT_EQ(runs->front().jobs[0].reason, "no previous apply recorded");
}

TEST(BuildRuns, ANeverAppliedStackDiffsFromItsFirstRunsBaseline) {
  RunInputs in = inputs({"stacks/web/terragrunt.hcl"});
  in.first_bases["stacks/api"] = kOld;  // its first apply failed: the next push retries it
  in.changed_since[kOld] = {"stacks/api/main.tf"};
  auto runs = build_runs(in, {Event::push, "", "", ""});
  ASSERT_TRUE(runs);
  EXPECT_EQ(stacks_of(runs->front()), (Lines{"stacks/api:pending", "stacks/web:pending"}));
}

TEST(BuildRuns, APushToAnotherBranchCreatesNothing) {
  RunInputs in = inputs({"stacks/web/terragrunt.hcl"});
  in.ref = "refs/heads/feature";
  auto runs = build_runs(in, {Event::push, "", "", ""});
  ASSERT_TRUE(runs);
  EXPECT_TRUE(runs->empty());
}

TEST(BuildRuns, RemovedStacksAreReportedNeverApplied) {
  RunInputs in = inputs({"stacks/old/terragrunt.hcl"});
  in.files_before.push_back("stacks/old/terragrunt.hcl");
  auto runs = build_runs(in, {Event::push, "", "", ""});
  ASSERT_TRUE(runs);
  EXPECT_TRUE(runs->front().jobs.empty());
  EXPECT_EQ(runs->front().lines.back(), "removed stacks (reported, never applied): stacks/old");
}

TEST(BuildRuns, AManualReapplyRunsOneStackWhetherOrNotItChanged) {
  auto runs = build_runs(inputs({"stacks/web/terragrunt.hcl"}), {Event::manual, "api", "", ""});
  ASSERT_TRUE(runs) << runs.error();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(stacks_of(runs->front()), Lines{"stacks/api:pending"});
  EXPECT_EQ(runs->front().jobs[0].reason, "manual re-apply");
  EXPECT_EQ(runs->front().jobs[0].tier, "apps");
  // By repo-relative path too, and a changed stack likewise.
  auto by_path =
      build_runs(inputs({"stacks/web/terragrunt.hcl"}), {Event::manual, "stacks/web", "", ""});
  ASSERT_TRUE(by_path);
  EXPECT_EQ(stacks_of(by_path->front()), Lines{"stacks/web:pending"});
}

TEST(BuildRuns, ManualReapplyErrorsNameTheStackAndWhy) {
  struct Case {
    std::string stack, error;
  };
  const std::vector<Case> cases = {
      {"nope", "no stack \"nope\" at tttttttttttt in pipeline .stackrun/apply.yml"},
      {"vault", "stack \"vault\" is not applied by stackrun: human-only: Tier-0, human-applied"},
  };
  for (const auto& c : cases) {
    auto runs = build_runs(inputs({}), {Event::manual, c.stack, "", ""});
    ASSERT_FALSE(runs) << c.stack;
    EXPECT_EQ(runs.error(), c.error);
  }
}

TEST(BuildRuns, ANamedPipelineMustExist) {
  auto runs = build_runs(inputs({}), {Event::push, "", "nightly", ""});
  ASSERT_FALSE(runs);
  EXPECT_EQ(runs.error(), "no pipeline named \"nightly\" in .stackrun/ at tttttttttttt");
  // It exists, but its `when` keeps this event out: said, not an empty answer.
  auto only_drift = build_runs(inputs({"stacks/web/x"}), {Event::push, "", "drift", ""});
  ASSERT_FALSE(only_drift);
  EXPECT_EQ(only_drift.error(),
            "pipeline \"drift\" does not run on push events at tttttttttttt (its `when` admits "
            "none, or its conditions exclude this one)");
  auto manual = build_runs(inputs({}), {Event::manual, "", "drift", ""});
  ASSERT_FALSE(manual);
  EXPECT_EQ(manual.error(),
            "pipeline \"drift\" does not run on manual events at tttttttttttt (its `when` admits "
            "none; add `- event: manual`, or its conditions exclude this one)");
}

TEST(BuildRuns, AManualRunOfANamedPipelinePlansWhatItsSelectChooses) {
  RunInputs in = inputs({});
  in.pipelines[1].pipeline.when[0].events = {Event::cron, Event::manual};
  in.pipelines[1].pipeline.stacks.select = pipelines::Discovery::Select::all;
  auto runs = build_runs(in, {Event::manual, "", "drift", ""});
  ASSERT_TRUE(runs) << runs.error();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().pipeline, "drift");
  EXPECT_EQ(runs->front().kind, core::JobKind::plan);
  EXPECT_EQ(stacks_of(runs->front()), (Lines{"stacks/db:pending", "stacks/api:pending",
                                             "stacks/web:pending", "stacks/vault:skipped"}));
}

TEST(BuildRuns, ACronEventRunsThePipelinesWhoseConditionNamesThatSchedule) {
  RunInputs in = inputs({});
  in.pipelines[1].pipeline.when[0].crons = {"nightly"};
  in.pipelines[1].pipeline.stacks.select = pipelines::Discovery::Select::all;
  auto runs = build_runs(in, {Event::cron, "", "drift", "nightly"});
  ASSERT_TRUE(runs) << runs.error();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().kind, core::JobKind::plan);
  // Another schedule's name does not admit it.
  auto other = build_runs(in, {Event::cron, "", "drift", "weekly"});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error(),
            "pipeline \"drift\" does not run on cron events at tttttttttttt (its `when` admits "
            "none, or its conditions exclude this one)");
}

TEST(BuildRuns, StacksThatCannotBeOrderedAreRefusedNamingTheCycle) {
  RunInputs in = inputs({"stacks/web/x", "stacks/api/x"});
  in.configs["stacks/web"].dependencies = {"stacks/api"};
  in.configs["stacks/api"].dependencies = {"stacks/web"};
  auto runs = build_runs(in, {Event::push, "", "", ""});
  ASSERT_FALSE(runs);
  EXPECT_EQ(runs.error(),
            "pipeline apply at tttttttttttt cannot order its stacks: dependency cycle: "
            "stacks/api -> stacks/web -> stacks/api");
  // Without the cycle, the run waits web for api.
  in.configs["stacks/api"].dependencies.clear();
  auto ordered = build_runs(in, {Event::push, "", "", ""});
  ASSERT_TRUE(ordered) << ordered.error();
  for (const auto& j : ordered->front().jobs) {
    if (j.stack == "stacks/web") {
      EXPECT_EQ(j.needs, std::vector<std::string>{"stacks/api"});
    }
  }
  // A plan pipeline (a drift run) plans every stack without waiting, cycle or not.
  in.configs["stacks/api"].dependencies = {"stacks/web"};
  in.pipelines[1].pipeline.when[0].events = {Event::manual};
  in.pipelines[1].pipeline.stacks.select = pipelines::Discovery::Select::all;
  auto drift = build_runs(in, {Event::manual, "", "drift", ""});
  ASSERT_TRUE(drift) << drift.error();
  for (const auto& j : drift->front().jobs) EXPECT_TRUE(j.needs.empty()) << j.stack;
}

TEST(BuildRuns, WithoutABeforeCommitEveryStackIsNew) {
  RunInputs in = inputs({});
  in.before.clear();
  in.changed.reset();
  in.changed_since.clear();
  auto runs = build_runs(in, {Event::push, "", "", ""});
  ASSERT_TRUE(runs);
  EXPECT_EQ(stacks_of(runs->front()), (Lines{"stacks/db:pending", "stacks/api:pending",
                                             "stacks/web:pending", "stacks/vault:skipped"}));
}

}  // namespace
}  // namespace stackrun::plan
