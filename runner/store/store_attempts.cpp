// Attempts (offers, leases, results) and per-stack applied state. Logs: store_logs.cpp.
#include "runner/store/columns.hpp"
#include "runner/store/store.hpp"

namespace stackrun::store {

using namespace columns;

Id Store::insert_offer(Id job_id, int n, Id agent_id, std::int64_t epoch, Millis expires_at,
                       Millis now) {
  db_.prepare(
         "INSERT INTO attempts(job_id, n, agent_id, epoch, status, lease_expires_at, started_at) "
         "VALUES(?1, ?2, ?3, ?4, 'offered', ?5, ?6)")
      .bind(1, job_id)
      .bind(2, n)
      .bind(3, agent_id)
      .bind(4, epoch)
      .bind(5, expires_at)
      .bind(6, now)
      .exec();
  return db_.last_insert_id();
}

std::optional<AttemptRow> Store::attempt(Id id) {
  auto s = db_.prepare(select_attempts("WHERE a.id = ?1"));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_attempt(s);
}

std::vector<AttemptRow> Store::attempts_of_job(Id job_id) {
  auto s = db_.prepare(select_attempts("WHERE a.job_id = ?1 ORDER BY a.n"));
  s.bind(1, job_id);
  std::vector<AttemptRow> out;
  while (s.step()) out.push_back(read_attempt(s));
  return out;
}

std::vector<AttemptRow> Store::offers_of_run(Id run_id) {
  auto s = db_.prepare(select_attempts(
      "JOIN jobs j ON j.id = a.job_id WHERE j.run_id = ?1 AND a.status = 'offered' ORDER BY a.id"));
  s.bind(1, run_id);
  std::vector<AttemptRow> out;
  while (s.step()) out.push_back(read_attempt(s));
  return out;
}

std::vector<AttemptRow> Store::expired_attempts(Millis now) {
  auto s = db_.prepare(select_attempts(
      "WHERE a.status IN ('offered', 'running') AND a.lease_expires_at < ?1 ORDER BY a.id"));
  s.bind(1, now);
  std::vector<AttemptRow> out;
  while (s.step()) out.push_back(read_attempt(s));
  return out;
}

std::optional<Millis> Store::next_expiry() {
  auto s = db_.prepare(
      "SELECT MIN(lease_expires_at) FROM attempts WHERE status IN ('offered', 'running')");
  if (!s.step() || s.is_null(0)) return std::nullopt;
  return s.i64(0);
}

bool Store::start_attempt(Id attempt_id, std::int64_t epoch, Millis lease_expires_at, Millis now) {
  db_.prepare(
         "UPDATE attempts SET status = 'running', lease_expires_at = ?3, started_at = ?4 "
         "WHERE id = ?1 AND epoch = ?2 AND status = 'offered'")
      .bind(1, attempt_id)
      .bind(2, epoch)
      .bind(3, lease_expires_at)
      .bind(4, now)
      .exec();
  return db_.changes() == 1;
}

bool Store::withdraw_offer(Id attempt_id, std::int64_t epoch) {
  db_.prepare("DELETE FROM attempts WHERE id = ?1 AND epoch = ?2 AND status = 'offered'")
      .bind(1, attempt_id)
      .bind(2, epoch)
      .exec();
  return db_.changes() == 1;
}

bool Store::extend_lease(Id attempt_id, std::int64_t epoch, Millis lease_expires_at) {
  db_.prepare(
         "UPDATE attempts SET lease_expires_at = MAX(lease_expires_at, ?3) "
         "WHERE id = ?1 AND epoch = ?2 AND status = 'running'")
      .bind(1, attempt_id)
      .bind(2, epoch)
      .bind(3, lease_expires_at)
      .exec();
  return db_.changes() == 1;
}

void Store::extend_all_leases(Millis until) {
  db_.prepare(
         "UPDATE attempts SET lease_expires_at = MAX(lease_expires_at, ?1) "
         "WHERE status IN ('offered', 'running')")
      .bind(1, until)
      .exec();
}

bool Store::end_attempt(Id attempt_id, std::int64_t epoch, core::AttemptStatus from,
                        core::AttemptStatus status, const std::optional<Finish>& f, Millis now) {
  auto s = db_.prepare(
      "UPDATE attempts SET status = ?3, finished_at = ?4, exit_code = ?5, class = ?6, rule = ?7, "
      "line = ?8, "
      "line_no = ?9, lock_json = ?10, plan_json = ?12 WHERE id = ?1 AND epoch = ?2 AND status = "
      "?11");
  s.bind(1, attempt_id).bind(2, epoch).bind(3, core::to_string(status)).bind(4, now);
  s.bind(11, core::to_string(from));
  if (f) {
    s.bind(5, f->exit_code)
        .bind(6, core::to_string(f->cls))
        .bind(7, f->rule)
        .bind(8, f->line)
        .bind(9, f->line_no);
    if (f->lock_json.empty())
      s.bind_null(10);
    else
      s.bind(10, f->lock_json);
    if (f->plan_json.empty())
      s.bind_null(12);
    else
      s.bind(12, f->plan_json);
  } else {
    s.bind_null(5).bind_null(6).bind_null(7).bind_null(8).bind_null(9).bind_null(10).bind_null(12);
  }
  s.exec();
  return db_.changes() == 1;
}

// --- per-stack state

std::map<std::string, std::string> Store::applied_commits(Id repo_id) {
  auto s = db_.prepare("SELECT stack, last_applied_commit FROM stack_state WHERE repo_id = ?1");
  s.bind(1, repo_id);
  std::map<std::string, std::string> out;
  while (s.step()) out[s.text(0)] = s.text(1);
  return out;
}

std::map<std::string, std::string> Store::first_selected_bases(Id repo_id) {
  // reason 'excluded' marks the skipped-at-creation jobs of human-only/excluded stacks.
  auto s = db_.prepare(
      "SELECT j.stack, r.before_commit FROM jobs j JOIN runs r ON r.id = j.run_id "
      "WHERE j.repo_id = ?1 AND r.kind = 'apply' AND j.reason <> 'excluded' AND NOT EXISTS "
      "(SELECT 1 FROM stack_state t WHERE t.repo_id = j.repo_id AND t.stack = j.stack) ORDER BY "
      "r.id");
  s.bind(1, repo_id);
  std::map<std::string, std::string> out;
  while (s.step()) out.emplace(s.text(0), s.text(1));  // the earliest run wins
  return out;
}

void Store::record_applied(Id repo_id, const std::string& stack, const std::string& commit,
                           Id run_id, Millis now) {
  // Why the run-id guard: an older run finishing late must not move a stack backwards.
  db_.prepare(
         "INSERT INTO stack_state(repo_id, stack, last_applied_commit, last_applied_run, "
         "last_applied_at) "
         "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(repo_id, stack) DO UPDATE SET "
         "last_applied_commit = excluded.last_applied_commit, last_applied_run = "
         "excluded.last_applied_run, "
         "last_applied_at = excluded.last_applied_at WHERE excluded.last_applied_run >= "
         "stack_state.last_applied_run")
      .bind(1, repo_id)
      .bind(2, stack)
      .bind(3, commit)
      .bind(4, run_id)
      .bind(5, now)
      .exec();
}

}  // namespace stackrun::store
