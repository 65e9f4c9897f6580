#include "runner/server/drift_view.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace stackrun::server {

std::vector<core::DriftJob> drift_jobs(const std::vector<store::DriftJobRow>& rows,
                                       const std::string& pipeline) {
  std::vector<core::DriftJob> out;
  for (const auto& r : rows) {
    if (r.pipeline != pipeline) continue;
    core::DriftJob j;
    j.run_id = r.run_id;
    j.stack = r.stack;
    j.status = r.status;
    j.finished_at = r.finished_at;
    j.reason = r.result_reason;
    if (!r.plan_json.empty())
      if (auto plan = wire::decode_plan(r.plan_json)) j.plan = *plan;
    j.line = r.line;
    j.rule = r.rule;
    out.push_back(std::move(j));
  }
  return out;
}

namespace {

wire::DriftStackView view_of(const core::StackDrift& s) {
  wire::DriftStackView v;
  v.stack = s.stack;
  v.state = std::string(core::to_string(s.state));
  v.run = s.run_id;
  v.at = s.at;
  if (s.state == core::DriftState::drift) v.plan = s.plan;
  if (s.state == core::DriftState::error) {
    v.line = s.line;
    v.rule = s.rule;
  }
  if (s.state == core::DriftState::skipped) v.reason = s.reason;
  v.last_clean = s.last_clean;
  v.drifting_since = s.drifting_since;
  return v;
}

void add_repo(store::Store& st, const store::RepoRow& repo, store::Millis now,
              wire::DriftReport& out) {
  const auto rows = st.drift_history(repo.id, kDriftHistoryRuns);
  std::set<std::string> pipelines;
  for (const auto& r : rows) pipelines.insert(r.pipeline);
  std::map<std::string, std::vector<store::ScheduleRow>> schedules;
  for (auto& s : st.schedules(repo.id)) {
    if (s.state == store::ScheduleState::gone) continue;
    if (s.deadman_ms > 0) pipelines.insert(s.pipeline);
    schedules[s.pipeline].push_back(std::move(s));
  }
  for (const auto& name : pipelines) {
    wire::DriftPipelineView p;
    p.repo = repo.name;
    p.pipeline = name;
    if (auto last = st.last_completed_run(repo.id, name)) {
      p.last_completed = last->first;
      p.last_run = last->second;
      if (auto run = st.run(last->second))
        p.last_status = std::string(core::to_string(run->status));
    }
    std::optional<store::Millis> watching_since;
    for (const auto& s : schedules[name]) {
      p.schedules.push_back(s.name);
      if (s.deadman_ms > 0 && (p.deadman_ms == 0 || s.deadman_ms < p.deadman_ms))
        p.deadman_ms = s.deadman_ms;
      if (s.deadman_ms > 0)
        watching_since = std::min(watching_since.value_or(s.watching_since), s.watching_since);
    }
    if (p.deadman_ms > 0) {
      core::Deadman d;
      d.window = p.deadman_ms;
      d.last_completed = p.last_completed;
      d.last_run_id = p.last_run.value_or(0);
      d.watching_since = watching_since.value_or(now);
      p.deadman_due = core::deadman_due(d);
      p.deadman_breached = core::deadman_breached(d, now);
    }
    for (const auto& s : core::drift_report(drift_jobs(rows, name))) p.stacks.push_back(view_of(s));
    out.pipelines.push_back(std::move(p));
  }
}

}  // namespace

wire::DriftReport drift_report(store::Store& st, const std::string& repo, store::Millis now) {
  wire::DriftReport out;
  out.now = now;
  if (!repo.empty()) {
    if (auto row = st.repo_by_name(repo)) add_repo(st, *row, now, out);
    return out;
  }
  for (const auto& r : st.repos()) add_repo(st, r, now, out);
  return out;
}

}  // namespace stackrun::server
