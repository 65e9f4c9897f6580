// Cron schedules (schema/sql/0008_schedules.sql) and the drift history of plan runs. The
// decisions (when a schedule is due, what a sync changes) are the server's and the core's; the
// one rule kept here is the claim's compare-and-swap.
#include <string_view>

#include "runner/store/columns.hpp"
#include "runner/store/store.hpp"

namespace stackrun::store {

namespace {

ScheduleState parse_state(const std::string& s) {
  for (auto v : {ScheduleState::enabled, ScheduleState::disabled, ScheduleState::gone})
    if (core::to_string(v) == s) return v;
  throw DbError("unknown schedule state \"" + s + "\" in the database (a newer stackrun?)");
}

constexpr const char* kColumns =
    "SELECT s.id, s.repo_id, p.name, s.pipeline, s.name, s.cron, s.timezone, s.deadman_ms, "
    "s.pipeline_file, s.read_at_commit, s.state, s.state_reason, s.next_fire_at, s.last_fire_at, "
    "s.last_run_id, r.status, s.last_outcome, s.watching_since, s.deadman_alerted_at, "
    "s.created_at, s.updated_at FROM schedules s JOIN repos p ON p.id = s.repo_id "
    "LEFT JOIN runs r ON r.id = s.last_run_id ";

ScheduleRow read_row(const Stmt& s) {
  ScheduleRow r;
  r.id = s.i64(0);
  r.repo_id = s.i64(1);
  r.repo_name = s.text(2);
  r.pipeline = s.text(3);
  r.name = s.text(4);
  r.cron = s.text(5);
  r.timezone = s.text(6);
  r.deadman_ms = s.i64(7);
  r.pipeline_file = s.text(8);
  r.read_at_commit = s.text(9);
  r.state = parse_state(s.text(10));
  r.state_reason = s.text(11);
  r.next_fire_at = s.opt_i64(12);
  r.last_fire_at = s.opt_i64(13);
  r.last_run_id = s.opt_i64(14);
  if (r.last_run_id && !s.text(15).empty()) r.last_run_status = columns::run_status(s.text(15));
  r.last_outcome = s.text(16);
  r.watching_since = s.i64(17);
  r.deadman_alerted_at = s.opt_i64(18);
  r.created_at = s.i64(19);
  r.updated_at = s.i64(20);
  return r;
}

}  // namespace

std::vector<ScheduleRow> Store::schedules(Id repo_id) {
  auto s = db_.prepare(std::string(kColumns) +
                       "WHERE ?1 = 0 OR s.repo_id = ?1 ORDER BY p.name, s.pipeline, s.name");
  s.bind(1, repo_id);
  std::vector<ScheduleRow> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

std::optional<ScheduleRow> Store::schedule(Id id) {
  auto s = db_.prepare(std::string(kColumns) + "WHERE s.id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

Id Store::insert_schedule(const ScheduleRow& r, Millis now) {
  db_.prepare(
         "INSERT INTO schedules(repo_id, pipeline, name, cron, timezone, deadman_ms, "
         "pipeline_file, read_at_commit, state, state_reason, next_fire_at, watching_since, "
         "created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
         "?13)")
      .bind(1, r.repo_id)
      .bind(2, r.pipeline)
      .bind(3, r.name)
      .bind(4, r.cron)
      .bind(5, r.timezone)
      .bind(6, r.deadman_ms)
      .bind(7, r.pipeline_file)
      .bind(8, r.read_at_commit)
      .bind(9, core::to_string(r.state))
      .bind(10, r.state_reason)
      .bind(11, r.next_fire_at)
      .bind(12, r.watching_since)
      .bind(13, now)
      .exec();
  return db_.last_insert_id();
}

void Store::update_schedule(const ScheduleRow& r, Millis now) {
  db_.prepare(
         "UPDATE schedules SET cron = ?2, timezone = ?3, deadman_ms = ?4, pipeline_file = ?5, "
         "read_at_commit = ?6, state = ?7, state_reason = ?8, next_fire_at = ?9, "
         "watching_since = ?10, updated_at = ?11 WHERE id = ?1")
      .bind(1, r.id)
      .bind(2, r.cron)
      .bind(3, r.timezone)
      .bind(4, r.deadman_ms)
      .bind(5, r.pipeline_file)
      .bind(6, r.read_at_commit)
      .bind(7, core::to_string(r.state))
      .bind(8, r.state_reason)
      .bind(9, r.next_fire_at)
      .bind(10, r.watching_since)
      .bind(11, now)
      .exec();
}

bool Store::claim_schedule(Id id, Millis due, Millis next, const std::string& outcome, Millis now) {
  db_.prepare(
         "UPDATE schedules SET next_fire_at = ?3, last_fire_at = ?2, last_run_id = NULL, "
         "last_outcome = ?4, updated_at = ?5 "
         "WHERE id = ?1 AND state = 'enabled' AND next_fire_at = ?2")
      .bind(1, id)
      .bind(2, due)
      .bind(3, next)
      .bind(4, outcome)
      .bind(5, now)
      .exec();
  return db_.changes() == 1;
}

void Store::set_schedule_run(Id id, Id run_id, const std::string& outcome) {
  db_.prepare("UPDATE schedules SET last_run_id = ?2, last_outcome = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, run_id)
      .bind(3, outcome)
      .exec();
}

std::vector<ScheduleRow> Store::due_schedules(Millis now) {
  auto s = db_.prepare(std::string(kColumns) +
                       "WHERE s.state = 'enabled' AND s.next_fire_at <= ?1 "
                       "ORDER BY s.next_fire_at, s.id");
  s.bind(1, now);
  std::vector<ScheduleRow> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

void Store::set_deadman_alerted(Id id, std::optional<Millis> at) {
  db_.prepare("UPDATE schedules SET deadman_alerted_at = ?2 WHERE id = ?1")
      .bind(1, id)
      .bind(2, at)
      .exec();
}

std::optional<std::pair<Millis, Id>> Store::last_completed_run(Id repo_id,
                                                               const std::string& pipeline) {
  auto s = db_.prepare(
      "SELECT finished_at, id FROM runs WHERE repo_id = ?1 AND pipeline = ?2 AND "
      "status IN ('success', 'drift', 'failed') AND finished_at IS NOT NULL "
      "ORDER BY finished_at DESC, id DESC LIMIT 1");
  s.bind(1, repo_id).bind(2, pipeline);
  if (!s.step()) return std::nullopt;
  return std::make_pair(s.i64(0), s.i64(1));
}

std::vector<DriftJobRow> Store::drift_history(Id repo_id, int max_runs) {
  auto s = db_.prepare(
      "SELECT j.run_id, j.id, r.pipeline, j.stack, j.status, j.result_reason, "
      "COALESCE(j.finished_at, r.finished_at, j.created_at), a.rule, a.line, a.plan_json "
      "FROM jobs j JOIN runs r ON r.id = j.run_id "
      "LEFT JOIN attempts a ON a.id = (SELECT id FROM attempts WHERE job_id = j.id "
      "ORDER BY n DESC LIMIT 1) "
      "WHERE j.run_id IN (SELECT id FROM runs WHERE repo_id = ?1 AND kind = 'plan' "
      "ORDER BY id DESC LIMIT ?2) "
      "AND j.status IN ('success', 'drift', 'skipped', 'failed', 'interrupted') "
      "ORDER BY j.run_id, j.id");
  s.bind(1, repo_id).bind(2, max_runs);
  std::vector<DriftJobRow> out;
  while (s.step()) {
    DriftJobRow d;
    d.run_id = s.i64(0);
    d.job_id = s.i64(1);
    d.pipeline = s.text(2);
    d.stack = s.text(3);
    d.status = columns::job_status(s.text(4));
    d.result_reason = s.text(5);
    d.finished_at = s.i64(6);
    d.rule = s.text(7);
    d.line = s.text(8);
    d.plan_json = s.text(9);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace stackrun::store
