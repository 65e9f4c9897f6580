#include "runner/core/schedule.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "runner/core/cron.hpp"

namespace stackrun::core {
namespace {

using std::chrono::sys_seconds;

// Due times are whole minutes; a fraction of a second past one counts as after it.
sys_seconds floor_seconds(Millis ms) {
  return sys_seconds(std::chrono::seconds(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)));
}

}  // namespace

std::string_view to_string(ScheduleState s) {
  switch (s) {
    case ScheduleState::enabled:
      return "enabled";
    case ScheduleState::disabled:
      return "disabled";
    case ScheduleState::gone:
      return "gone";
  }
  return "gone";
}

Result<Millis> next_due(const std::string& cron, const std::string& timezone, Millis after) {
  auto spec = parse_cron(cron);
  if (!spec) return Error{spec.error()};
  auto zone = load_zone(timezone);
  if (!zone) return Error{zone.error()};
  const auto t = next_fire(*spec, floor_seconds(after), *zone);
  if (!t) return Error{"cron \"" + cron + "\" never fires"};
  return static_cast<Millis>(t->time_since_epoch().count()) * 1000;
}

Result<Millis> next_after_claim(const std::string& cron, const std::string& timezone, Millis due,
                                Millis now) {
  return next_due(cron, timezone, std::max(due, now));
}

std::vector<KnownSchedule> sync_schedules(const std::vector<DeclaredSchedule>& declared,
                                          const std::vector<KnownSchedule>& known,
                                          const std::string& commit, Millis now) {
  std::map<std::pair<std::string, std::string>, const KnownSchedule*> by_key;
  for (const auto& k : known) by_key[{k.pipeline, k.name}] = &k;
  std::vector<KnownSchedule> out;
  const std::string at = commit.substr(0, 12);
  for (const auto& d : declared) {
    const auto it = by_key.find({d.pipeline, d.name});
    KnownSchedule row;
    if (it != by_key.end()) {
      row = *it->second;
      by_key.erase(it);
    } else {
      row.pipeline = d.pipeline;
      row.name = d.name;
      row.watching_since = now;
      row.state = ScheduleState::enabled;
    }
    const KnownSchedule before = row;
    const bool timing_changed = row.id == 0 || row.cron != d.cron || row.timezone != d.timezone;
    row.cron = d.cron;
    row.timezone = d.timezone;
    row.deadman_ms = d.deadman_ms;
    row.file = d.file;
    if (row.state == ScheduleState::gone) {
      row.state = ScheduleState::enabled;
      row.reason.clear();
      row.next_fire_at.reset();
      row.watching_since = now;  // watched again from when it came back
    }
    if (row.state == ScheduleState::enabled && (timing_changed || !row.next_fire_at)) {
      if (auto next = next_due(d.cron, d.timezone, now)) {
        row.next_fire_at = *next;
      } else {
        row.state = ScheduleState::gone;
        row.reason = next.error();
        row.next_fire_at.reset();
      }
    }
    if (row.id == 0 || !(row == before)) {
      row.commit = commit;
      out.push_back(std::move(row));
    }
  }
  for (const auto& [key, k] : by_key) {
    if (k->state == ScheduleState::gone) continue;
    KnownSchedule row = *k;
    bool pipeline_there = false;
    for (const auto& d : declared) pipeline_there |= d.pipeline == k->pipeline;
    row.state = ScheduleState::gone;
    row.next_fire_at.reset();
    row.reason = pipeline_there
                     ? "schedule \"" + k->name + "\" is no longer declared by pipeline " +
                           k->pipeline + " at " + at
                     : "pipeline " + k->pipeline + " is gone or declares no schedules at " + at;
    row.commit = commit;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace stackrun::core
