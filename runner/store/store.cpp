// Repos, agents, tokens, runs and jobs. Attempts, logs and per-stack state: store_attempts.cpp.
#include "runner/store/store.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "runner/store/columns.hpp"
#include "runner/store/migrations.hpp"

namespace stackrun::store {

using namespace columns;

Store::Store(const std::string& path, Db::Options options) : db_(path, options) {
  if (!options.read_only) migrate(db_);
}

// --- repos, agents, tokens

Id Store::upsert_repo(const std::string& name, const std::string& url, const std::string& branch,
                      Millis now) {
  db_.prepare(
         "INSERT INTO repos(name, url, default_branch, created_at) VALUES(?1, ?2, ?3, ?4) "
         "ON CONFLICT(name) DO UPDATE SET url = excluded.url, default_branch = "
         "excluded.default_branch")
      .bind(1, name)
      .bind(2, url)
      .bind(3, branch)
      .bind(4, now)
      .exec();
  return repo_by_name(name)->id;
}

std::optional<RepoRow> Store::repo_by_name(const std::string& name) {
  auto s = db_.prepare("SELECT id, name, url, default_branch FROM repos WHERE name = ?1");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return RepoRow{s.i64(0), s.text(1), s.text(2), s.text(3)};
}

std::optional<RepoRow> Store::repo_by_id(Id id) {
  auto s = db_.prepare("SELECT id, name, url, default_branch FROM repos WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return RepoRow{s.i64(0), s.text(1), s.text(2), s.text(3)};
}

std::vector<RepoRow> Store::repos() {
  auto s = db_.prepare("SELECT id, name, url, default_branch FROM repos ORDER BY id");
  std::vector<RepoRow> out;
  while (s.step()) out.push_back(RepoRow{s.i64(0), s.text(1), s.text(2), s.text(3)});
  return out;
}

Id Store::create_agent(const std::string& name, const std::string& token_hash,
                       const std::string& labels, int capacity, Millis now) {
  db_.prepare(
         "INSERT INTO agents(name, token_hash, labels, capacity, created_at) VALUES(?1, ?2, ?3, "
         "?4, ?5) "
         "ON CONFLICT(name) DO UPDATE SET token_hash = excluded.token_hash, labels = "
         "excluded.labels, "
         "capacity = excluded.capacity")
      .bind(1, name)
      .bind(2, token_hash)
      .bind(3, labels)
      .bind(4, capacity)
      .bind(5, now)
      .exec();
  auto s = db_.prepare("SELECT id FROM agents WHERE name = ?1");
  s.bind(1, name);
  s.step();
  return s.i64(0);
}

std::optional<AgentRow> Store::agent_by_token_hash(const std::string& token_hash) {
  auto s = db_.prepare("SELECT id, name, labels, capacity FROM agents WHERE token_hash = ?1");
  s.bind(1, token_hash);
  if (!s.step()) return std::nullopt;
  return AgentRow{s.i64(0), s.text(1), s.text(2), static_cast<int>(s.i64(3))};
}

void Store::touch_agent(Id agent_id, Millis now) {
  db_.prepare("UPDATE agents SET last_seen_at = ?2 WHERE id = ?1")
      .bind(1, agent_id)
      .bind(2, now)
      .exec();
}

void Store::ensure_api_token(const std::string& name, const std::string& token_hash, Millis now) {
  db_.prepare(
         "INSERT INTO api_tokens(name, token_hash, created_at) VALUES(?1, ?2, ?3) "
         "ON CONFLICT(name) DO UPDATE SET token_hash = excluded.token_hash")
      .bind(1, name)
      .bind(2, token_hash)
      .bind(3, now)
      .exec();
}

bool Store::api_token_exists(const std::string& token_hash) {
  auto s = db_.prepare("SELECT 1 FROM api_tokens WHERE token_hash = ?1");
  s.bind(1, token_hash);
  return s.step();
}

// --- runs and jobs

Id Store::insert_run(const NewRun& r, Millis now) {
  const auto& p = r.policy;
  db_.prepare(
         "INSERT INTO runs(repo_id, pipeline, pipeline_file, pipeline_yaml, kind, event, ref, "
         "before_commit, commit_sha, message, status, created_at, lock_wait_ms, lock_poll_ms, "
         "lock_then, "
         "transient_attempts, transient_backoff_ms, transient_max_backoff_ms, transient_jitter, "
         "schedule_id, scheduled_for) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11, ?12, ?13, ?14, ?15, ?16, "
         "?17, ?18, ?19, ?20)")
      .bind(1, r.repo_id)
      .bind(2, r.pipeline)
      .bind(3, r.pipeline_file)
      .bind(4, r.pipeline_yaml)
      .bind(5, core::to_string(r.kind))
      .bind(6, r.event)
      .bind(7, r.ref)
      .bind(8, r.before_commit)
      .bind(9, r.commit_sha)
      .bind(10, r.message)
      .bind(11, now)
      .bind(12, static_cast<std::int64_t>(p.lock.wait.count()))
      .bind(13, static_cast<std::int64_t>(p.lock.poll.count()))
      .bind(14, p.lock.then == core::LockPolicy::Then::fail ? "fail" : "skip")
      .bind(15, p.transient.attempts)
      .bind(16, static_cast<std::int64_t>(p.transient.backoff.count()))
      .bind(17, static_cast<std::int64_t>(p.transient.max_backoff.count()))
      .bind(18, p.transient.jitter)
      .bind(19, r.schedule_id)
      .bind(20, r.schedule_id ? std::optional<std::int64_t>(r.scheduled_for) : std::nullopt)
      .exec();
  const Id run_id = db_.last_insert_id();
  for (const auto& j : r.jobs) {
    auto st = db_.prepare(
        "INSERT INTO jobs(run_id, repo_id, stack, label, tier, tier_index, tier_needs, "
        "parallelism, kind, "
        "status, reason, result_reason, created_at, finished_at, labels, needs) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
    st.bind(1, run_id)
        .bind(2, r.repo_id)
        .bind(3, j.stack)
        .bind(4, j.label)
        .bind(5, j.tier)
        .bind(6, j.tier_index)
        .bind(7, j.tier_needs)
        .bind(8, j.parallelism)
        .bind(9, core::to_string(j.kind))
        .bind(10, core::to_string(j.status))
        .bind(11, j.reason)
        .bind(12, j.result_reason)
        .bind(13, now);
    if (core::is_terminal(j.status))
      st.bind(14, now);
    else
      st.bind_null(14);
    st.bind(15, j.labels);
    st.bind(16, j.needs);
    st.exec();
  }
  for (const auto& line : r.lines) insert_sys_line(run_id, std::nullopt, line, now);
  return run_id;
}

std::optional<RunRow> Store::run(Id id) {
  auto s = db_.prepare(select_runs("WHERE r.id = ?1"));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

std::vector<RunRow> Store::recent_runs(int limit) {
  auto s = db_.prepare(select_runs("ORDER BY r.id DESC LIMIT ?1"));
  s.bind(1, limit);
  std::vector<RunRow> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

bool Store::set_run_status(Id run_id, core::RunStatus from, core::RunStatus to, Millis now) {
  db_.prepare(
         "UPDATE runs SET status = ?3, "
         "started_at = CASE WHEN ?3 = 'running' AND started_at IS NULL THEN ?4 ELSE started_at "
         "END, "
         "finished_at = CASE WHEN ?5 THEN ?4 ELSE finished_at END WHERE id = ?1 AND status = ?2")
      .bind(1, run_id)
      .bind(2, core::to_string(from))
      .bind(3, core::to_string(to))
      .bind(4, now)
      .bind(5, core::is_terminal(to) ? 1 : 0)
      .exec();
  if (db_.changes() != 1) return false;
  // Retention reads when a run finished from run_logs alone (schema/sql/0003_log_bounds.sql).
  if (core::is_terminal(to))
    db_.prepare(
           "INSERT INTO run_logs(run_id, finished_at) VALUES(?1, ?2) "
           "ON CONFLICT(run_id) DO UPDATE SET finished_at = excluded.finished_at")
        .bind(1, run_id)
        .bind(2, now)
        .exec();
  return true;
}

void Store::set_run_summary(Id run_id, const std::string& summary) {
  db_.prepare("UPDATE runs SET summary = ?2 WHERE id = ?1").bind(1, run_id).bind(2, summary).exec();
}

std::vector<RunRow> Store::active_runs_of_line(Id repo_id, const std::string& pipeline,
                                               const std::string& ref) {
  auto s =
      db_.prepare(select_runs("WHERE r.repo_id = ?1 AND r.pipeline = ?2 AND r.ref = ?3 "
                              "AND r.status IN ('queued', 'running') ORDER BY r.id"));
  s.bind(1, repo_id).bind(2, pipeline).bind(3, ref);
  std::vector<RunRow> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

void Store::set_superseded_by(Id run_id, Id by) {
  db_.prepare("UPDATE runs SET superseded_by = ?2 WHERE id = ?1")
      .bind(1, run_id)
      .bind(2, by)
      .exec();
}

void Store::raise_cancel(Id run_id, core::CancelLevel level) {
  db_.prepare("UPDATE runs SET cancel_requested = MAX(cancel_requested, ?2) WHERE id = ?1")
      .bind(1, run_id)
      .bind(2, cancel_number(level))
      .exec();
}

std::vector<JobRow> Store::jobs_of_run(Id run_id) {
  auto s = db_.prepare(select_jobs("WHERE run_id = ?1 ORDER BY tier_index, stack"));
  s.bind(1, run_id);
  std::vector<JobRow> out;
  while (s.step()) out.push_back(read_job(s));
  return out;
}

std::optional<JobRow> Store::job(Id id) {
  auto s = db_.prepare(select_jobs("WHERE id = ?1"));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_job(s);
}

bool Store::transition_job(Id job_id, core::JobStatus from, core::JobStatus to,
                           const std::string& result_reason, std::optional<Millis> finished_at,
                           Millis not_before) {
  auto s = db_.prepare(
      "UPDATE jobs SET status = ?3, result_reason = ?4, finished_at = ?5, not_before = ?6 "
      "WHERE id = ?1 AND status = ?2");
  s.bind(1, job_id)
      .bind(2, core::to_string(from))
      .bind(3, core::to_string(to))
      .bind(4, result_reason)
      .bind(5, finished_at)
      .bind(6, not_before);
  s.exec();
  return db_.changes() == 1;
}

std::vector<JobRow> Store::claimable_page(Millis now, const JobRow* after, int limit) {
  auto s = db_.prepare(
      select_jobs("WHERE status = 'queued' AND not_before <= ?1 AND (run_id, tier_index, id) > "
                  "(?2, ?3, ?4) ORDER BY run_id, tier_index, id LIMIT ?5"));
  s.bind(1, now)
      .bind(2, after ? after->run_id : std::numeric_limits<Id>::min())
      .bind(3, after ? std::int64_t{after->tier_index} : std::numeric_limits<std::int64_t>::min())
      .bind(4, after ? after->id : std::numeric_limits<Id>::min())
      .bind(5, limit);
  std::vector<JobRow> out;
  while (s.step()) out.push_back(read_job(s));
  return out;
}

std::vector<JobRow> Store::unfinished_for(const std::vector<JobRow>& candidates) {
  std::vector<JobRow> out;
  auto running = db_.prepare(select_jobs("WHERE status = 'running'"));
  while (running.step()) out.push_back(read_job(running));
  // One indexed lookup (jobs_by_stack) per distinct key: a page holds a handful of candidates.
  std::set<std::pair<Id, std::string>> keys;
  for (const auto& c : candidates) {
    if (!keys.insert({c.repo_id, c.stack}).second) continue;
    auto s = db_.prepare(select_jobs(
        "WHERE repo_id = ?1 AND stack = ?2 AND status IN ('pending', 'queued', 'needs_approval')"));
    s.bind(1, c.repo_id).bind(2, c.stack);
    while (s.step()) out.push_back(read_job(s));
  }
  std::sort(out.begin(), out.end(), [](const JobRow& x, const JobRow& y) { return x.id < y.id; });
  return out;
}

std::optional<std::int64_t> Store::claim_job(Id job_id) {
  db_.prepare(
         "UPDATE jobs SET status = 'running', epoch = epoch + 1 WHERE id = ?1 AND status = "
         "'queued'")
      .bind(1, job_id)
      .exec();
  if (db_.changes() != 1) return std::nullopt;
  return job(job_id)->epoch;
}

std::optional<Millis> Store::next_not_before(Millis now) {
  auto s =
      db_.prepare("SELECT MIN(not_before) FROM jobs WHERE status = 'queued' AND not_before > ?1");
  s.bind(1, now);
  if (!s.step() || s.is_null(0)) return std::nullopt;
  return s.i64(0);
}

}  // namespace stackrun::store
