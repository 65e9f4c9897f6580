#include "runner/server/coordinator.hpp"

#include "pipelines/loader.hpp"
#include "runner/core/duration.hpp"
#include "runner/core/scheduler.hpp"

namespace stackrun::server {
namespace {

core::JobView view_of(const store::JobRow& j) {
  core::JobView v;
  v.id = j.id;
  v.run_id = j.run_id;
  v.repo_id = j.repo_id;
  v.stack = j.stack;
  v.tier = j.tier;
  v.tier_needs = core::split_csv(j.tier_needs);
  v.parallelism = j.parallelism;
  v.status = j.status;
  v.labels = core::split_csv(j.labels);
  return v;
}

std::vector<core::JobView> views_of(const std::vector<store::JobRow>& jobs) {
  std::vector<core::JobView> out;
  out.reserve(jobs.size());
  for (const auto& j : jobs) out.push_back(view_of(j));
  return out;
}

core::TimePoint to_time(Millis ms) { return core::TimePoint(std::chrono::milliseconds(ms)); }
Millis to_millis(core::TimePoint t) { return t.time_since_epoch().count(); }

std::string status_for(core::Action::Kind k) {
  switch (k) {
    case core::Action::Kind::succeed: return "success";
    case core::Action::Kind::drift: return "drift";
    case core::Action::Kind::skip: return "skipped";
    case core::Action::Kind::fail: return "failed";
    case core::Action::Kind::retry:
    case core::Action::Kind::wait_lock: return "queued";
  }
  return "failed";
}

}  // namespace

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::idempotent: return "idempotent";
    case Outcome::stale: return "stale";
    case Outcome::forbidden: return "forbidden";
    case Outcome::not_found: return "not_found";
  }
  return "?";
}

Coordinator::Coordinator(store::Store& store, CoordinatorOptions options, Clock clock, core::JitterSource jitter)
    : store_(store), options_(options), clock_(std::move(clock)), jitter_(std::move(jitter)) {}

void Coordinator::on_startup() {
  auto tx = store_.begin();
  store_.extend_all_leases(clock_() + options_.lease_ms);
  tx.commit();
}

std::optional<Claimed> Coordinator::claim(const store::AgentRow& agent) {
  const Millis now = clock_();
  auto tx = store_.begin();
  store_.touch_agent(agent.id, now);
  const auto claimable = store_.claimable_jobs(now);
  const auto unfinished = store_.unfinished_jobs();
  const auto pick = core::pick_job(views_of(claimable), views_of(unfinished), core::split_csv(agent.labels));
  if (!pick) {
    tx.commit();
    return std::nullopt;
  }
  const store::JobRow& job = claimable[*pick];
  const auto epoch = store_.claim_job(job.id);
  if (!epoch) return std::nullopt;  // lost a race (cannot happen under BEGIN IMMEDIATE)
  const int n = static_cast<int>(store_.attempts_of_job(job.id).size()) + 1;
  const Id attempt_id = store_.insert_attempt(job.id, n, agent.id, *epoch, now + options_.lease_ms, now);
  store_.set_run_status(job.run_id, "queued", "running", now);
  store_.insert_sys_line(job.run_id, job.id,
                         "--- " + job.kind + " attempt " + std::to_string(n) + " started on " + agent.name, now);
  Claimed c;
  c.attempt = *store_.attempt(attempt_id);
  c.job = *store_.job(job.id);
  c.run = *store_.run(job.run_id);
  c.repo_url = store_.repo_by_id(job.repo_id)->url;
  tx.commit();
  return c;
}

HeartbeatResult Coordinator::heartbeat(const store::AgentRow& agent, Id attempt_id, std::int64_t epoch) {
  const Millis now = clock_();
  auto tx = store_.begin();
  store_.touch_agent(agent.id, now);
  HeartbeatResult r;
  const auto att = store_.attempt(attempt_id);
  if (!att) {
    r.outcome = Outcome::not_found;
  } else if (att->agent_id != agent.id) {
    r.outcome = Outcome::forbidden;
  } else if (!store_.extend_lease(attempt_id, epoch, now + options_.lease_ms)) {
    r.outcome = Outcome::stale;
  } else {
    const auto job = store_.job(att->job_id);
    const auto run = store_.run(job->run_id);
    r.cancel = run->cancel_requested >= 2;
    r.lease_expires_at = store_.attempt(attempt_id)->lease_expires_at;
  }
  tx.commit();
  return r;
}

