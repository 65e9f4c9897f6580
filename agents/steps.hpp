#pragma once
// Running a job's steps: the pipeline's steps in order, each a shell launch in the stack's
// directory of the workspace, supervised (runner/proc) with its output appended to the
// attempt's spool, and classified on the end of that output. Processes go through the
// injected ProcessRunner; the server is reached only through the StepHooks.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "agents/attempt_dir.hpp"
#include "agents/secrets.hpp"
#include "agents/spool.hpp"
#include "runner/core/verdict.hpp"
#include "runner/proc/launch.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

// The classifier reads at most this much of the end of a step's output: enough for any error
// block and Lock Info, bounded against a step that prints gigabytes.
inline constexpr std::size_t kTailBytes = 1u << 20;

struct StepHooks {
  std::function<bool()> should_stop;  // polled while a step runs
  std::function<bool()> self_fenced;  // asked after a step ends
};

struct StepsInput {
  const wire::Offer& job;
  std::string workspace;       // holds the job's commit; steps run in <workspace>/<stack>/<dir>
  proc::EnvList base_env;      // before the CI_* variables and the step's env
  core::Duration grace;        // SIGINT -> SIGTERM -> SIGKILL spacing
  const AttemptDir& attempt;   // the spool and each step's supervisor files
  SpoolWriter& spool;          // stackrun's own lines ("[stackrun] ...", "$ command")
  std::size_t first_step = 0;  // a resumed attempt goes on after the step it resumed
  // A resumed attempt: the outcome of the step it resumed (the one before first_step), which
  // the destroy guard reads when that step saved a plan.
  const struct Outcome* previous = nullptr;
  // Where the pipeline's `secrets:` come from (null: nowhere, so a step naming one fails the
  // job with agent.secrets before any step runs). Their values go to the steps' environment
  // and are masked in the output (proc::Launch::mask).
  const SecretSources* secrets = nullptr;
};

struct Outcome {
  int exit_code = 0;
  core::Verdict verdict;
  bool stopped = false;  // a step was stopped (cancel, fence), not ended on its own
  // The destroy guard stopped the steps before a saved plan was applied (agents/saved_plan.hpp).
  std::optional<wire::GuardReport> guard = std::nullopt;
};

// How many pipeline snapshots this agent process has decoded and compiled: each distinct
// snapshot (a run's pipeline file and text) once, however many attempts of it run.
std::uint64_t compiled_snapshots();

// A fatal outcome of the agent's own making (rule "agent.*").
Outcome agent_fatal(int exit_code, std::string rule, std::string line);

// Runs steps from in.first_step until one's verdict is not success or one was stopped, or the
// destroy guard stops them after the step that saves a plan (Outcome::guard; not after the
// plan an approved job restored: in.first_step follows it then). The
// verdict: the classifier's (built-ins plus the pipeline's rules and exit codes) on the end of
// the last step's output (kTailBytes; line_no counts from the step's first line, or is 0 when
// the spool's middle was released), except fatal agent.timeout (the step's timeout passed),
// agent.self-fenced (stopped because the lease lapsed), agent.stopped (stop requested before a
// step began), agent.spawn (could not start), agent.spool (the spool cannot be written),
// agent.pipeline / agent.classify-rules (the offer's pipeline does not load), agent.secrets (a
// secret the pipeline names cannot be found: nothing ran).
Outcome run_steps(const StepsInput& in, proc::ProcessRunner& runner, const StepHooks& hooks);

// The step an earlier agent process started for this attempt (its supervisor outlived that
// agent): waited for and classified like run_steps' last step.
struct Resumed {
  std::size_t index = 0;           // the step
  std::optional<Outcome> outcome;  // nullopt: its supervisor never ran (start it afresh)
  bool last = false;               // no step follows it in the pipeline
};
// nullopt when no step had begun. Its steps' count and rules come from the stored offer.
std::optional<Resumed> resume_step(const wire::Offer& job, const AttemptDir& attempt,
                                   SpoolWriter& spool, proc::ProcessRunner& runner,
                                   const StepHooks& hooks);

}  // namespace stackrun::agent
