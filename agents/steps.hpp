#pragma once
// Running a job's steps: the pipeline's steps in order, each a shell launch in the stack's
// directory of the workspace, its output classified. Processes go through the injected
// ProcessRunner; everything about the server goes through StepHooks.
#include <functional>
#include <string>
#include <string_view>

#include "runner/core/verdict.hpp"
#include "runner/proc/launch.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

struct StepHooks {
  std::function<void(std::string_view)> output;  // step output and the "$ cmd" lines
  std::function<void(std::string_view)> note;    // stackrun's own lines
  std::function<bool()> should_stop;             // polled while a step runs
  std::function<bool()> self_fenced;             // asked after a step ends
};

struct StepsInput {
  const wire::Offer& job;
  std::string workspace;   // holds the job's commit; steps run in <workspace>/<stack>/<dir>
  proc::EnvList base_env;  // before the CI_* variables and the step's env
  core::Duration grace;    // SIGINT -> SIGTERM -> SIGKILL spacing
};

struct Outcome {
  int exit_code = 0;
  core::Verdict verdict;
};

// Runs until a step's verdict is not success or a step was stopped. The verdict: the
// classifier's (built-ins plus the pipeline's rules and exit codes) on the last step's output,
// except fatal agent.timeout (the step's timeout passed), agent.self-fenced (stopped because
// the lease lapsed), agent.stopped (stop requested before a step began), agent.spawn (could
// not start), agent.pipeline / agent.classify-rules (the offer's pipeline does not load).
Outcome run_steps(const StepsInput& in, proc::ProcessRunner& runner, const StepHooks& hooks);

}  // namespace stackrun::agent
