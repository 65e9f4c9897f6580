#pragma once
// The coordinator: loads the rows a transition needs, asks the pure lifecycle
// (runner/core/lifecycle.hpp) what follows, and applies the effects in one BEGIN IMMEDIATE
// transaction whose conditional updates decide who wins.
// Not thread-safe: the server calls it from its io thread only. Store errors (DbError) propagate
// with the transaction rolled back; the caller turns them into 503.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runner/core/lifecycle.hpp"
#include "runner/store/store.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::server {

using core::Outcome;
using store::Id;
using store::Millis;

// Limits of the log routes (schema/protocol.md). A stored chunk is never larger than
// kMaxLogChunkBytes: POST /agent/logs refuses a larger one with 400 (agents split long lines).
// A page of GET /runs/{id}/logs holds at most kLogPageBytes of data (and 1000 chunks), at least
// one chunk.
inline constexpr std::size_t kMaxLogChunkBytes = 512 * 1024;
inline constexpr std::int64_t kLogPageBytes = 1024 * 1024;

// The wall clock every server part is given (Coordinator::Clock, Pruner, install_routes):
// milliseconds since the Unix epoch.
Millis wall_ms();

struct CoordinatorOptions {
  Millis lease_ms = 30'000;  // a started attempt without a heartbeat for this long is lost
  Millis offer_ms = 10'000;  // an offer not confirmed within this long returns to the queue
  // Step output stored per attempt: chunks past it are acknowledged but not stored, and one
  // sys line says so. Agents cut their output earlier (their own cap); this protects the
  // server from an old or hostile agent.
  std::int64_t max_attempt_output_bytes = std::int64_t{512} << 20;
  // Told of every run change inside its transaction, after it: a run created (`fx` null) or
  // effects applied to it. What it writes (the outbox, server/outbox.hpp) commits or rolls
  // back with the change. Empty: nothing.
  std::function<void(store::Store&, Id run_id, const core::Effects* fx, Millis now)> on_change{};
  // A fault point for the crash tests (STACKRUN_CRASH_AFTER_SCHEDULE_CLAIM=1 in the server's
  // environment): SIGKILL the process right after a cron run's due time is claimed, before its
  // run is inserted and the transaction commits.
  bool crash_after_schedule_claim = false;
};

// A job offered to an agent.
struct Claimed {
  store::AttemptRow attempt;
  store::JobRow job;
  store::RunRow run;
  std::string repo_url;
  std::optional<store::SavedPlanRow> approved_plan;  // an approved job: the plan it applies
};

struct FinishAndClaim {
  Outcome outcome = Outcome::ok;  // of the report, as finish() answers it
  std::optional<Claimed> next;    // the agent's next job, when asked for and there was one
};

struct LeaseResult {
  Outcome outcome = Outcome::ok;
  bool cancel = false;  // the run's cancel is forced: stop the step (SIGINT first)
  Millis lease_expires_at = 0;
};

// An agent's report, as received: the coordinator caps its verdict (core::cap_verdict) before
// anything is stored, whatever the agent sent.
struct FinishReport {
  Id attempt_id = 0;
  std::int64_t epoch = 0;
  core::FinishFacts facts;
  // With facts.guard: the saved plan the guard stopped, kept for the approval to apply.
  std::optional<wire::SavedPlanFile> plan;
};

// The answer to an approval.
struct ApproveResult {
  int status = 200;   // 200, or the HTTP status of the refusal (404, 409)
  std::string error;  // why not, naming the run and stack
  Id job_id = 0, plan_attempt = 0;
  std::string sha256;
};

struct LogChunk {
  std::int64_t seq = 0;
  std::string data;
};

// What the last calls changed that waiters care about (see take_changes()).
struct Changes {
  bool claims = false;    // a parked claim may now find a job
  std::set<Id> log_runs;  // runs with new log lines or a new status
};

class Coordinator {
 public:
  using Clock = std::function<Millis()>;
  Coordinator(store::Store& store, CoordinatorOptions options, Clock clock,
              core::JitterSource jitter);

