#pragma once
// What `stackrun runs`, `show`, `trigger` and `cancel` print, as pure functions of the decoded
// answers: the caller prints. Every line ends in "\n" and carries no trailing spaces (with
// colour off). Times are UTC. Golden tests: format_runs_test.cpp, tests/data/golden/.
#include <string>

#include "runner/client/style.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::client {

// "2026-06-28 16:58:01": ms since the Unix epoch, in UTC, to the second.
std::string format_utc(wire::Millis ms);
// "850ms", "12.3s" (under a minute), "4m5s"; a negative span (clock skew) reads "0ms".
std::string format_duration(wire::Millis ms);

// A header line, then one line per run in the list's order:
//   RUN   STATUS     PIPELINE  EVENT   COMMIT        CREATED (UTC)        SUMMARY
//   12    success    apply     push    0123456789ab  2026-06-28 16:58:01  3 ok, 0 skipped, ...
// Columns are padded, never cut (a long value pushes the rest right by one space); the commit
// shows 12 characters and the summary its first line.
std::string format_run_list(const wire::RunList& list, const Style& style);

// The run's head line, its message's first line and summary, then its jobs under one
// "tier NAME" heading per tier (in the answer's order), each with its selection reason, its
// result reason, and one line per attempt (agent, exit code, class or status, duration, rule)
// followed by the deciding line (cut to 200 bytes) and the lock holder when there is one. An
// attempt the server offered but its agent has not confirmed reads
// "#1 offered to agent-1, not started".
// `stackrun deliveries`: a header, then one line per delivery (newest first): id, received (UTC),
// source, outcome, event, branch or ref, commit (12), sender login, run, reason or error.
std::string format_delivery_list(const wire::DeliveryList& list, const Style& style);

std::string format_run_detail(const wire::RunDetail& run, const Style& style);

struct Printed {
  std::string out, err;  // for stdout, for stderr
};

// The created run ids, one per line on stdout; none: "no pipeline matched: nothing to run" on
// stderr (not an error: exit 0).
Printed format_trigger(const wire::TriggerAnswer& answer);

// "run 7: cancel requested" (" (force)" when forced), or "run 7 already finished: success".
std::string format_cancel(wire::Id run, bool force, const wire::CancelAnswer& answer);

}  // namespace stackrun::client
