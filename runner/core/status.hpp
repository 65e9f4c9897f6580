#pragma once
// The lifecycle's vocabulary: statuses of runs, jobs and attempts, the cancel level and the job
// kind. Everything above the store and the wire speaks these enums; strings exist only at those
// two boundaries (to_string / parse_*), so adding a status is a compiler-checked change.
#include <optional>
#include <string_view>

namespace stackrun::core {

// superseded: a newer run of the same repo, pipeline and branch took over its jobs that had not
// started (runner/core/supersede.hpp). drift: every job ended well and at least one found drift
// (a plan's exit code mapped to drift): information, not a failure.
enum class RunStatus { queued, running, success, failed, cancelled, superseded, drift };
// pending: its tier waits for the tiers it needs; queued: claimable (after not_before);
// running: offered to or run by an agent; needs_approval: its saved plan would destroy
// resources and waits for `stackrun approve` (runner/core/destroy_guard.hpp); the rest are
// terminal. refused: the destroy guard refused its saved plan (counts as failed).
enum class JobStatus {
  pending,
  queued,
  running,
  needs_approval,
  success,
  drift,
  skipped,
  failed,
  interrupted,
  cancelled,
  superseded,  // not started; a newer run applies the stack at its newer commit
  refused
};
// offered: handed to an agent that has not confirmed it started (nothing ran yet);
// running: confirmed, under a lease; finished: reported; lost: a plan whose agent vanished
// (requeued); interrupted: an apply whose agent vanished (never re-run on its own).
enum class AttemptStatus { offered, running, finished, lost, interrupted };
// none; graceful: nothing new starts, running steps finish; force: running steps get SIGINT.
enum class CancelLevel { none, graceful, force };
// apply jobs are never blindly re-run; plan jobs may be.
enum class JobKind { apply, plan };

std::string_view to_string(RunStatus s);
std::string_view to_string(JobStatus s);
std::string_view to_string(AttemptStatus s);
std::string_view to_string(CancelLevel c);
std::string_view to_string(JobKind k);

// Inverses of to_string; nullopt for any other text.
std::optional<RunStatus> parse_run_status(std::string_view s);
std::optional<JobStatus> parse_job_status(std::string_view s);
std::optional<AttemptStatus> parse_attempt_status(std::string_view s);
std::optional<CancelLevel> parse_cancel_level(std::string_view s);
std::optional<JobKind> parse_job_kind(std::string_view s);

// success, failed, cancelled, superseded, drift.
bool is_terminal(RunStatus s);
// success, drift, skipped, failed, interrupted, cancelled, superseded, refused.
bool is_terminal(JobStatus s);

}  // namespace stackrun::core
