// run_steps and resume_step with a FakeProcessRunner (which writes its script's output to the
// spool): verdicts of the agent's own failure modes, and classification of the spool's end.
#include "agents/steps.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/fake_process_runner.hpp"
#include "tests/support/temp_dir.hpp"

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

const char* kOneStep = R"(version: 1
name: apply
when: [{event: push}]
steps:
  - {name: one, command: x}
)";

struct StepsRun {
  FakeProcessRunner runner;
  bool stop = false, self_fenced = false;
  wire::Offer job;
  testing::TempDir dir;
  std::optional<AttemptDir> attempt;
  std::optional<SpoolWriter> spool;

  explicit StepsRun(std::string yaml = kTwoSteps) {
    job.attempt_id = 7;
    job.stack = "stacks/app";
    job.commit = "0123456789abcdef";
    job.pipeline_file = ".stackrun/apply.yml";
    job.pipeline_yaml = std::move(yaml);
    attempt.emplace(*AttemptDir::create(dir.path().string(), job));
    spool.emplace(std::move(SpoolWriter::open(attempt->spool()).value()));
  }
  StepHooks hooks() {
    return {[this] { return stop; }, [this] { return self_fenced; }};
  }
  Outcome go(std::size_t first_step = 0) {
    return run_steps({job, "/ws", {}, std::chrono::seconds(1), *attempt, *spool, first_step},
                     runner, hooks());
  }
  std::string output() const {
    std::ifstream f(attempt->spool(), std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
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
  EXPECT_NE(r.output().find("[stackrun] cannot start \"/bin/sh\""), std::string::npos);
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

TEST(RunSteps, EachStepsLinesThenItsOutputGoToTheSpool) {
  StepsRun r;
  r.runner.push({.output = {"ok"}});  // unterminated: the next line still starts on its own
  r.runner.push({.output = {"done\n"}});
  const Outcome o = r.go();
  EXPECT_EQ(o.verdict.cls, core::Class::success);
  EXPECT_EQ(r.output(),
            "[stackrun] apply stacks/app @ 0123456789ab step \"one\"\n$ true\nok\n"
            "[stackrun] apply stacks/app @ 0123456789ab step \"two\"\n$ terragrunt apply\n"
            "done\n");
  const auto calls = r.runner.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].files.spool, r.attempt->spool());
  EXPECT_EQ(calls[0].files.dir, r.attempt->path() + "/step-0");
  EXPECT_EQ(calls[1].files.dir, r.attempt->path() + "/step-1");
  const auto last = r.attempt->last_step();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->first, 1u);
  const std::string before_two =
      "[stackrun] apply stacks/app @ 0123456789ab step \"one\"\n"
      "$ true\nok\n";
  EXPECT_EQ(last->second.header, before_two.size());
  EXPECT_EQ(last->second.start, r.output().size() - std::string("done\n").size());
}

// The classifier sees the step's own output only, and a line number counts from its first line.
TEST(RunSteps, ClassifiesTheStepsOwnOutputWithLineNumbersFromItsStart) {
  StepsRun r(kOneStep);
  r.runner.push({.output = {"a\nb\nError: boom\n"}, .exit_code = 1});
  const Outcome o = r.go();
  EXPECT_EQ(o.verdict.cls, core::Class::fatal);
  EXPECT_EQ(o.verdict.line, "Error: boom");
  EXPECT_EQ(o.verdict.line_no, 3);
}

// A step printing more than the classifier reads: only the end is read, the line number is
// still the line's in the whole output, and the verdict sees the error at the end.
TEST(RunSteps, LongOutputIsClassifiedOnItsEnd) {
  StepsRun r(kOneStep);
  std::string filler;
  for (int i = 0; i < 300'000; ++i) filler += "copying file" + std::to_string(i) + "\n";
  ASSERT_GT(filler.size(), kTailBytes);
  r.runner.push({.output = {filler, "Error: disk full\n"}, .exit_code = 1});
  const Outcome o = r.go();
  EXPECT_EQ(o.verdict.line, "Error: disk full");
  EXPECT_EQ(o.verdict.line_no, 300'001);
}

TEST(ResumeStep, NothingStartedIsNullopt) {
  StepsRun r;
  EXPECT_FALSE(resume_step(r.job, *r.attempt, *r.spool, r.runner, r.hooks()).has_value());
  EXPECT_TRUE(r.runner.calls().empty());
}

// The agent died while step "two" ran; its supervisor recorded the outcome.
TEST(ResumeStep, WaitsForTheRunningStepAndClassifiesItsOutput) {
  StepsRun r;
  r.runner.push({.output = {"ok\n"}});
  r.runner.push({.output = {"Plan: 1 to change\n"}, .exit_code = 3});
  (void)r.go();  // both ran
  r.runner.push({.output = {"Error: more\n"}, .exit_code = 1});
  const auto resumed = resume_step(r.job, *r.attempt, *r.spool, r.runner, r.hooks());
  ASSERT_TRUE(resumed.has_value());
  EXPECT_EQ(resumed->index, 1u);
  EXPECT_TRUE(resumed->last);
  ASSERT_TRUE(resumed->outcome.has_value());
  EXPECT_EQ(resumed->outcome->exit_code, 1);
  EXPECT_EQ(resumed->outcome->verdict.line, "Error: more");
  EXPECT_EQ(resumed->outcome->verdict.line_no, 2) << "the step's second line";
  const auto calls = r.runner.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_TRUE(calls[2].resumed);
  EXPECT_EQ(calls[2].files.dir, r.attempt->path() + "/step-1");
}

TEST(RunSteps, FirstStepSkipsTheEarlierOnes) {
  StepsRun r;
  r.runner.push({.output = {"two ran\n"}});
  const Outcome o = r.go(1);
  ASSERT_EQ(r.runner.calls().size(), 1u);
  EXPECT_EQ(r.runner.calls()[0].launch.argv.back(), "terragrunt apply");
  EXPECT_EQ(o.verdict.cls, core::Class::success);
}

// Compile once: every attempt of a run carries the same pipeline snapshot; the agent decodes
// it and compiles its rules the first time only. Another snapshot is compiled on its own.
TEST(RunSteps, APipelineSnapshotIsDecodedAndCompiledOncePerProcess) {
  const std::string unique = std::string(kTwoSteps) + "# snapshot " +
                             std::to_string(reinterpret_cast<std::uintptr_t>(&unique)) + "\n";
  const std::uint64_t before = compiled_snapshots();
  for (int i = 0; i < 3; ++i) {
    StepsRun r(unique);
    r.runner.push({.output = {"ok\n"}});
    r.runner.push({.output = {"done\n"}});
    EXPECT_EQ(r.go().verdict.cls, core::Class::success);
  }
  EXPECT_EQ(compiled_snapshots(), before + 1);
  StepsRun other(unique + "# another snapshot\n");
  other.runner.push({.output = {"ok\n"}});
  other.runner.push({.output = {"done\n"}});
  other.go();
  EXPECT_EQ(compiled_snapshots(), before + 2);
  // One that does not load is refused each time, never cached as if it did.
  StepsRun bad("version: 1\nname: x\nsteps: 7\n");
  EXPECT_EQ(bad.go().verdict.rule, "agent.pipeline");
  EXPECT_EQ(bad.go().verdict.rule, "agent.pipeline");
  EXPECT_EQ(compiled_snapshots(), before + 2);
}

}  // namespace
}  // namespace stackrun::agent
