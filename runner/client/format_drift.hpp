#pragma once
// What `stackrun schedules` and `stackrun drift` print, as pure functions of the decoded
// answers (like format_runs.hpp: every line ends in "\n", no trailing spaces with colour off,
// times in UTC). Golden-style tests: format_drift_test.cpp.
#include <string>

#include "runner/client/style.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::client {

// A header, then one line per schedule:
//   ID  REPO   PIPELINE  SCHEDULE  CRON        ZONE  STATE    NEXT (UTC)           LAST (UTC) ...
// then LAST's outcome ("run 12 drift", "no run: ..."), the dead-man window ("26h ok",
// "26h BREACHED", "-"), and for a disabled or gone schedule its reason on the next line.
std::string format_schedule_list(const wire::ScheduleList& list, const Style& style);

// Per pipeline: a header line (repo, pipeline, schedules, the last completed run and when, the
// dead-man window and whether it is breached), then one line per stack, errors first, then
// drift, skipped and clean (each group by stack): the result, the run, and
//   drift:   the counts, "drifting since", "last clean", then up to 10 changed addresses
//   error:   the deciding line (cut to 200 bytes) and its rule, "last clean"
//   skipped: the reason
//   clean:   nothing more
// and a count line ("11 stacks: 2 drift, 1 error, 1 skipped, 7 clean"). Nothing to report:
// one line saying so.
std::string format_drift_report(const wire::DriftReport& report, const Style& style);

}  // namespace stackrun::client
