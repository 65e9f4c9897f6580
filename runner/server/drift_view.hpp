#pragma once
// The drift history of the store as the core's drift report (core/drift.hpp) and the wire's
// view of it (GET /api/v1/drift). Reads only; runs on the io thread inside a read transaction.
#include <string>
#include <vector>

#include "runner/core/drift.hpp"
#include "runner/store/store.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::server {

// How many of a repo's newest plan runs the report and the alerts look back over.
inline constexpr int kDriftHistoryRuns = 400;

// The rows of `pipeline` as core history (plans decoded from their stored JSON).
std::vector<core::DriftJob> drift_jobs(const std::vector<store::DriftJobRow>& rows,
                                       const std::string& pipeline);

// The report of repo `repo` ("" = every repo; unknown: an empty report) at `now`: every
// pipeline with plan runs, and every pipeline with a dead-man window, by repo and name.
wire::DriftReport drift_report(store::Store& st, const std::string& repo, store::Millis now);

}  // namespace stackrun::server
