// The destroy guard on the agent: run_steps stops after the step that saves a plan when the
// plan deletes anything (show -json or, without it, the plan summary in the output), carries the
// plan's bytes and digest, goes on when it deletes nothing or the guard allows it, fails when it
// cannot tell; and an approved job's plan is restored and only the steps after it run.
#include "agents/saved_plan.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/fake_process_runner.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::agent {
namespace {

using testing::FakeProcessRunner;

std::string pipeline(const std::string& guard, const std::string& saved_plan) {
  return "version: 1\nname: apply\nwhen: [{event: push}]\n" +
         (guard.empty() ? "" : "guards: {destroy: " + guard + "}\n") +
         "steps:\n  - {name: plan, command: plan, dir: live, saved_plan: " + saved_plan +
         "}\n  - {name: apply, command: apply}\n";
}

const char* kJson = R"({"format_version":"1.2","resource_changes":[
  {"address":"helm_release.this","change":{"actions":["update"]}},
  {"address":"kubernetes_secret.legacy","change":{"actions":["delete"]}}]})";

const char* kCreateOnlyJson =
    R"({"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["create"]}}]})";

const char* kDestroySummary =
    "  # kubernetes_secret.legacy will be destroyed\n"
    "Plan: 0 to add, 1 to change, 1 to destroy.\n";

struct GuardRun {
  FakeProcessRunner runner;
  wire::Offer job;
  testing::TempDir dir;
  std::optional<AttemptDir> attempt;
  std::optional<SpoolWriter> spool;
  std::string workspace;

