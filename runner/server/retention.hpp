#pragma once
// Log retention: which finished runs lose their log chunks, by age and by a byte budget
// (plan_prune, pure), and doing it in short write transactions, so a server sharing the
// database keeps serving (Pruner: `stackrun gc` runs it to the end, the server one step per
// io-loop turn on a timer, start_retention). A pruned run keeps its run, job and attempt rows
// and one run-level line saying why its log is gone. Freed pages go back to the file system
// (incremental vacuum) on files created with schema version 3 or later.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/store/store.hpp"

namespace stackrun::http {
class Server;
}

namespace stackrun::server {

using store::Id;
using store::Millis;

struct RetentionPolicy {
  // A finished run's log is removed this long after the run finished; 0: never by age.
  Millis max_age_ms = Millis{30} * 24 * 3600 * 1000;
  // Oldest finished runs' logs are removed until all stored logs fit; 0: no budget.
  std::int64_t max_log_bytes = std::int64_t{2} << 30;
  // Webhook deliveries are kept for max_age_ms too, and at most this many (the newest): a
  // flood of unsigned requests is recorded, so its rows must not grow without bound; 0: all.
  std::int64_t max_deliveries = 100'000;
};

// How often the server applies its policy (the first pass runs at start-up).
inline constexpr Millis kRetentionIntervalMs = 3600 * 1000;

struct Prune {
  store::RunLogUsage run;
  enum class Why { age, budget } why = Why::age;
  bool operator==(const Prune&) const = default;
};

// Pure. `finished`: the prunable runs, oldest finished first (Store::prunable_runs); `total`:
// every stored log byte, running runs' too. First every run that finished at or before
// now - max_age, then further runs, oldest first, while the total is over max_log_bytes. A
// running run is never among `finished`: when running runs alone are over the budget, the
// budget is not met.
std::vector<Prune> plan_prune(const std::vector<store::RunLogUsage>& finished, std::int64_t total,
                              const RetentionPolicy& policy, Millis now);

// The line left in a pruned run's log, e.g. "logs removed by retention: 1.5 MiB, the run
// finished more than 30d ago".
std::string prune_line(const Prune& p, const RetentionPolicy& policy);

// "30d", "36h", "1d12h", "90m" (core::parse_duration's units plus d); "0": off.
Result<Millis> parse_age(std::string_view text);
// "2GiB", "500MiB", "64KiB", "1GB" (decimal units too), "1048576" (bytes); "0": off.
Result<std::int64_t> parse_bytes(std::string_view text);
// 1536 -> "1.5 KiB", 2147483648 -> "2 GiB", 12 -> "12 B".
std::string format_bytes(std::int64_t bytes);
// 2592000000 -> "30d", 5400000 -> "1h30m".
std::string format_age(Millis ms);

struct PruneReport {
  std::int64_t total_before = 0;  // stored log bytes when the pass planned
  int runs = 0;                   // runs whose logs were removed (planned, in a dry run)
  std::int64_t bytes = 0;         // their log bytes
  std::int64_t chunks = 0;        // chunks deleted
  std::int64_t deliveries = 0;    // webhook deliveries deleted (none in a dry run)
  std::vector<Prune> planned;
};

// What a pass did (or, dry_run, would do), e.g. "removed the logs of 2 run(s), 48.8 KiB in 50
// chunks (stored logs were 107.4 KiB)" (+ "; 120 webhook deliveries" when any were removed); a
// dry run adds one line per planned run. No newline at the end.
std::string report_text(const PruneReport& r, const RetentionPolicy& policy, bool dry_run);

// One retention pass over `st`, one short write transaction per step. Not thread-safe; the
// store must outlive it. Store faults (DbError) propagate from step(); a pass may be resumed
// by a new Pruner (what was done stays done).
class Pruner {
 public:
  // Batch limits of one step: rows and data bytes deleted, pages returned to the file system.
  struct Batch {
    int rows = 5000;
    std::int64_t bytes = std::int64_t{8} << 20;
    int vacuum_pages = 2048;
  };
  Pruner(store::Store& st, RetentionPolicy policy, Millis now, bool dry_run = false);
  Pruner(store::Store& st, RetentionPolicy policy, Millis now, bool dry_run, Batch batch);
  // Does the next piece of work; false once the pass is over (nothing was done then).
  bool step();
  const PruneReport& report() const { return report_; }

 private:
  enum class Phase { plan, prune, deliveries, vacuum, done };
  store::Store& st_;
  RetentionPolicy policy_;
  Millis now_;
  bool dry_run_;
  Batch batch_;
  Phase phase_ = Phase::plan;
  std::size_t next_ = 0;
  PruneReport report_;
};

// Applies `policy` on `http`'s io thread: a pass at once, then one every `interval_ms`, each
// one step per io-loop turn (other requests are served in between). Each finished pass that
// removed something is reported through `log`; a store fault is logged and the pass retried
// at the next interval. `clock` gives now. Stops when the returned handle is destroyed; the
// store must outlive the handle. Call on the io thread or before run().
std::shared_ptr<void> start_retention(http::Server& http, store::Store& st, RetentionPolicy policy,
                                      Millis interval_ms, std::function<Millis()> clock,
                                      std::function<void(const std::string&)> log);

}  // namespace stackrun::server
