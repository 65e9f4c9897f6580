#include "runner/store/store.hpp"

#include "runner/store/migrations.hpp"

namespace stackrun::store {
namespace {

constexpr const char* kRunCols =
    "r.id, r.repo_id, p.name, r.pipeline, r.pipeline_file, r.pipeline_yaml, r.kind, r.event, r.ref, "
    "r.before_commit, r.commit_sha, r.message, r.status, r.summary, r.cancel_requested, "
    "r.created_at, r.started_at, r.finished_at";

RunRow read_run(const Stmt& s) {
  RunRow r;
  r.id = s.i64(0);
  r.repo_id = s.i64(1);
  r.repo_name = s.text(2);
  r.pipeline = s.text(3);
  r.pipeline_file = s.text(4);
  r.pipeline_yaml = s.text(5);
  r.kind = s.text(6);
  r.event = s.text(7);
  r.ref = s.text(8);
  r.before_commit = s.text(9);
  r.commit_sha = s.text(10);
  r.message = s.text(11);
  r.status = s.text(12);
  r.summary = s.text(13);
  r.cancel_requested = static_cast<int>(s.i64(14));
  r.created_at = s.i64(15);
  r.started_at = s.opt_i64(16);
  r.finished_at = s.opt_i64(17);
  return r;
}

constexpr const char* kJobCols =
    "id, run_id, repo_id, stack, label, tier, tier_needs, kind, status, reason, result_reason, "
    "tier_index, parallelism, not_before, epoch, created_at, finished_at, labels";

JobRow read_job(const Stmt& s) {
  JobRow j;
  j.id = s.i64(0);
  j.run_id = s.i64(1);
  j.repo_id = s.i64(2);
  j.stack = s.text(3);
  j.label = s.text(4);
  j.tier = s.text(5);
  j.tier_needs = s.text(6);
  j.kind = s.text(7);
  j.status = s.text(8);
  j.reason = s.text(9);
  j.result_reason = s.text(10);
  j.tier_index = static_cast<int>(s.i64(11));
  j.parallelism = static_cast<int>(s.i64(12));
  j.not_before = s.i64(13);
  j.epoch = s.i64(14);
  j.created_at = s.i64(15);
  j.finished_at = s.opt_i64(16);
  j.labels = s.text(17);
  return j;
}

constexpr const char* kAttemptCols =
    "a.id, a.job_id, a.agent_id, g.name, a.n, a.epoch, a.status, a.lease_expires_at, a.exit_code, "
    "a.class, a.rule, a.line, a.lock_json, a.line_no, a.started_at, a.finished_at";

AttemptRow read_attempt(const Stmt& s) {
  AttemptRow a;
  a.id = s.i64(0);
  a.job_id = s.i64(1);
  a.agent_id = s.i64(2);
  a.agent_name = s.text(3);
  a.n = static_cast<int>(s.i64(4));
  a.epoch = s.i64(5);
  a.status = s.text(6);
  a.lease_expires_at = s.i64(7);
  a.exit_code = s.opt_i64(8);
  a.cls = s.text(9);
  a.rule = s.text(10);
  a.line = s.text(11);
  a.lock_json = s.text(12);
  a.line_no = static_cast<int>(s.i64(13));
  a.started_at = s.i64(14);
  a.finished_at = s.opt_i64(15);
  return a;
}

std::string select_attempts(const char* where) {
  return std::string("SELECT ") + kAttemptCols + " FROM attempts a JOIN agents g ON g.id = a.agent_id " + where;
}

}  // namespace

Store::Store(const std::string& path) : db_(path) { migrate(db_); }

// --- repos, agents, tokens

Id Store::upsert_repo(const std::string& name, const std::string& url, const std::string& branch, Millis now) {
  db_.prepare(
         "INSERT INTO repos(name, url, default_branch, created_at) VALUES(?1, ?2, ?3, ?4) "
         "ON CONFLICT(name) DO UPDATE SET url = excluded.url, default_branch = excluded.default_branch")
      .bind(1, name).bind(2, url).bind(3, branch).bind(4, now).exec();
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

Id Store::create_agent(const std::string& name, const std::string& token_hash, const std::string& labels,
                       int capacity, Millis now) {
  db_.prepare(
         "INSERT INTO agents(name, token_hash, labels, capacity, created_at) VALUES(?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT(name) DO UPDATE SET token_hash = excluded.token_hash, labels = excluded.labels, "
         "capacity = excluded.capacity")
      .bind(1, name).bind(2, token_hash).bind(3, labels).bind(4, capacity).bind(5, now).exec();
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
  db_.prepare("UPDATE agents SET last_seen_at = ?2 WHERE id = ?1").bind(1, agent_id).bind(2, now).exec();
}

void Store::ensure_api_token(const std::string& name, const std::string& token_hash, Millis now) {
  db_.prepare(
         "INSERT INTO api_tokens(name, token_hash, created_at) VALUES(?1, ?2, ?3) "
         "ON CONFLICT(name) DO UPDATE SET token_hash = excluded.token_hash")
      .bind(1, name).bind(2, token_hash).bind(3, now).exec();
}

bool Store::api_token_exists(const std::string& token_hash) {
  auto s = db_.prepare("SELECT 1 FROM api_tokens WHERE token_hash = ?1");
  s.bind(1, token_hash);
  return s.step();
}

// --- runs and jobs

Id Store::insert_run(const NewRun& r, Millis now) {
  db_.prepare(
         "INSERT INTO runs(repo_id, pipeline, pipeline_file, pipeline_yaml, kind, event, ref, "
         "before_commit, commit_sha, message, status, created_at) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11)")
      .bind(1, r.repo_id).bind(2, r.pipeline).bind(3, r.pipeline_file).bind(4, r.pipeline_yaml)
      .bind(5, r.kind).bind(6, r.event).bind(7, r.ref).bind(8, r.before_commit).bind(9, r.commit_sha)
      .bind(10, r.message).bind(11, now).exec();
  const Id run_id = db_.last_insert_id();
  for (const auto& j : r.jobs) {
    const bool terminal = j.status != "pending" && j.status != "queued";
    Stmt st(db_.raw(),
            "INSERT INTO jobs(run_id, repo_id, stack, label, tier, tier_index, tier_needs, parallelism, kind, "
            "status, reason, result_reason, created_at, finished_at, labels) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    st.bind(1, run_id).bind(2, r.repo_id).bind(3, j.stack).bind(4, j.label).bind(5, j.tier)
        .bind(6, j.tier_index).bind(7, j.tier_needs).bind(8, j.parallelism).bind(9, j.kind)
        .bind(10, j.status).bind(11, j.reason).bind(12, j.result_reason).bind(13, now);
    if (terminal) st.bind(14, now); else st.bind_null(14);
    st.bind(15, j.labels);
    st.exec();
  }
  return run_id;
}

std::optional<RunRow> Store::run(Id id) {
  auto s = db_.prepare(std::string("SELECT ") + kRunCols + " FROM runs r JOIN repos p ON p.id = r.repo_id WHERE r.id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

std::vector<RunRow> Store::recent_runs(int limit) {
  auto s = db_.prepare(std::string("SELECT ") + kRunCols +
                       " FROM runs r JOIN repos p ON p.id = r.repo_id ORDER BY r.id DESC LIMIT ?1");
  s.bind(1, limit);
  std::vector<RunRow> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::vector<RunRow> Store::runs_with_status(const std::string& status) {
  auto s = db_.prepare(std::string("SELECT ") + kRunCols +
                       " FROM runs r JOIN repos p ON p.id = r.repo_id WHERE r.status = ?1 ORDER BY r.id");
  s.bind(1, status);
  std::vector<RunRow> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

bool Store::set_run_status(Id run_id, const std::string& from, const std::string& to, Millis now) {
  const bool terminal = to != "queued" && to != "running";
  db_.prepare(
         "UPDATE runs SET status = ?3, "
         "started_at = CASE WHEN ?3 = 'running' AND started_at IS NULL THEN ?4 ELSE started_at END, "
         "finished_at = CASE WHEN ?5 THEN ?4 ELSE finished_at END WHERE id = ?1 AND status = ?2")
      .bind(1, run_id).bind(2, from).bind(3, to).bind(4, now).bind(5, terminal ? 1 : 0).exec();
  return db_.changes() == 1;
}

void Store::set_run_summary(Id run_id, const std::string& summary) {
  db_.prepare("UPDATE runs SET summary = ?2 WHERE id = ?1").bind(1, run_id).bind(2, summary).exec();
}

void Store::request_cancel(Id run_id, int level) {
  db_.prepare("UPDATE runs SET cancel_requested = MAX(cancel_requested, ?2) WHERE id = ?1")
      .bind(1, run_id).bind(2, level).exec();
}

std::vector<JobRow> Store::jobs_of_run(Id run_id) {
  auto s = db_.prepare(std::string("SELECT ") + kJobCols + " FROM jobs WHERE run_id = ?1 ORDER BY tier_index, stack");
  s.bind(1, run_id);
  std::vector<JobRow> out;
  while (s.step()) out.push_back(read_job(s));
  return out;
}

std::optional<JobRow> Store::job(Id id) {
  auto s = db_.prepare(std::string("SELECT ") + kJobCols + " FROM jobs WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_job(s);
}

bool Store::transition_job(Id job_id, const std::string& from, const std::string& to,
                           const std::string& result_reason, std::optional<Millis> finished_at,
                           Millis not_before) {
  auto s = db_.prepare(
      "UPDATE jobs SET status = ?3, result_reason = ?4, finished_at = ?5, not_before = ?6 "
      "WHERE id = ?1 AND status = ?2");
  s.bind(1, job_id).bind(2, from).bind(3, to).bind(4, result_reason).bind(5, finished_at).bind(6, not_before);
  s.exec();
  return db_.changes() == 1;
}

std::vector<JobRow> Store::claimable_jobs(Millis now) {
  auto s = db_.prepare(std::string("SELECT ") + kJobCols +
                       " FROM jobs WHERE status = 'queued' AND not_before <= ?1 ORDER BY run_id, tier_index, id");
  s.bind(1, now);
  std::vector<JobRow> out;
  while (s.step()) out.push_back(read_job(s));
  return out;
}

std::vector<JobRow> Store::unfinished_jobs() {
  auto s = db_.prepare(std::string("SELECT ") + kJobCols +
                       " FROM jobs WHERE status IN ('pending', 'queued', 'running') ORDER BY id");
  std::vector<JobRow> out;
  while (s.step()) out.push_back(read_job(s));
  return out;
}

std::optional<std::int64_t> Store::claim_job(Id job_id) {
  db_.prepare("UPDATE jobs SET status = 'running', epoch = epoch + 1 WHERE id = ?1 AND status = 'queued'")
      .bind(1, job_id).exec();
  if (db_.changes() != 1) return std::nullopt;
  return job(job_id)->epoch;
}

// --- attempts

Id Store::insert_attempt(Id job_id, int n, Id agent_id, std::int64_t epoch, Millis lease_expires_at, Millis now) {
  db_.prepare(
         "INSERT INTO attempts(job_id, n, agent_id, epoch, status, lease_expires_at, started_at) "
         "VALUES(?1, ?2, ?3, ?4, 'running', ?5, ?6)")
      .bind(1, job_id).bind(2, n).bind(3, agent_id).bind(4, epoch).bind(5, lease_expires_at).bind(6, now).exec();
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

std::vector<AttemptRow> Store::expired_attempts(Millis now) {
  auto s = db_.prepare(select_attempts("WHERE a.status = 'running' AND a.lease_expires_at < ?1 ORDER BY a.id"));
  s.bind(1, now);
  std::vector<AttemptRow> out;
  while (s.step()) out.push_back(read_attempt(s));
  return out;
}

bool Store::extend_lease(Id attempt_id, std::int64_t epoch, Millis lease_expires_at) {
  db_.prepare(
         "UPDATE attempts SET lease_expires_at = MAX(lease_expires_at, ?3) "
         "WHERE id = ?1 AND epoch = ?2 AND status = 'running'")
      .bind(1, attempt_id).bind(2, epoch).bind(3, lease_expires_at).exec();
  return db_.changes() == 1;
}

void Store::extend_all_leases(Millis until) {
  db_.prepare("UPDATE attempts SET lease_expires_at = MAX(lease_expires_at, ?1) WHERE status = 'running'")
      .bind(1, until).exec();
}

bool Store::finish_attempt(Id attempt_id, std::int64_t epoch, const std::string& status,
                           const std::optional<Finish>& f, Millis now) {
  auto s = db_.prepare(
      "UPDATE attempts SET status = ?3, finished_at = ?4, exit_code = ?5, class = ?6, rule = ?7, line = ?8, "
      "line_no = ?9, lock_json = ?10 WHERE id = ?1 AND epoch = ?2 AND status = 'running'");
  s.bind(1, attempt_id).bind(2, epoch).bind(3, status).bind(4, now);
  if (f) {
    s.bind(5, f->exit_code).bind(6, f->cls).bind(7, f->rule).bind(8, f->line).bind(9, f->line_no);
    if (f->lock_json.empty()) s.bind_null(10); else s.bind(10, f->lock_json);
  } else {
    s.bind_null(5).bind_null(6).bind_null(7).bind_null(8).bind_null(9).bind_null(10);
  }
  s.exec();
  return db_.changes() == 1;
}

// --- logs

bool Store::insert_chunk(Id run_id, Id job_id, Id attempt_id, std::int64_t seq, const std::string& data, Millis now) {
  db_.prepare(
         "INSERT INTO log_chunks(run_id, job_id, attempt_id, seq, stream, data, created_at) "
         "VALUES(?1, ?2, ?3, ?4, 'out', ?5, ?6) ON CONFLICT(attempt_id, seq) DO NOTHING")
      .bind(1, run_id).bind(2, job_id).bind(3, attempt_id).bind(4, seq).bind_blob(5, data).bind(6, now).exec();
  return db_.changes() == 1;
}

void Store::insert_sys_line(Id run_id, std::optional<Id> job_id, const std::string& line, Millis now) {
  db_.prepare(
         "INSERT INTO log_chunks(run_id, job_id, stream, data, created_at) VALUES(?1, ?2, 'sys', ?3, ?4)")
      .bind(1, run_id).bind(2, job_id).bind_blob(3, line + "\n").bind(4, now).exec();
}

std::vector<ChunkRow> Store::chunks_after(Id run_id, Id after, const std::string& label, int limit) {
  auto s = db_.prepare(
      "SELECT c.id, c.run_id, c.job_id, COALESCE(j.label, ''), c.stream, c.data FROM log_chunks c "
      "LEFT JOIN jobs j ON j.id = c.job_id WHERE c.run_id = ?1 AND c.id > ?2 "
      "AND (?3 = '' OR j.label = ?3) ORDER BY c.id LIMIT ?4");
  s.bind(1, run_id).bind(2, after).bind(3, label).bind(4, limit);
  std::vector<ChunkRow> out;
  while (s.step()) {
    ChunkRow c;
    c.id = s.i64(0);
    c.run_id = s.i64(1);
    c.job_id = s.opt_i64(2);
    c.label = s.text(3);
    c.stream = s.text(4);
    c.data = s.text(5);
    out.push_back(std::move(c));
  }
  return out;
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
      "(SELECT 1 FROM stack_state t WHERE t.repo_id = j.repo_id AND t.stack = j.stack) ORDER BY r.id");
  s.bind(1, repo_id);
  std::map<std::string, std::string> out;
  while (s.step()) out.emplace(s.text(0), s.text(1));  // the earliest run wins
  return out;
}

void Store::record_applied(Id repo_id, const std::string& stack, const std::string& commit, Id run_id, Millis now) {
  // Why the run-id guard: an older run finishing late must not move a stack backwards.
  db_.prepare(
         "INSERT INTO stack_state(repo_id, stack, last_applied_commit, last_applied_run, last_applied_at) "
         "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(repo_id, stack) DO UPDATE SET "
         "last_applied_commit = excluded.last_applied_commit, last_applied_run = excluded.last_applied_run, "
         "last_applied_at = excluded.last_applied_at WHERE excluded.last_applied_run >= stack_state.last_applied_run")
      .bind(1, repo_id).bind(2, stack).bind(3, commit).bind(4, run_id).bind(5, now).exec();
}

}  // namespace stackrun::store