  explicit GuardRun(std::string yaml) {
    job.attempt_id = 7;
    job.stack = "stacks/app";
    job.commit = "0123456789abcdef";
    job.pipeline_file = ".stackrun/apply.yml";
    job.pipeline_yaml = std::move(yaml);
    attempt.emplace(*AttemptDir::create((dir.path() / "agent").string(), job));
    spool.emplace(std::move(SpoolWriter::open(attempt->spool()).value()));
    workspace = (dir.path() / "ws").string();
    std::filesystem::create_directories(stack_dir() + "/live");
  }
  std::string stack_dir() const { return workspace + "/stacks/app"; }
  void write(const std::string& rel, const std::string& content) const {
    testing::write_file(stack_dir() + "/" + rel, content);
  }
  Outcome go(std::size_t first = 0) {
    const StepHooks hooks{[] { return false; }, [] { return false; }};
    return run_steps({job, workspace, {}, std::chrono::seconds(1), *attempt, *spool, first}, runner,
                     hooks);
  }
  std::string output() const {
    std::ifstream f(attempt->spool(), std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
};

TEST(SavedPlanGuard, APlanThatDeletesStopsBeforeTheApplyWithItsBytesAndDigest) {
  GuardRun r(pipeline("", "{file: tfplan, json: tfplan.json}"));
  r.write("live/tfplan", std::string("PK\x03\x04\0binary", 11));
  r.write("live/tfplan.json", kJson);
  r.runner.push({.output = {"Plan: 0 to add, 1 to change, 1 to destroy.\n"}});
  const Outcome o = r.go();
  ASSERT_EQ(r.runner.calls().size(), 1u) << "the apply step must not run";
  ASSERT_TRUE(o.guard);
  EXPECT_EQ(o.verdict.cls, core::Class::success);
  EXPECT_EQ(o.guard->stop, (core::GuardStop{core::DestroyGuard::approve,
                                            {{"kubernetes_secret.legacy", "destroy"}},
                                            0,
                                            "show -json"}));
  EXPECT_EQ(o.guard->plan.step, 0);
  EXPECT_EQ(o.guard->plan.path, "live/tfplan");
  EXPECT_EQ(o.guard->plan.data, std::string("PK\x03\x04\0binary", 11));
  EXPECT_EQ(o.guard->plan.sha256, sha256_hex(o.guard->plan.data));
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(r.output().find("[stackrun] destroy guard: the plan destroys 1 resource: destroy "
                            "kubernetes_secret.legacy (from show -json); not applying live/tfplan "
                            "(guards.destroy: approve)\n"),
            std::string::npos)
      << r.output();
}

TEST(SavedPlanGuard, WithoutJsonThePlanSummaryDecidesAndRefuseIsCarried) {
  GuardRun r(pipeline("refuse", "tfplan"));
  r.write("live/tfplan", "plan bytes");
  r.runner.push({.output = {kDestroySummary}});
  const Outcome o = r.go();
  ASSERT_TRUE(o.guard);
  EXPECT_EQ(o.guard->stop.guard, core::DestroyGuard::refuse);
  EXPECT_EQ(o.guard->stop.source, "plan summary");
  EXPECT_EQ(o.guard->stop.destroys,
            (std::vector<core::PlanChange>{{"kubernetes_secret.legacy", "destroy"}}));
  EXPECT_EQ(r.runner.calls().size(), 1u);
}

TEST(SavedPlanGuard, APlanThatDeletesNothingOrAnAllowGuardGoesOnToTheApply) {
  {
    GuardRun r(pipeline("", "{file: tfplan, json: tfplan.json}"));
    r.write("live/tfplan", "p");
    r.write("live/tfplan.json", kCreateOnlyJson);
    r.runner.push({.output = {"Plan: 1 to add, 0 to change, 0 to destroy.\n"}});
    r.runner.push({.output = {"Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n"}});
    const Outcome o = r.go();
    EXPECT_FALSE(o.guard);
    EXPECT_EQ(r.runner.calls().size(), 2u);
    EXPECT_NE(r.output().find("destroy guard: the saved plan live/tfplan destroys nothing"),
              std::string::npos);
  }
  {
    GuardRun r(pipeline("allow", "tfplan"));  // not even read: no file needed
    r.runner.push({.output = {kDestroySummary}});
    r.runner.push({.output = {"Apply complete!\n"}});
    const Outcome o = r.go();
    EXPECT_FALSE(o.guard);
    EXPECT_EQ(r.runner.calls().size(), 2u);
  }
}

TEST(SavedPlanGuard, WhatItCannotReadFailsTheJobNeverApplies) {
  struct Case {
    const char* name;
    std::string saved_plan, json, output;
    bool write_plan;
    std::string want_line;
  };
  const std::vector<Case> cases = {
      {"no JSON file", "{file: tfplan, json: tfplan.json}", "", "Plan: 0 to add\n", true,
       "cannot read the plan's JSON (saved_plan.json): "},
      {"JSON that is not a plan", "{file: tfplan, json: tfplan.json}", "{\"x\":1}", "", true,
       "live/tfplan.json: no \"format_version\": not the output of `terraform show -json "
       "PLANFILE`"},
      {"neither JSON nor a summary", "tfplan", "", "some output\n", true,
       "cannot tell what the saved plan deletes: step \"plan\" printed no plan summary"},
      {"the plan file is missing", "tfplan", "", kDestroySummary, false,
       "cannot keep the saved plan: "},
  };
  for (const auto& c : cases) {
    GuardRun r(pipeline("", c.saved_plan));
    if (c.write_plan) r.write("live/tfplan", "p");
    if (!c.json.empty()) r.write("live/tfplan.json", c.json);
    r.runner.push({.output = {c.output}});
    const Outcome o = r.go();
    EXPECT_FALSE(o.guard) << c.name;
    EXPECT_EQ(r.runner.calls().size(), 1u) << c.name;
    EXPECT_EQ(o.verdict.cls, core::Class::fatal) << c.name;
    EXPECT_EQ(o.verdict.rule, "agent.saved-plan") << c.name;
    EXPECT_EQ(o.verdict.line.find(c.want_line), 0u) << c.name << ": " << o.verdict.line;
  }
}

TEST(SavedPlanGuard, AnApprovedPlanIsRestoredAndOnlyTheStepsAfterItRun) {
  GuardRun r(pipeline("", "{file: tfplan, json: tfplan.json}"));
  const std::string bytes("PK\x03\x04\0approved", 13);
  r.job.approved_plan = wire::SavedPlanFile{0, "live/tfplan", sha256_hex(bytes), bytes};
  r.job.approved_by = "alice";
  r.runner.push({.output = {"Apply complete! Resources: 0 added, 0 changed, 1 destroyed.\n"}});
  const Outcome o = r.go();
  EXPECT_FALSE(o.guard);
  EXPECT_EQ(o.verdict.cls, core::Class::success);
  ASSERT_EQ(r.runner.calls().size(), 1u);
  EXPECT_EQ(r.runner.calls()[0].launch.argv.back(), "apply");
  std::ifstream in(r.stack_dir() + "/live/tfplan", std::ios::binary);
  std::stringstream restored;
  restored << in.rdbuf();
  EXPECT_EQ(restored.str(), bytes);
  EXPECT_NE(r.output().find("[stackrun] applying the plan approved by alice (live/tfplan, sha256 "),
            std::string::npos)
      << r.output();
}

TEST(SavedPlanGuard, AnApprovedPlanThatDoesNotMatchIsNotApplied) {
  const std::string bytes = "plan";
  struct Case {
    wire::SavedPlanFile plan;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{0, "live/tfplan", std::string(64, '0'), bytes},
       "the approved plan's bytes do not match its sha256"},
      {{0, "tfplan", sha256_hex(bytes), bytes},
       "the approved plan lies at tfplan, the pipeline saves it at live/tfplan"},
      {{1, "live/tfplan", sha256_hex(bytes), bytes},
       "the approved plan was saved by step 1, which does not save a plan in this pipeline"},
  };
  for (const auto& c : cases) {
    GuardRun r(pipeline("", "tfplan"));
    r.job.approved_plan = c.plan;
    const Outcome o = r.go();
    EXPECT_TRUE(r.runner.calls().empty());
    EXPECT_EQ(o.verdict.rule, "agent.saved-plan");
    EXPECT_EQ(o.verdict.line.find(c.want), 0u) << o.verdict.line;
  }
}

}  // namespace
}  // namespace stackrun::agent
