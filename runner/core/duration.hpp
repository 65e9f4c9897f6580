#pragma once
// Durations as written in pipelines: "90s", "5m", "1h30m", "250ms". Whole numbers only.
#include <chrono>
#include <string>
#include <string_view>

#include "runner/core/result.hpp"

namespace stackrun::core {

using Duration = std::chrono::milliseconds;

// Parses "<n><unit>" groups, units ms|s|m|h, e.g. "1h30m". "0" alone means zero.
// Fails with a message naming the offending text.
Result<Duration> parse_duration(std::string_view text);

// Shortest exact form, e.g. 90000ms -> "1m30s"; zero -> "0s".
std::string format_duration(Duration d);

}  // namespace stackrun::core
