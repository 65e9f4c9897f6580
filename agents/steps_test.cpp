// run_steps with a FakeProcessRunner: verdicts of the agent's own failure modes.
#include "agents/steps.hpp"

#include <gtest/gtest.h>

#include "tests/support/fake_process_runner.hpp"

namespace stackrun::agent {
namespace {

using testing::FakeProcessRunner;

const char* kTwoSteps = R"(version: 1
name: apply
when: [{event: push}]
steps:
  - {name: one, command: "true", timeout: 5m, exit_codes: {2: drift}}
  - {name: two, command: terragrunt apply}
)";

struct StepsRun {
  FakeProcessRunner runner;
  std::string output, notes;
  bool stop = false, self_fenced = false;
  wire::Offer job;

  explicit StepsRun(std::string yaml = kTwoSteps) {
    job.stack = "stacks/app";
    job.commit = "0123456789abcdef";
    job.pipeline_file = ".stackrun/apply.yml";
    job.pipeline_yaml = std::move(yaml);
  }
  Outcome go() {
    const StepHooks hooks{[this](std::string_view b) { output += b; },
                          [this](std::string_view l) { notes += std::string(l) + "\n"; },
                          [this] { return stop; }, [this] { return self_fenced; }};
    return run_steps({job, "/ws", {}, std::chrono::seconds(1)}, runner, hooks);
  }
};

TEST(RunSteps, StopsAtTheFirstStepThatIsNotSuccessAndMapsExitCodes) {
  StepsRun r;
  r.runner.push({.output = {"Plan: 1 to change\n"}, .exit_code = 2});
  const Outcome o = r.go();
  EXPECT_EQ(r.runner.calls().size(), 1u);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.verdict.cls, core::Class::drift);
  EXPECT_EQ(o.verdict.rule, "exit:2");
  EXPECT_EQ(r.runner.calls()[0].launch.timeout, core::Duration(std::chrono::minutes(5)));
}

TEST(RunSteps, TimeoutIsFatalAgentTimeout) {
  StepsRun r;
  r.runner.push({.exit_code = 130, .timed_out = true});
  const Outcome o = r.go();
  EXPECT_EQ(o.verdict.cls, core::Class::fatal);
  EXPECT_EQ(o.verdict.rule, "agent.timeout");
  EXPECT_EQ(o.verdict.line, "step \"one\" timed out after 5m");
}

TEST(RunSteps, SpawnFailureIsFatalAgentSpawnAndNoted) {
  StepsRun r;
  r.runner.push({.start_error = "cannot start \"/bin/sh\": No such file or directory"});
  const Outcome o = r.go();
  EXPECT_EQ(o.exit_code, 127);
  EXPECT_EQ(o.verdict.rule, "agent.spawn");
  EXPECT_NE(r.notes.find("cannot start"), std::string::npos);
}

TEST(RunSteps, SelfFencedStepIsReportedSo) {
  StepsRun r;
  r.runner.push({.until_stopped = true});
  r.stop = r.self_fenced = true;
  // Stop already requested: the first step does not even start.
  Outcome o = r.go();
  EXPECT_TRUE(r.runner.calls().empty());
  EXPECT_EQ(o.verdict.rule, "agent.self-fenced");
}

TEST(RunSteps, BadPipelineIsFatalAgentPipelineWithItsLocation) {
  StepsRun r("version: 1\nname: x\nsteps: 7\n");
  const Outcome o = r.go();
  EXPECT_TRUE(r.runner.calls().empty());
  EXPECT_EQ(o.verdict.rule, "agent.pipeline");
  EXPECT_EQ(o.verdict.line.rfind(".stackrun/apply.yml:", 0), 0u) << o.verdict.line;
}

TEST(RunSteps, OutputAndCommandLinesGoToOutputNotesNameTheStep) {
  StepsRun r;
  r.runner.push({.output = {"ok\n"}});
  r.runner.push({.output = {"done\n"}});
  const Outcome o = r.go();
  EXPECT_EQ(o.verdict.cls, core::Class::success);
  EXPECT_EQ(r.output, "$ true\nok\n$ terragrunt apply\ndone\n");
  EXPECT_EQ(r.notes,
            "apply stacks/app @ 0123456789ab step \"one\"\n"
            "apply stacks/app @ 0123456789ab step \"two\"\n");
}

}  // namespace
}  // namespace stackrun::agent
