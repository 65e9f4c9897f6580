#pragma once
// The run lifecycle as pure functions. Each transition takes the facts it needs (plain values
// loaded by the coordinator) and returns Effects: the conditional changes to make and the typed
// events that happened. The coordinator applies them in one store transaction; log lines, log
// followers and (later) commit statuses and notifications are built from the events. No store,
// no clock, no randomness: `now` and jitter are passed in.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runner/core/destroy_guard.hpp"
#include "runner/core/policy.hpp"
#include "runner/core/scheduler.hpp"
#include "runner/core/status.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::core {

using Millis = std::int64_t;  // ms since the Unix epoch

// What a transition needs to know about a run.
struct RunFacts {
  std::int64_t id = 0;
  RunStatus status = RunStatus::queued;
  CancelLevel cancel = CancelLevel::none;
  std::string commit;
  FailurePolicy policy;  // decoded when the run was created: finishing parses no YAML
};

struct AttemptFacts {
  std::int64_t id = 0, job_id = 0, agent_id = 0;
  std::string agent;  // the agent's name, for log lines
  int n = 1;
  std::int64_t epoch = 0;
  AttemptStatus status = AttemptStatus::running;
};

// What the agent reported for a finished attempt.
struct FinishFacts {
  int exit_code = 0;
  bool stopped = false;  // stopped on request (cancel), not by itself
  Verdict verdict;
  // The steps stopped before applying a saved plan that destroys resources (the verdict is the
  // plan step's success): the job waits for approval or is refused.
  std::optional<GuardStop> guard;
};

// How a request about an attempt is answered. ok: go ahead; idempotent: already done, answer
// success again; stale: the attempt is no longer this agent's under that epoch (fenced);
// forbidden: another agent's attempt; not_found: no such attempt; late: the report of an apply
// the server marked interrupted when its agent went silent, from that agent under that epoch
// (on_late_finish records its true outcome).
enum class Outcome { ok, idempotent, stale, forbidden, not_found, late };
std::string_view to_string(Outcome o);

// Fencing checks. `agent_id` and `epoch` come from the request.
Outcome check_start(const AttemptFacts& a, std::int64_t agent_id, std::int64_t epoch);
Outcome check_heartbeat(const AttemptFacts& a, std::int64_t agent_id, std::int64_t epoch);
Outcome check_finish(const AttemptFacts& a, const JobView& job, std::int64_t agent_id,
                     std::int64_t epoch);
// Log chunks are taken only while the attempt is current: offered or running under `epoch`.
// Once it is finished, lost, interrupted or claimed again, its agent's late output is refused
// (stale), so a fenced agent cannot add to an attempt that is over.
Outcome check_logs(const AttemptFacts& a, std::int64_t agent_id, std::int64_t epoch);

// ---------------------------------------------------------------- effects

// Conditional: applies only if the job is still `from` (the store's UPDATE ... WHERE status).
// finished_at is set iff `to` is terminal; not_before matters for `to == queued`.
struct JobChange {
  std::int64_t job_id = 0;
  JobStatus from = JobStatus::pending, to = JobStatus::pending;
  std::string reason;  // the job's result_reason
  Millis not_before = 0;
};

// Conditional on (status, epoch). `to` nullopt removes the attempt: an offer nobody confirmed
// ran nothing and leaves no attempt behind. lease_expires_at matters for `to == running`.
struct AttemptChange {
  std::int64_t attempt_id = 0, epoch = 0;
  AttemptStatus from = AttemptStatus::running;
  std::optional<AttemptStatus> to;
  Millis lease_expires_at = 0;
};

struct RunChange {
  RunStatus from = RunStatus::queued, to = RunStatus::queued;
  std::string summary;  // set when `to` is terminal
};

// A successful apply of `commit`: the stack's last-applied commit may advance (never back).
struct AppliedChange {
  std::int64_t repo_id = 0;
  std::string stack, commit;
  std::int64_t run_id = 0;
};

// ---------------------------------------------------------------- events

struct AttemptStarted {
  std::int64_t job_id = 0;
  JobKind kind = JobKind::apply;
  int n = 1;
  std::string agent;
};
struct OfferExpired {
  std::int64_t job_id = 0;
  int n = 1;
  std::string agent;
  bool requeued = true;
};
struct VerdictReached {
  std::int64_t job_id = 0;
  Verdict verdict;
  Action action;
  JobStatus status = JobStatus::failed;  // the job's status after it (queued for a retry)
  Millis delay_ms = 0;                   // retry / wait_lock: until the next attempt
};
struct JobEnded {
  std::int64_t job_id = 0;
  JobStatus status = JobStatus::failed;
  std::string reason;
};
struct PlanRequeued {
  std::int64_t job_id = 0;
  std::string agent;
};
struct CancelRequested {
  CancelLevel level = CancelLevel::graceful;
};
struct RunEnded {
  RunStatus status = RunStatus::success;
  std::string summary;
};
// An interrupted apply's agent came back and reported how it ended.
struct LateReport {
  std::int64_t job_id = 0;
  int n = 1;
  std::string agent;
};
// A finished run's outcome changed (a late report): `from` was recorded first.
struct RunCorrected {
  RunStatus from = RunStatus::failed, to = RunStatus::success;
  std::string summary;
};
// A newer run took over this run's jobs that had not started (on_superseded).
struct RunSuperseded {
  std::int64_t by = 0;              // the newer run
  std::string commit;               // its commit
  std::vector<std::string> stacks;  // the stacks it took over
};
// The destroy guard stopped a job before it applied its saved plan.
struct GuardStopped {
  std::int64_t job_id = 0;
  std::int64_t run_id = 0;
  std::string stack;
  GuardStop stop;
};
// Someone approved a job's saved plan: it is queued to apply exactly that plan.
struct PlanApproved {
  std::int64_t job_id = 0;
  std::string approver;
  std::int64_t plan_attempt = 0;  // the attempt that saved the plan
  std::string sha256;             // of the saved plan
};
using Event = std::variant<AttemptStarted, OfferExpired, VerdictReached, JobEnded, PlanRequeued,
                           CancelRequested, RunEnded, LateReport, RunCorrected, RunSuperseded,
                           GuardStopped, PlanApproved>;

