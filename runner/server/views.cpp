// Store rows as the wire's views of runs, jobs, attempts and offers.
#include "runner/server/api_internal.hpp"

namespace stackrun::server {
namespace {

wire::AttemptDetail attempt_detail(const store::AttemptRow& a) {
  wire::AttemptDetail d;
  d.n = a.n;
  d.agent = a.agent_name;
  d.status = a.status;
  if (a.exit_code) d.exit_code = static_cast<int>(*a.exit_code);
  d.cls = a.cls;
  d.rule = a.rule;
  d.line = a.line;
  d.line_no = a.line_no;
  if (!a.lock_json.empty())
    if (auto lock = wire::decode_lock(a.lock_json)) d.lock = *lock;
  if (!a.plan_json.empty())
    if (auto plan = wire::decode_plan(a.plan_json)) d.plan = *plan;
  d.started_at = a.started_at;
  d.finished_at = a.finished_at;
  return d;
}

}  // namespace

wire::RunSummary summary_of(const store::RunRow& r) {
  wire::RunSummary s;
  s.id = r.id;
  s.repo = r.repo_name;
  s.pipeline = r.pipeline;
  s.pipeline_file = r.pipeline_file;
  s.kind = r.kind;
  s.event = r.event;
  s.ref = r.ref;
  s.before = r.before_commit;
  s.commit = r.commit_sha;
  s.message = r.message;
  s.status = r.status;
  s.summary = r.summary;
  s.cancel = r.cancel;
  s.created_at = r.created_at;
  s.started_at = r.started_at;
  s.finished_at = r.finished_at;
  s.superseded_by = r.superseded_by;
  s.schedule = r.schedule_id;
  s.scheduled_for = r.scheduled_for;
  return s;
}

wire::RunDetail detail_of(const store::RunRow& r, const std::vector<store::JobRow>& jobs,
                          const std::function<std::vector<store::AttemptRow>(Id)>& attempts_of,
                          const std::function<std::optional<store::SavedPlanRow>(Id)>& plans_of) {
  wire::RunDetail d;
  d.run = summary_of(r);
  for (const auto& j : jobs) {
    wire::JobDetail jd;
    jd.id = j.id;
    jd.stack = j.stack;
    jd.label = j.label;
    jd.tier = j.tier;
    jd.kind = j.kind;
    jd.status = j.status;
    jd.reason = j.reason;
    jd.result_reason = j.result_reason;
    jd.not_before = j.not_before;
    jd.created_at = j.created_at;
    jd.finished_at = j.finished_at;
    for (const auto& a : attempts_of(j.id)) jd.attempts.push_back(attempt_detail(a));
    const bool guarded = j.status == core::JobStatus::needs_approval ||
                         j.status == core::JobStatus::refused || j.approved_attempt;
    if (guarded) {
      if (const auto plan = plans_of(j.id)) jd.destroys = plan->destroys;
    }
    jd.approved_by = j.approved_by;
    jd.approved_at = j.approved_at;
    d.jobs.push_back(std::move(jd));
  }
  return d;
}

wire::Offer offer_of(const Claimed& c, const CoordinatorOptions& options) {
  wire::Offer o;
  o.attempt_id = c.attempt.id;
  o.job_id = c.job.id;
  o.run_id = c.run.id;
  o.epoch = c.attempt.epoch;
  o.n = c.attempt.n;
  o.lease_ms = options.lease_ms;
  o.offer_ms = options.offer_ms;
  o.repo_url = c.repo_url;
  o.commit = c.run.commit_sha;
  o.ref = c.run.ref;
  o.stack = c.job.stack;
  o.label = c.job.label;
  o.tier = c.job.tier;
  o.kind = c.job.kind;
  o.event = c.run.event;
  o.pipeline = c.run.pipeline;
  o.pipeline_file = c.run.pipeline_file;
  o.pipeline_yaml = c.run.pipeline_yaml;
  o.message = c.run.message;
  if (c.approved_plan) {
    o.approved_plan = wire::SavedPlanFile{c.approved_plan->step, c.approved_plan->path,
                                          c.approved_plan->sha256, c.approved_plan->data};
    o.approved_by = c.job.approved_by;
  }
  return o;
}

}  // namespace stackrun::server