Outcome Coordinator::append_logs(const store::AgentRow& agent, Id attempt_id, const std::vector<LogChunk>& chunks) {
  const Millis now = clock_();
  auto tx = store_.begin();
  const auto att = store_.attempt(attempt_id);
  if (!att) return Outcome::not_found;
  if (att->agent_id != agent.id) return Outcome::forbidden;
  const auto job = store_.job(att->job_id);
  for (const auto& c : chunks) store_.insert_chunk(job->run_id, job->id, attempt_id, c.seq, c.data, now);
  tx.commit();
  return Outcome::ok;
}

core::FailurePolicy Coordinator::policy_of(const store::RunRow& run) {
  auto loaded = pipelines::load_pipeline(run.pipeline_yaml, run.pipeline_file);
  // The snapshot was validated when the run was created; a default policy is the fallback.
  return loaded.pipeline ? loaded.pipeline->on_failure : core::FailurePolicy{};
}

Outcome Coordinator::finish(const store::AgentRow& agent, const FinishReport& rep) {
  const Millis now = clock_();
  auto tx = store_.begin();
  const auto att = store_.attempt(rep.attempt_id);
  if (!att) return Outcome::not_found;
  if (att->agent_id != agent.id) return Outcome::forbidden;
  if (att->status != "running") {
    const bool same = att->status == "finished" && att->epoch == rep.epoch;
    return same ? Outcome::idempotent : Outcome::stale;
  }
  const auto job = store_.job(att->job_id);
  if (att->epoch != rep.epoch || job->epoch != rep.epoch || job->status != "running") return Outcome::stale;
  store::Store::Finish f;
  f.exit_code = rep.exit_code;
  f.cls = std::string(core::to_string(rep.verdict.cls));
  f.rule = rep.verdict.rule;
  f.line = rep.verdict.line;
  f.line_no = rep.verdict.line_no;
  f.lock_json = rep.lock_json;
  if (!store_.finish_attempt(rep.attempt_id, rep.epoch, "finished", f, now)) return Outcome::stale;
  const auto run = store_.run(job->run_id);
  const std::string verdict_text = std::string(core::to_string(rep.verdict.cls)) + " (" + rep.verdict.rule + ")" +
                                   (rep.verdict.line.empty() ? "" : ": " + rep.verdict.line);

  if (rep.stopped) {
    job_finished(*job, *run, "cancelled", "stopped on request (exit " + std::to_string(rep.exit_code) + ")", now);
  } else {
    std::vector<core::AttemptRecord> history;
    for (const auto& a : store_.attempts_of_job(job->id)) {
      if (a.status != "finished") continue;
      const auto cls = core::class_from_string(a.cls);
      history.push_back({cls.value_or(core::Class::fatal), to_time(a.finished_at.value_or(now))});
    }
    const core::Action action = core::decide(rep.verdict, history, policy_of(*run), to_time(now), jitter_);
    const std::string status = status_for(action.kind);
    if (status == "queued" && run->cancel_requested > 0) {
      job_finished(*job, *run, "cancelled", "run cancelled while waiting to retry", now);
    } else if (status == "queued") {
      const Millis at = to_millis(action.at);
      store_.transition_job(job->id, "running", "queued", action.reason, std::nullopt, at);
      store_.insert_sys_line(run->id, job->id,
                             "verdict: " + verdict_text + " -> " + std::string(core::to_string(action.kind)) +
                                 " in " + core::format_duration(core::Duration(std::max<Millis>(0, at - now))) +
                                 (action.reason.empty() ? "" : " (" + action.reason + ")"),
                             now);
    } else {
      store_.insert_sys_line(run->id, job->id, "verdict: " + verdict_text + " -> " + status, now);
      job_finished(*job, *run, status, action.reason, now);
    }
  }
  settle_run(run->id, now);
  tx.commit();
  return Outcome::ok;
}