// The run log line an event leaves ("" for none), and the job it belongs to (nullopt: the run).
struct EventLine {
  std::optional<std::int64_t> job_id;
  std::string text;
};
EventLine describe(const Event& e);

struct Effects {
  std::vector<AttemptChange> attempts;
  std::vector<JobChange> jobs;
  std::optional<RunChange> run;
  std::optional<CancelLevel> cancel;  // raise the run's cancel level to this
  std::vector<AppliedChange> applied;
  std::optional<std::int64_t> superseded_by;  // record the run that took over this one's jobs
  std::vector<Event> events;

  // True when a parked claim may now find work: any job changed. Not only a job that became
  // queued or a running one that ended: a queued or pending job of an older run that ends
  // (cancelled, say) unblocks newer runs' jobs on its stack.
  bool wakes_claims() const;
};

// ---------------------------------------------------------------- transitions

// The agent confirmed an offer: the attempt runs under a lease until now + lease_ms; the run
// starts if it had not. The caller has checked check_start() == ok and that the run is not
// cancelled (an offer of a cancelled run is withdrawn by on_cancel, never started).
Effects on_start(const RunFacts& run, const AttemptFacts& attempt, const JobView& job, Millis now,
                 Millis lease_ms);

// An attempt's report. The policy decides: success, drift, a retry or lock wait (the job is
// queued again with not_before), skip or fail; stopped-on-request cancels the job; a guard stop
// (report.guard) makes the job needs_approval (guard approve) or refused (guard refuse). Then
// the run is settled. `prior` holds the job's earlier finished attempts, oldest first. The caller
// has checked check_finish() == ok.
Effects on_finish(const RunFacts& run, const std::vector<JobView>& run_jobs,
                  const AttemptFacts& attempt, const FinishFacts& report,
                  const std::vector<AttemptRecord>& prior, Millis now, const JitterSource& jitter);

// The report of an apply marked interrupted (check_finish() == late): its agent died or went
// silent for a lease, and a restarted agent found the step's outcome on disk. The attempt
// becomes finished with the verdict; the job takes the outcome the policy gives, except that a
// late report is never retried (a retry or lock wait becomes failed: the step ran long ago and
// nobody watched it); a success records the applied commit. A run still going is settled as
// usual; a finished run whose outcome changes is corrected (RunCorrected). Never anything else:
// jobs that already ran on are not re-run.
Effects on_late_finish(const RunFacts& run, const std::vector<JobView>& run_jobs,
                       const AttemptFacts& attempt, const FinishFacts& report,
                       const std::vector<AttemptRecord>& prior, Millis now,
                       const JitterSource& jitter);

// How many times a plan's agent may be lost before the plan fails instead of being requeued:
// a plan that kills whatever agent runs it (memory, output) must not be requeued forever.
inline constexpr int kMaxLostPlanAttempts = 3;

// A lease (running) or an offer (offered) ran out. Offer: nothing ran, the job is queued again
// (applies too) unless the run is cancelled. Running plan: lost, requeued (unless cancelled),
// or failed when this is its kMaxLostPlanAttempts-th lost attempt (`lost_before` counts the
// job's earlier attempts in status lost). Running apply: interrupted, terminal, never re-run on
// its own. Then the run is settled.
Effects on_expired(const RunFacts& run, const std::vector<JobView>& run_jobs,
                   const AttemptFacts& attempt, int lost_before);

// Cancel at `level`: pending and queued jobs are cancelled, offers not yet started are
// withdrawn; running steps finish (graceful) or are asked to stop via the heartbeat (force).
// `offers` are the run's attempts in status offered. Then the run is settled.
Effects on_cancel(const RunFacts& run, const std::vector<JobView>& run_jobs,
                  const std::vector<AttemptFacts>& offers, CancelLevel level);

// Run `by` (at `by_commit`), newer and of the same repo, pipeline and branch, takes over this
// run's jobs that have not started: each pending or queued job (a queued one may be waiting to
// retry or for a lock: nothing of it is running) ends superseded, naming `by`. Running jobs are
// never touched: they finish here. Then the run is settled: with nothing left it ends
// superseded (failed if a job had failed). No job taken: no effects.
Effects on_superseded(const RunFacts& run, const std::vector<JobView>& run_jobs, std::int64_t by,
                      const std::string& by_commit);

// `approver` approved the saved plan of `job` (needs_approval), kept by attempt `plan_attempt`
// with digest `sha256`: the job is queued again to apply exactly that plan. The caller has
// checked that the job needs approval and the run is not cancelled.
Effects on_approve(const RunFacts& run, const std::vector<JobView>& run_jobs, std::int64_t job_id,
                   const std::string& approver, std::int64_t plan_attempt,
                   const std::string& sha256);

// Releases pending jobs whose needed tiers are done, and ends the run once every job is
// terminal (with its summary). Used after every job change and when a run is created.
Effects settle(const RunFacts& run, const std::vector<JobView>& run_jobs);

// "3 ok, 1 skipped, 0 failed" (+ ", 2 cancelled", ", 1 superseded", ", 2 drifted" when any):
// drift counts as ok (and as drifted), interrupted as failed.
std::string run_summary(const std::vector<JobView>& run_jobs);

}  // namespace stackrun::core
