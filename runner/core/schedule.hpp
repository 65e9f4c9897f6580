#pragma once
// Cron schedules over time (pure): when a schedule is next due, what reading the pipelines on a
// repo's default branch changes about the stored schedules, and where a schedule moves once a
// due time is claimed. The store keeps them (schema/sql/0008_schedules.sql); the server fires
// them (runner/server/schedules.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"

namespace stackrun::core {

using Millis = std::int64_t;  // ms since the Unix epoch

// What a pipeline file on the default branch declares.
struct DeclaredSchedule {
  std::string pipeline, name, cron, timezone = "UTC", file;
  Millis deadman_ms = 0;  // 0: no dead-man window
};

// enabled: fires; disabled: an operator switched it off; gone: no longer declared (or its
// repo is gone). The store keeps the text of to_string.
enum class ScheduleState { enabled, disabled, gone };
std::string_view to_string(ScheduleState s);

// A schedule as stored; `id` 0 for one not stored yet.
struct KnownSchedule {
  std::int64_t id = 0;
  std::string pipeline, name, cron, timezone = "UTC", file, commit;
  Millis deadman_ms = 0;
  ScheduleState state = ScheduleState::enabled;
  std::string reason;
  std::optional<Millis> next_fire_at;
  Millis watching_since = 0;
  bool operator==(const KnownSchedule&) const = default;
};

// The first due time strictly after `after` (ms, whole seconds count; due times fall on whole
// minutes) of `cron` in zone `timezone`. Errors name the expression or the zone.
Result<Millis> next_due(const std::string& cron, const std::string& timezone, Millis after);

// Where a schedule moves once due time `due` is claimed at `now`: its next due time after both,
// so a schedule overdue after downtime fires once, not once per missed slot.
Result<Millis> next_after_claim(const std::string& cron, const std::string& timezone, Millis due,
                                Millis now);

// The rows to write after reading the pipelines at `commit` of the default branch (`declared`:
// every schedule there; `known`: every stored one of the repo). Only changed or new rows are
// returned.
// - New: enabled, due next after `now`, watched (dead-man) from `now`.
// - Still declared: takes the new cron, zone, window and file. An enabled one keeps its next
//   due time (an overdue one still fires once) unless its cron or zone changed (then the next
//   after `now`); a disabled one stays disabled; a gone one comes back enabled.
// - No longer declared: gone, no next due time, the reason naming the pipeline and commit.
// A declared schedule whose next due time cannot be computed (it passed lint when the
// pipeline was loaded, so only a zone missing on the server) is stored gone with that error.
std::vector<KnownSchedule> sync_schedules(const std::vector<DeclaredSchedule>& declared,
                                          const std::vector<KnownSchedule>& known,
                                          const std::string& commit, Millis now);

}  // namespace stackrun::core