  const CoordinatorOptions& options() const { return options_; }

  // Server start: give agents one lease period to reconnect (and to confirm offers) before
  // any lease can expire, so a server restart alone never marks an apply interrupted. If the
  // store cannot be written now (DbError), the grace is given by the first reap() that can.
  void on_startup();

  // Offers the first job this agent may take (scheduler::pick_job), or nullopt. Nothing is
  // written when there is nothing to offer.
  std::optional<Claimed> claim(const store::AgentRow& agent);
  // The agent confirms it is starting an offered attempt.
  LeaseResult start(const store::AgentRow& agent, Id attempt_id, std::int64_t epoch);
  LeaseResult heartbeat(const store::AgentRow& agent, Id attempt_id, std::int64_t epoch);
  // Stores chunks once each (resending is harmless), only while the attempt is offered or
  // running under `epoch` (core::check_logs: stale otherwise, nothing stored). Past the
  // attempt's output cap chunks are dropped (still ok) and one sys line says so. Each chunk's
  // data must hold at most kMaxLogChunkBytes (the API refuses larger ones).
  Outcome append_logs(const store::AgentRow& agent, Id attempt_id, std::int64_t epoch,
                      const std::vector<LogChunk>& chunks);
  Outcome finish(const store::AgentRow& agent, const FinishReport& report);
  // finish, and when `claim_next` and the report was taken (ok, late or idempotent), claim as
  // claim() would, in the same transaction: one commit for a slot that goes on to its next job.
  FinishAndClaim finish_and_claim(const store::AgentRow& agent, const FinishReport& report,
                                  bool claim_next);
  // Ends expired offers and leases (lifecycle::on_expired). Returns how many.
  int reap();
  // not_found, idempotent (already finished) or ok.
  Outcome cancel(Id run_id, core::CancelLevel level);
  // `approver` approves the saved plan of run `run_id`'s job on `stack` (its path or its label,
  // as `show` prints it), which must be waiting
  // for approval: the job is queued to apply exactly that plan.
  ApproveResult approve(Id run_id, const std::string& stack, const std::string& approver);
  // Inserts the runs of one trigger (with their jobs and lines, the first line prefixed
  // "run <id>: ") and settles each (releases its first tiers), all in one transaction: a
  // trigger creates all its runs or none. A cron run (NewRun::schedule_id) is inserted only if
  // it wins the claim of its due time (Store::claim_schedule), in the same transaction. Each run
  // (but a manual one) supersedes the older runs of its repo, pipeline and ref still going: it
  // inherits the jobs they had not started on stacks it lacks, and those jobs end superseded
  // (core/supersede.hpp).
  std::vector<Id> create_runs(const std::vector<store::NewRun>& runs);
  // When the next offer or lease expires, or a waiting retry becomes claimable: the moment the
  // server must look again even if nothing else happens. nullopt: nothing pending.
  std::optional<Millis> next_deadline();

  // What changed since the last call (and resets it). After a transaction that failed it may
  // name changes that were rolled back: waking a waiter for nothing is harmless.
  Changes take_changes();

 private:
  // The bodies of claim() and finish() inside the caller's transaction. finish_in's outcomes
  // other than ok, late and idempotent leave writes the caller must roll back.
  std::optional<Claimed> claim_in(const store::AgentRow& agent, Millis now);
  Outcome finish_in(const store::AgentRow& agent, const FinishReport& report, Millis now);
  // Applies `fx` for run `run_id`; `finish` goes with an attempt change to finished. Returns
  // false (and applies nothing further) when an attempt change lost its condition.
  bool apply(const core::Effects& fx, Id run_id, const std::optional<store::Store::Finish>& finish,
             Millis now);

  Id insert_and_settle(const store::NewRun& run, Millis now);

  store::Store& store_;
  CoordinatorOptions options_;
  bool grace_pending_ = false;  // on_startup() could not extend the leases yet
  Clock clock_;
  core::JitterSource jitter_;
  Changes changes_;
};

}  // namespace stackrun::server
