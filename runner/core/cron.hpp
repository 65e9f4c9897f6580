#pragma once
// Cron schedules: 5 fields (minute hour day-of-month month day-of-week) with lists, ranges,
// steps and names (jan..dec, sun..sat), or a descriptor (@yearly @annually @monthly @weekly
// @daily @midnight @hourly). Day-of-month also takes `L` (the month's last day), `LW` (its last
// weekday, Monday to Friday) and `<n>W` (the weekday nearest day n, never leaving the month);
// day-of-week takes `<d>L` (the month's last such weekday) and `<d>#<n>` (its n-th, 1-5).
// Day-of-month and day-of-week combine as in Vixie cron: when both are restricted (neither
// field starts with `*` or `?`), a day matches if either does.
//
// Time zones (IANA, through cctz): a schedule fires at local wall-clock times. Two rules for
// daylight-saving changes, as cronie and Kubernetes CronJobs behave:
//   - a local time that does not exist (the hour skipped in spring) fires at the first instant
//     after the gap (02:30 on a 02:00 -> 03:00 night fires at 03:00 local);
//   - a local time that happens twice (the hour repeated in autumn) fires once, the first time.
#include <cctz/time_zone.h>

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "runner/core/result.hpp"

namespace stackrun::core {

struct CronSpec {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     // 1..31
  std::bitset<13> months;   // 1..12
  std::bitset<8> weekdays;  // 0..6, Sunday = 0 (7 is accepted and folded to 0)
  bool dom_star = true, dow_star = true;
  bool last_day = false;      // L
  bool last_weekday = false;  // LW
  std::bitset<32> nearest;    // nW: bit n
  std::bitset<7> last_of;     // dL: bit d
  std::bitset<35> nth;        // d#n: bit d * 5 + (n - 1)
};

// Fails with a message naming the bad field, e.g. "cron \"61 * * * *\": minute 61 out of range
// 0-59", or an expression that can never fire: "cron \"0 0 30 2 *\": never fires (no day
// matches its day-of-month, month and day-of-week)".
Result<CronSpec> parse_cron(std::string_view expr);

// The first time strictly after `after` matching `spec` at minute resolution, in UTC (first
// form) or at wall-clock times of `zone` (the rules above). However far ahead it is: the
// calendar repeats every 400 years, so nullopt means it never fires.
std::optional<std::chrono::sys_seconds> next_fire(const CronSpec& spec,
                                                  std::chrono::sys_seconds after);
std::optional<std::chrono::sys_seconds> next_fire(const CronSpec& spec,
                                                  std::chrono::sys_seconds after,
                                                  const cctz::time_zone& zone);

// "2026-03-08T07:00:00Z": how `cron next` and the schedules print an instant.
std::string iso_utc(std::chrono::sys_seconds t);

// The IANA zone `name` ("UTC", "Europe/Berlin") from the system's zoneinfo database (package
// tzdata): the core's one read of a file. Error: `unknown time zone "Mars/Base"`.
Result<cctz::time_zone> load_zone(const std::string& name);

}  // namespace stackrun::core
