#include "runner/server/retention.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <limits>

#include "runner/core/duration.hpp"
#include "runner/http/http.hpp"

namespace stackrun::server {
namespace {

constexpr Millis kDayMs = 24 * 3600 * 1000;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Leading decimal digits of `text` as a number; nullopt when there are none or it overflows.
std::optional<std::int64_t> leading_number(std::string_view text, std::size_t& used) {
  std::int64_t v = 0;
  used = 0;
  while (used < text.size() && std::isdigit(static_cast<unsigned char>(text[used]))) {
    const int d = text[used] - '0';
    if (v > (std::numeric_limits<std::int64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
    ++used;
  }
  if (used == 0) return std::nullopt;
  return v;
}

}  // namespace

std::vector<Prune> plan_prune(const std::vector<store::RunLogUsage>& finished, std::int64_t total,
                              const RetentionPolicy& policy, Millis now) {
  std::vector<Prune> out;
  std::int64_t left = total;
  std::size_t i = 0;
  // Oldest finished first, so the runs past the age limit are a prefix.
  if (policy.max_age_ms > 0) {
    for (; i < finished.size() && finished[i].finished_at <= now - policy.max_age_ms; ++i) {
      out.push_back({finished[i], Prune::Why::age});
      left -= finished[i].bytes;
    }
  }
  if (policy.max_log_bytes > 0) {
    for (; i < finished.size() && left > policy.max_log_bytes; ++i) {
      out.push_back({finished[i], Prune::Why::budget});
      left -= finished[i].bytes;
    }
  }
  return out;
}

std::string prune_line(const Prune& p, const RetentionPolicy& policy) {
  std::string line = "logs removed by retention: " + format_bytes(p.run.bytes);
  if (p.why == Prune::Why::age)
    return line + ", the run finished more than " + format_age(policy.max_age_ms) + " ago";
  return line + ", stored logs were over the " + format_bytes(policy.max_log_bytes) +
         " budget (oldest finished runs go first)";
}

Result<Millis> parse_age(std::string_view text) {
  const auto bad = [&] {
    return Result<Millis>::fail("\"" + std::string(text) +
                                "\": expected an age such as 30d, 1d12h, 36h or 90m");
  };
  std::size_t used = 0;
  const auto n = leading_number(text, used);
  Millis days = 0;
  std::string_view rest = text;
  if (n && used < text.size() && text[used] == 'd') {
    if (*n > std::numeric_limits<Millis>::max() / kDayMs / 2) return bad();
    days = *n * kDayMs;
    rest = text.substr(used + 1);
    if (rest.empty()) return days;
  }
  auto d = core::parse_duration(rest);
  if (!d) return bad();
  return days + d->count();
}

Result<std::int64_t> parse_bytes(std::string_view text) {
  struct Unit {
    const char* name;
    std::int64_t factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"b", 1},
      {"k", 1024},
      {"kib", 1024},
      {"kb", 1000},
      {"m", 1 << 20},
      {"mib", 1 << 20},
      {"mb", 1'000'000},
      {"g", std::int64_t{1} << 30},
      {"gib", std::int64_t{1} << 30},
      {"gb", 1'000'000'000},
      {"t", std::int64_t{1} << 40},
      {"tib", std::int64_t{1} << 40},
      {"tb", 1'000'000'000'000},
  };
  std::size_t used = 0;
  const auto n = leading_number(text, used);
  std::string_view unit = text.substr(n ? used : 0);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (n) {
    for (const Unit& u : kUnits) {
      if (!iequals(unit, u.name)) continue;
      if (*n > std::numeric_limits<std::int64_t>::max() / u.factor) break;
      return *n * u.factor;
    }
  }
  return Result<std::int64_t>::fail("\"" + std::string(text) +
                                    "\": expected a size such as 2GiB, 500MiB or 1048576");
}

std::string format_bytes(std::int64_t bytes) {
  static constexpr const char* kNames[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  double v = static_cast<double>(bytes);
  while (unit < 4 && (v >= 1024 || v <= -1024)) {
    v /= 1024;
    ++unit;
  }
  char buf[48];
  if (unit == 0 || v == static_cast<double>(static_cast<std::int64_t>(v)))
    std::snprintf(buf, sizeof buf, "%lld %s", static_cast<long long>(v), kNames[unit]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kNames[unit]);
  return buf;
}

std::string format_age(Millis ms) {
  if (ms > 0 && ms % kDayMs == 0) return std::to_string(ms / kDayMs) + "d";
  return core::format_duration(core::Duration(ms));
}

std::string report_text(const PruneReport& r, const RetentionPolicy& policy, bool dry_run) {
  std::string out = std::string(dry_run ? "would remove" : "removed") + " the logs of " +
                    std::to_string(r.runs) + " run(s), " + format_bytes(r.bytes);
  if (!dry_run) out += " in " + std::to_string(r.chunks) + " chunks";
  out += " (stored logs were " + format_bytes(r.total_before) + ")";
  if (r.deliveries > 0) out += "; " + std::to_string(r.deliveries) + " webhook deliveries";
  if (!dry_run) return out;
  for (const auto& p : r.planned) {
    out += "\n  run " + std::to_string(p.run.run_id) + ": " + format_bytes(p.run.bytes) + ", ";
    out += p.why == Prune::Why::age ? "finished more than " + format_age(policy.max_age_ms) + " ago"
                                    : "over the " + format_bytes(policy.max_log_bytes) + " budget";
  }
  return out;
}

// --- the pass

Pruner::Pruner(store::Store& st, RetentionPolicy policy, Millis now, bool dry_run)
    : Pruner(st, policy, now, dry_run, Batch{}) {}

Pruner::Pruner(store::Store& st, RetentionPolicy policy, Millis now, bool dry_run, Batch batch)
    : st_(st), policy_(policy), now_(now), dry_run_(dry_run), batch_(batch) {}

bool Pruner::step() {
  switch (phase_) {
    case Phase::plan: {
      auto tx = st_.begin_read();
      report_.total_before = st_.total_log_bytes();
      report_.planned = plan_prune(st_.prunable_runs(), report_.total_before, policy_, now_);
      if (dry_run_) {
        for (const auto& p : report_.planned) report_.bytes += p.run.bytes;
        report_.runs = static_cast<int>(report_.planned.size());
        phase_ = Phase::done;
      } else {
        phase_ = report_.planned.empty() ? Phase::deliveries : Phase::prune;
      }
      return true;
    }
    case Phase::prune: {
      const Prune& p = report_.planned[next_];
      auto tx = st_.begin();
      const auto s =
          st_.prune_run_logs(p.run.run_id, batch_.rows, batch_.bytes, prune_line(p, policy_), now_);
      tx.commit();
      report_.chunks += s.deleted;
      if (s.done) {
        ++report_.runs;
        report_.bytes += p.run.bytes;
      }
      if (s.done || s.deleted == 0) ++next_;  // deleted nothing: no longer finished, skip it
      if (next_ == report_.planned.size()) phase_ = Phase::deliveries;
      return true;
    }
    case Phase::deliveries: {
      auto tx = st_.begin();
      const Millis before = policy_.max_age_ms > 0 ? now_ - policy_.max_age_ms : 0;
      const int n = st_.prune_deliveries(before, policy_.max_deliveries, batch_.rows);
      tx.commit();
      report_.deliveries += n;
      if (n < batch_.rows) phase_ = Phase::vacuum;
      return true;
    }
    case Phase::vacuum: {
      auto tx = st_.begin();
      const bool incremental = st_.incremental_vacuum(batch_.vacuum_pages);
      tx.commit();
      if (!incremental || st_.free_bytes() == 0) phase_ = Phase::done;
      return true;
    }
    case Phase::done:
      return false;
  }
  return false;
}

// --- the server's timer

namespace {

struct RetentionLoop : std::enable_shared_from_this<RetentionLoop> {
  http::Server& http;
  store::Store& st;
  RetentionPolicy policy;
  Millis interval_ms;
  std::function<Millis()> clock;
  std::function<void(const std::string&)> log;
  std::unique_ptr<Pruner> pass;

  RetentionLoop(http::Server& h, store::Store& s, RetentionPolicy p, Millis interval,
                std::function<Millis()> c, std::function<void(const std::string&)> l)
      : http(h), st(s), policy(p), interval_ms(interval), clock(std::move(c)), log(std::move(l)) {}

  void begin() {
    pass = std::make_unique<Pruner>(st, policy, clock());
    next();
  }
  // One step, then yields to the io loop (other requests run between steps).
  void next() {
    auto weak = weak_from_this();
    http.post([weak] {
      if (auto self = weak.lock()) self->run_step();
    });
  }
  void run_step() {
    try {
      if (pass->step()) return next();
      const PruneReport& r = pass->report();
      if (r.runs > 0 || r.deliveries > 0) log("log retention " + report_text(r, policy, false));
    } catch (const store::DbError& e) {
      log(std::string("log retention: store error (retrying in ") + format_age(interval_ms) +
          "): " + e.what());
    }
    pass.reset();
    auto weak = weak_from_this();
    http.after(std::chrono::milliseconds(interval_ms), [weak] {
      if (auto self = weak.lock()) self->begin();
    });
  }
};

}  // namespace

std::shared_ptr<void> start_retention(http::Server& http, store::Store& st, RetentionPolicy policy,
                                      Millis interval_ms, std::function<Millis()> clock,
                                      std::function<void(const std::string&)> log) {
  auto loop = std::make_shared<RetentionLoop>(http, st, policy, interval_ms, std::move(clock),
                                              std::move(log));
  std::weak_ptr<RetentionLoop> weak = loop;
  http.post([weak] {
    if (auto self = weak.lock()) self->begin();
  });
  return loop;
}

}  // namespace stackrun::server
