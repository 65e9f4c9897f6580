#pragma once
// Cron schedules on the server: read from the pipelines on each repo's default branch (at
// start, when a push moves that branch, after a firing that failed), fired exactly once per
// due time, and watched by their dead-man windows. Everything here runs on the io thread; git
// is read on the run worker. One timer, armed for the earliest due time or dead-man deadline:
// nothing polls.
//
// Exactly once: a firing submits a cron trigger to the run worker; the run is inserted by
// Coordinator::create_runs in the transaction that claims the due time (a compare-and-swap on
// next_fire_at). A firing that creates no run (the pipeline is invalid at the head, the fetch
// failed) claims the due time with the error as its outcome: it is recorded, not retried.
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "runner/core/drift.hpp"
#include "runner/core/result.hpp"
#include "runner/http/http.hpp"
#include "runner/server/run_worker.hpp"
#include "runner/store/store.hpp"

namespace stackrun::server {

struct SchedulesOptions {
  std::function<store::Millis()> clock;
  std::function<void(const std::string&)> log;
  // Writes the dead-man alert of `s` (inside the caller's transaction, like the outbox rows of
  // a run change); returns how many rows it wrote. Empty: alerts are only logged.
  std::function<int(store::Store&, const store::ScheduleRow& s, const core::Deadman& d,
                    store::Millis now)>
      deadman_alert;
  // Called after a transaction that wrote alert rows committed (the notifier's wake).
  std::function<void()> wrote_alerts;
  // The longest the timer sleeps before looking again (wall-clock steps, a lost wake-up).
  store::Millis max_sleep_ms = 6 * 3'600'000;
};

class Schedules : public std::enable_shared_from_this<Schedules> {
 public:
  Schedules(http::Server& http, store::Store& store, RunWorker& worker, SchedulesOptions options);

  // Reads the schedules of `repo` ("" = every registered repo) on the worker, then stores
  // what changed (core::sync_schedules) and re-arms.
  void sync(const std::string& repo);
  // Fires what is due, raises breached dead-man windows, and arms the timer for what is next.
  // Call after anything that may change them (a sync, a run that ended, a state change).
  void tick();
  // disable (reason required) / enable by id; enabling makes it due next after now.
  Result<store::ScheduleRow> set_enabled(store::Id id, bool enabled, const std::string& reason);

 private:
  void arm(store::Millis now);
  void on_timer(store::Millis armed_for);
  void fire(const store::ScheduleRow& s);
  void fired(store::Id id, store::Millis due, const RunsOutcome& o);
  void check_deadman(store::Millis now, std::optional<store::Millis>& next);
  void store_sync(const std::function<void(store::Store&)>& fn);

  http::Server& http_;
  store::Store& store_;
  RunWorker& worker_;
  SchedulesOptions options_;
  std::set<store::Id> in_flight_;  // fired, the worker's answer not back yet
  std::optional<store::Millis> armed_for_;
};

}  // namespace stackrun::server
