#pragma once
// The coordinator: the scheduler's state machine over the store. Each public call is one
// BEGIN IMMEDIATE transaction whose conditional updates decide who wins; the pure decisions
// (which job, which tier, what a verdict means) come from runner/core.
// Not thread-safe: the server calls it from its io thread only.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runner/core/policy.hpp"
#include "runner/core/verdict.hpp"
#include "runner/store/store.hpp"

namespace stackrun::server {

using store::Id;
using store::Millis;

struct CoordinatorOptions {
  Millis lease_ms = 30'000;  // an attempt without a heartbeat for this long is lost
};

struct Claimed {
  store::AttemptRow attempt;
  store::JobRow job;
  store::RunRow run;
  std::string repo_url;
};

enum class Outcome { ok, idempotent, stale, forbidden, not_found };
std::string_view to_string(Outcome o);

struct HeartbeatResult {
  Outcome outcome = Outcome::ok;
  bool cancel = false;
  Millis lease_expires_at = 0;
};

struct FinishReport {
  Id attempt_id = 0;
  std::int64_t epoch = 0;
  int exit_code = 0;
  bool stopped = false;  // the agent stopped the step because it was asked to (cancel)
  core::Verdict verdict;
  std::string lock_json;  // verdict.lock as the JSON object stored with the attempt ("" = none)
};

struct LogChunk {
  std::int64_t seq = 0;
  std::string data;
};

class Coordinator {
 public:
  using Clock = std::function<Millis()>;
  Coordinator(store::Store& store, CoordinatorOptions options, Clock clock, core::JitterSource jitter);

  // Server start: give agents one lease period to reconnect before any lease can expire,
  // so a server restart alone never marks an apply interrupted.
  void on_startup();

  std::optional<Claimed> claim(const store::AgentRow& agent);
  HeartbeatResult heartbeat(const store::AgentRow& agent, Id attempt_id, std::int64_t epoch);
  // Stores chunks once each; returns how many of them are now stored (new or already there).
  Outcome append_logs(const store::AgentRow& agent, Id attempt_id, const std::vector<LogChunk>& chunks);
  Outcome finish(const store::AgentRow& agent, const FinishReport& report);
  // Lost leases: a plan attempt is requeued, an apply attempt becomes `interrupted` (never
  // re-run on its own). Returns how many attempts it reaped.
  int reap();
  // Graceful: queued/pending jobs are cancelled, running steps finish. force: running steps
  // are asked (via heartbeat) to stop with SIGINT first.
  Outcome cancel(Id run_id, bool force);

  // After any job change of `run_id`: release ready tiers, finish the run when all jobs are done.
  void settle_run(Id run_id, Millis now);

 private:
  void job_finished(const store::JobRow& job, const store::RunRow& run, const std::string& status,
                    const std::string& reason, Millis now);
  core::FailurePolicy policy_of(const store::RunRow& run);

  store::Store& store_;
  CoordinatorOptions options_;
  Clock clock_;
  core::JitterSource jitter_;
};

}  // namespace stackrun::server
