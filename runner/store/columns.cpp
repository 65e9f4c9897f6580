#include "runner/store/columns.hpp"

namespace stackrun::store::columns {
namespace {

template <class T>
T known(std::optional<T> v, std::string_view what, std::string_view text) {
  if (!v)
    throw DbError("unknown " + std::string(what) + " \"" + std::string(text) +
                  "\" in the database (written by a newer stackrun?)");
  return *v;
}

constexpr const char* kRunCols =
    "r.id, r.repo_id, p.name, r.pipeline, r.pipeline_file, r.pipeline_yaml, r.kind, r.event, "
    "r.ref, "
    "r.before_commit, r.commit_sha, r.message, r.status, r.summary, r.cancel_requested, "
    "r.created_at, r.started_at, r.finished_at, r.lock_wait_ms, r.lock_poll_ms, r.lock_then, "
    "r.transient_attempts, r.transient_backoff_ms, r.transient_max_backoff_ms, r.transient_jitter, "
    "r.superseded_by, r.schedule_id, r.scheduled_for";

constexpr const char* kJobCols =
    "id, run_id, repo_id, stack, label, tier, tier_needs, kind, status, reason, result_reason, "
    "tier_index, parallelism, not_before, epoch, created_at, finished_at, labels, needs, "
    "approved_attempt, approved_by, approved_at";

constexpr const char* kAttemptCols =
    "a.id, a.job_id, a.agent_id, g.name, a.n, a.epoch, a.status, a.lease_expires_at, a.exit_code, "
    "a.class, a.rule, a.line, a.lock_json, a.line_no, a.started_at, a.finished_at, a.out_bytes, "
    "a.out_truncated, a.plan_json";

}  // namespace

core::RunStatus run_status(std::string_view s) {
  return known(core::parse_run_status(s), "run status", s);
}
core::JobStatus job_status(std::string_view s) {
  return known(core::parse_job_status(s), "job status", s);
}
core::AttemptStatus attempt_status(std::string_view s) {
  return known(core::parse_attempt_status(s), "attempt status", s);
}
core::JobKind job_kind(std::string_view s) {
  return known(core::parse_job_kind(s), "job kind", s);
}

core::CancelLevel cancel_level(std::int64_t v) {
  switch (v) {
    case 0:
      return core::CancelLevel::none;
    case 1:
      return core::CancelLevel::graceful;
    case 2:
      return core::CancelLevel::force;
    default:
      throw DbError("unknown cancel level " + std::to_string(v) + " in the database");
  }
}

std::int64_t cancel_number(core::CancelLevel c) {
  switch (c) {
    case core::CancelLevel::none:
      return 0;
    case core::CancelLevel::graceful:
      return 1;
    case core::CancelLevel::force:
      return 2;
  }
  return 0;
}

std::string select_runs(const char* where) {
  return std::string("SELECT ") + kRunCols + " FROM runs r JOIN repos p ON p.id = r.repo_id " +
         where;
}

RunRow read_run(const Stmt& s) {
  RunRow r;
  r.id = s.i64(0);
  r.repo_id = s.i64(1);
  r.repo_name = s.text(2);
  r.pipeline = s.text(3);
  r.pipeline_file = s.text(4);
  r.pipeline_yaml = s.text(5);
  r.kind = job_kind(s.text(6));
  r.event = s.text(7);
  r.ref = s.text(8);
  r.before_commit = s.text(9);
  r.commit_sha = s.text(10);
  r.message = s.text(11);
  r.status = run_status(s.text(12));
  r.summary = s.text(13);
  r.cancel = cancel_level(s.i64(14));
  r.created_at = s.i64(15);
  r.started_at = s.opt_i64(16);
  r.finished_at = s.opt_i64(17);
  r.policy.lock.wait = core::Duration(s.i64(18));
  r.policy.lock.poll = core::Duration(s.i64(19));
  r.policy.lock.then =
      s.text(20) == "fail" ? core::LockPolicy::Then::fail : core::LockPolicy::Then::skip;
  r.policy.transient.attempts = static_cast<int>(s.i64(21));
  r.policy.transient.backoff = core::Duration(s.i64(22));
  r.policy.transient.max_backoff = core::Duration(s.i64(23));
  r.policy.transient.jitter = s.real(24);
  r.superseded_by = s.opt_i64(25);
  r.schedule_id = s.opt_i64(26);
  r.scheduled_for = s.opt_i64(27);
  return r;
}

std::string select_jobs(const char* where) {
  return std::string("SELECT ") + kJobCols + " FROM jobs " + where;
}

JobRow read_job(const Stmt& s) {
  JobRow j;
  j.id = s.i64(0);
  j.run_id = s.i64(1);
  j.repo_id = s.i64(2);
  j.stack = s.text(3);
  j.label = s.text(4);
  j.tier = s.text(5);
  j.tier_needs = s.text(6);
  j.kind = job_kind(s.text(7));
  j.status = job_status(s.text(8));
  j.reason = s.text(9);
  j.result_reason = s.text(10);
  j.tier_index = static_cast<int>(s.i64(11));
  j.parallelism = static_cast<int>(s.i64(12));
  j.not_before = s.i64(13);
  j.epoch = s.i64(14);
  j.created_at = s.i64(15);
  j.finished_at = s.opt_i64(16);
  j.labels = s.text(17);
  j.needs = s.text(18);
  j.approved_attempt = s.opt_i64(19);
  j.approved_by = s.text(20);
  j.approved_at = s.opt_i64(21);
  return j;
}

std::string select_attempts(const char* where) {
  return std::string("SELECT ") + kAttemptCols +
         " FROM attempts a JOIN agents g ON g.id = a.agent_id " + where;
}

AttemptRow read_attempt(const Stmt& s) {
  AttemptRow a;
  a.id = s.i64(0);
  a.job_id = s.i64(1);
  a.agent_id = s.i64(2);
  a.agent_name = s.text(3);
  a.n = static_cast<int>(s.i64(4));
  a.epoch = s.i64(5);
  a.status = attempt_status(s.text(6));
  a.lease_expires_at = s.i64(7);
  a.exit_code = s.opt_i64(8);
  if (!s.is_null(9)) a.cls = known(core::class_from_string(s.text(9)), "verdict class", s.text(9));
  a.rule = s.text(10);
  a.line = s.text(11);
  a.lock_json = s.text(12);
  a.line_no = static_cast<int>(s.i64(13));
  a.started_at = s.i64(14);
  a.finished_at = s.opt_i64(15);
  a.out_bytes = s.i64(16);
  a.out_truncated = s.i64(17) != 0;
  a.plan_json = s.text(18);
  return a;
}

}  // namespace stackrun::store::columns
