#pragma once
// Cron schedules: 5 fields (minute hour day-of-month month day-of-week) with lists, ranges,
// steps and names (jan..dec, sun..sat), or a descriptor (@yearly @annually @monthly @weekly
// @daily @midnight @hourly). Day-of-month and day-of-week combine as in Vixie cron: when both
// are restricted, a day matches if either does.
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
};

// Fails with a message naming the bad field, e.g. "cron \"61 * * * *\": minute 61 out of range
// 0-59".
Result<CronSpec> parse_cron(std::string_view expr);

// The first time strictly after `after` (UTC, minute resolution) matching `spec`;
// nullopt if none within 5 years (e.g. "0 0 30 2 *").
std::optional<std::chrono::sys_seconds> next_fire(const CronSpec& spec,
                                                  std::chrono::sys_seconds after);

}  // namespace stackrun::core
