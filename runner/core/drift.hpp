#pragma once
// The nightly drift report and its alerts as data (pure). A drift run is a run of a plan-kind
// pipeline that plans every stack (`terragrunt plan -detailed-exitcode`): exit 0 ends the job
// success (clean), 2 drift, an error failed. Human-only and lock-skipped stacks end skipped
// with a reason; cancelled, superseded and unfinished jobs decided nothing. The server loads
// the history, calls these and enqueues the messages (server/outbox.hpp); no clock here: times
// are Millis passed in.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/lifecycle.hpp"
#include "runner/core/notify.hpp"
#include "runner/core/status.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::core {

// ---------------------------------------------------------------- report

// One finished job of a drift run: history the report is made from.
struct DriftJob {
  std::int64_t run_id = 0;
  std::string stack;  // repo-relative path, e.g. "stacks/dbaas"
  JobStatus status = JobStatus::success;
  Millis finished_at = 0;           // when the job ended
  std::string reason;               // the job's result reason (why it was skipped)
  std::optional<PlanSummary> plan;  // from the job's deciding attempt
  std::string line;                 // the deciding verdict line (for errors)
  std::string rule;                 // the deciding rule id
};

enum class DriftState { clean, drift, error, skipped };
// "clean", "drift", "error", "skipped".
std::string_view to_string(DriftState s);
// success -> clean, drift -> drift, failed/interrupted -> error, skipped -> skipped; nullopt for
// jobs that decided nothing (pending, queued, running, cancelled, superseded).
std::optional<DriftState> drift_state(JobStatus s);

// One stack's line in the report. Only the fields of its state are filled (plan for drift,
// line and rule for error, reason for skipped); last_clean whatever the state.
struct StackDrift {
  std::string stack;
  DriftState state = DriftState::clean;  // of the latest deciding job
  std::int64_t run_id = 0;               // that job's run
  Millis at = 0;                         // that job's finished_at
  std::optional<PlanSummary> plan;       // drift: counts and addresses
  std::string line, rule;                // error: the deciding line and rule
  std::string reason;                    // skipped: why
  std::optional<Millis> last_clean;      // finished_at of the latest clean result
  // State drift only: finished_at of the first drift result of the current streak. A streak is
  // the drift results since the latest clean or error result; skipped results neither start
  // nor break it (a lock-skipped night says nothing about drift). nullopt in other states.
  std::optional<Millis> drifting_since;
  bool operator==(const StackDrift&) const = default;
};

// Per stack (sorted by stack), from `history` (any order; jobs that decided nothing ignored;
// ties on finished_at broken by run_id then input order: the later one is the latest).
std::vector<StackDrift> drift_report(const std::vector<DriftJob>& history);

// ---------------------------------------------------------------- alerts

// What drift run `run_id` tells people, each list sorted by stack.
struct DriftAlerts {
  std::vector<std::string> newly_drifted;  // drift now; previous result not drift (or none)
  std::vector<std::string> errors;         // error now (every time: an error is a failure)
  std::vector<std::string> recovered;      // clean now; previous result drift or error
  bool empty() const;
  bool operator==(const DriftAlerts&) const = default;
};

// Compares each stack's result in run `run_id` (its latest deciding job there) with the same
// stack's previous result: the latest deciding job of another run ordered before it by
// (finished_at, run_id) in `history`, which holds that run's jobs and earlier ones. Skipped
// results are passed over on both sides, as in the drifting_since streak: a skipped stack
// alerts nothing, and drift, skipped, drift is not new drift. Stacks absent from the run (or
// only cancelled/superseded there) give nothing.
DriftAlerts drift_alerts(const std::vector<DriftJob>& history, std::int64_t run_id);

// ---------------------------------------------------------------- messages

// Stacks listed per message and addresses per stack; the rest are counted ("and 3 more").
inline constexpr std::size_t kMaxDriftStacksListed = 20;
inline constexpr std::size_t kMaxDriftAddresses = 5;
// A deciding line longer than this is cut (at a UTF-8 boundary) and ends in "...".
inline constexpr std::size_t kMaxDriftLine = 300;

// Chat messages (Slack-compatible text like notify.hpp's), one per kind, naming the run, the
// stacks in the given order and how to see more. An empty list -> nullopt (nothing to send).
// drift: each stack's counts "(1 to add, 1 to change, 0 to destroy)" and first addresses.
std::optional<ChatMessage> drift_message(const RunRef& run, const std::vector<StackDrift>& drifted);
// error: each stack's deciding line (its rule when the line is empty).
std::optional<ChatMessage> drift_error_message(const RunRef& run,
                                               const std::vector<StackDrift>& errored);
std::optional<ChatMessage> drift_recovered_message(const RunRef& run,
                                                   const std::vector<std::string>& stacks);

// ---------------------------------------------------------------- dead man's switch

// The dead-man window of one schedule.
struct Deadman {
  Millis window = 0;                     // e.g. 26h; > 0
  std::optional<Millis> last_completed;  // finished_at of the last completed run of the pipeline
  Millis watching_since = 0;             // when the schedule was first seen (no run yet)
  std::int64_t last_run_id = 0;          // that completed run's id, for the message (0 = unknown)
};

// When the window runs out: (last_completed or watching_since) + window.
Millis deadman_due(const Deadman& d);
// True when now > deadman_due(d): a run completing exactly at the due time is in time.
bool deadman_breached(const Deadman& d, Millis now);
// "stackrun: repo infra, pipeline drift (schedule nightly): no drift run has completed in 26h
// (last completed 2026-11-29T03:17:40Z, run 41)", or "(none since the schedule appeared at
// 2026-11-28T00:00:00Z)" without a completed run. Times in UTC, the window as "26h" or "1h30m".
ChatMessage deadman_message(const std::string& repo, const std::string& pipeline,
                            const std::string& schedule, const Deadman& d);

}  // namespace stackrun::core