void Coordinator::job_finished(const store::JobRow& job, const store::RunRow& run, const std::string& status,
                               const std::string& reason, Millis now) {
  if (!store_.transition_job(job.id, job.status, status, reason, now)) return;
  if (status == "success" && job.kind == "apply")
    store_.record_applied(job.repo_id, job.stack, run.commit_sha, run.id, now);
  if (status != "success" && status != "drift" && !reason.empty())
    store_.insert_sys_line(run.id, job.id, status + ": " + reason, now);
}

void Coordinator::settle_run(Id run_id, Millis now) {
  auto jobs = store_.jobs_of_run(run_id);
  for (Id id : core::jobs_to_release(views_of(jobs))) store_.transition_job(id, "pending", "queued", "", std::nullopt, now);
  jobs = store_.jobs_of_run(run_id);
  const auto outcome = core::run_outcome(views_of(jobs));
  if (!outcome) return;
  const auto run = store_.run(run_id);
  if (run->status != "queued" && run->status != "running") return;
  int ok = 0, skipped = 0, failed = 0, other = 0;
  for (const auto& j : jobs) {
    if (j.status == "success" || j.status == "drift") ++ok;
    else if (j.status == "skipped") ++skipped;
    else if (j.status == "failed" || j.status == "interrupted") ++failed;
    else ++other;
  }
  const std::string summary = std::to_string(ok) + " ok, " + std::to_string(skipped) + " skipped, " +
                              std::to_string(failed) + " failed" +
                              (other ? ", " + std::to_string(other) + " cancelled" : "");
  store_.set_run_summary(run_id, summary);
  store_.insert_sys_line(run_id, std::nullopt, "run " + *outcome + ": " + summary, now);
  store_.set_run_status(run_id, run->status, *outcome, now);
}

int Coordinator::reap() {
  const Millis now = clock_();
  auto tx = store_.begin();
  int reaped = 0;
  for (const auto& att : store_.expired_attempts(now)) {
    const auto job = store_.job(att.job_id);
    const auto run = store_.run(job->run_id);
    const bool plan = job->kind == "plan";
    if (!store_.finish_attempt(att.id, att.epoch, plan ? "lost" : "interrupted", std::nullopt, now)) continue;
    ++reaped;
    if (plan && run->cancel_requested == 0) {
      store_.transition_job(job->id, "running", "queued", "agent " + att.agent_name + " lost; plan requeued",
                            std::nullopt, now);
      store_.insert_sys_line(run->id, job->id, "agent " + att.agent_name + " stopped heartbeating; plan requeued", now);
    } else {
      job_finished(*job, *run, plan ? "cancelled" : "interrupted",
                   "agent " + att.agent_name + " stopped heartbeating during " + job->kind +
                       " attempt " + std::to_string(att.n) +
                       (plan ? "" : "; state may be stale, not re-run automatically (re-apply with "
                                    "`stackrun trigger apply --stack " + job->stack + "`)"),
                   now);
    }
    settle_run(run->id, now);
  }
  tx.commit();
  return reaped;
}

Outcome Coordinator::cancel(Id run_id, bool force) {
  const Millis now = clock_();
  auto tx = store_.begin();
  const auto run = store_.run(run_id);
  if (!run) return Outcome::not_found;
  if (run->status != "queued" && run->status != "running") return Outcome::idempotent;
  store_.request_cancel(run_id, force ? 2 : 1);
  for (const auto& j : store_.jobs_of_run(run_id)) {
    if (j.status == "pending" || j.status == "queued")
      store_.transition_job(j.id, j.status, "cancelled", "run cancelled before it started", now);
  }
  store_.insert_sys_line(run_id, std::nullopt,
                         force ? "cancel requested (force: running steps get SIGINT)"
                               : "cancel requested (running steps finish; nothing new starts)",
                         now);
  settle_run(run_id, now);
  tx.commit();
  return Outcome::ok;
}

}  // namespace stackrun::server
