#pragma once
// The store: typed reads and writes over SQLite. It makes no decisions: the coordinator
// (runner/server) applies the lifecycle's effects inside one Tx per transition, and the
// conditional updates here (returning whether they won) make a transition impossible to win
// twice. Errors are DbError (see db.hpp); a failed transaction leaves nothing behind.
// Not thread-safe: one Store per thread.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runner/store/db.hpp"
#include "runner/store/rows.hpp"

namespace stackrun::store {

class Store {
 public:
  // Opens/creates the database file and migrates it (read_only: opens, never writes; the
  // file must exist and be migrated). Throws DbError when it cannot.
  explicit Store(const std::string& path, Db::Options options = {});

  Db& db() { return db_; }
  // A new connection (see Db::reopen); no transaction may be open.
  void reopen() { db_.reopen(); }
  Tx begin() { return Tx(db_); }
  Tx begin_read() { return Tx(db_, Tx::Kind::read); }

  // --- repos, agents, tokens
  Id upsert_repo(const std::string& name, const std::string& url, const std::string& branch,
                 Millis now);
  std::optional<RepoRow> repo_by_name(const std::string& name);
  std::optional<RepoRow> repo_by_id(Id id);
  std::vector<RepoRow> repos();
  // Creates the agent, or replaces the token hash, labels and capacity of one of that name.
  Id create_agent(const std::string& name, const std::string& token_hash, const std::string& labels,
                  int capacity, Millis now);
  std::optional<AgentRow> agent_by_token_hash(const std::string& token_hash);
  void touch_agent(Id agent_id, Millis now);
  void ensure_api_token(const std::string& name, const std::string& token_hash, Millis now);
  bool api_token_exists(const std::string& token_hash);

  // --- runs and jobs
  Id insert_run(const NewRun& run, Millis now);  // jobs and lines inserted too; statuses as given
  std::optional<RunRow> run(Id id);
  std::vector<RunRow> recent_runs(int limit);
  // Conditional: true iff the run was `from` and is now `to` (started_at / finished_at set).
  bool set_run_status(Id run_id, core::RunStatus from, core::RunStatus to, Millis now);
  void set_run_summary(Id run_id, const std::string& summary);
  // The runs of (repo, pipeline, ref) still queued or running, oldest first: those a new run of
  // that line may supersede (core/supersede.hpp decides which).
  std::vector<RunRow> active_runs_of_line(Id repo_id, const std::string& pipeline,
                                          const std::string& ref);
  void set_superseded_by(Id run_id, Id by);
  // Raises the run's cancel level to `level` (never lowers it).
  void raise_cancel(Id run_id, core::CancelLevel level);
  std::vector<JobRow> jobs_of_run(Id run_id);  // tier order, then stack
  std::optional<JobRow> job(Id id);
  // Conditional job transition: true iff the job was in `from` and is now in `to`.
  bool transition_job(Id job_id, core::JobStatus from, core::JobStatus to,
                      const std::string& result_reason, std::optional<Millis> finished_at,
                      Millis not_before = 0);
  // At most `limit` queued jobs whose not_before has passed, in claim order (run, tier, id),
  // after `after` (a row of a previous page; null: from the first): a claim reads a page at a
  // time, so its cost does not grow with the number of queued jobs.
  std::vector<JobRow> claimable_page(Millis now, const JobRow* after, int limit);
  // The unfinished jobs (pending, queued, running, needs_approval) that core::pick_job reads
  // for `candidates` (the one-per-stack, run-order and parallelism checks): every running job
  // (the tiers' loads) and every unfinished job on a candidate's (repo, stack), by id.
  std::vector<JobRow> unfinished_for(const std::vector<JobRow>& candidates);
  // Bumps the job's epoch and marks it running iff it is still queued. Returns the new epoch.
  std::optional<std::int64_t> claim_job(Id job_id);

  // --- the destroy guard (store_plans.cpp)
  void insert_saved_plan(const SavedPlanRow& row);
  // The latest saved plan of a job (its highest attempt), or of one attempt.
  std::optional<SavedPlanRow> latest_saved_plan(Id job_id);
  std::optional<SavedPlanRow> saved_plan(Id attempt_id);
  // Records the approval of `plan_attempt`'s plan on the job (whatever its status).
  void set_approval(Id job_id, Id plan_attempt, const std::string& by, Millis at);
  // The earliest not_before after `now` of a queued job: when a waiting retry becomes claimable.
  std::optional<Millis> next_not_before(Millis now);

  // --- attempts
  // A new attempt `n` of the job, offered to `agent_id` until `expires_at`.
  Id insert_offer(Id job_id, int n, Id agent_id, std::int64_t epoch, Millis expires_at, Millis now);
  std::optional<AttemptRow> attempt(Id id);
  std::vector<AttemptRow> attempts_of_job(Id job_id);  // by n
  std::vector<AttemptRow> offers_of_run(Id run_id);
  // Offered and running attempts whose offer or lease ended before `now`.
  std::vector<AttemptRow> expired_attempts(Millis now);
  // The earliest offer or lease deadline of any offered or running attempt.
  std::optional<Millis> next_expiry();
  // offered -> running under `epoch`, leased until `lease_expires_at`; false if not offered.
  bool start_attempt(Id attempt_id, std::int64_t epoch, Millis lease_expires_at, Millis now);
  // Deletes an offered attempt under `epoch`; false if it is not offered any more.
  bool withdraw_offer(Id attempt_id, std::int64_t epoch);
  bool extend_lease(Id attempt_id, std::int64_t epoch, Millis lease_expires_at);
  // Every offer and running lease is pushed to at least `until` (server restart grace).
  void extend_all_leases(Millis until);
  struct Finish {
    std::int64_t exit_code = 0;
    core::Class cls = core::Class::fatal;
    std::string rule, line, lock_json, plan_json;  // lock and plan: wire JSON, "" = none
    int line_no = 0;
  };
  // running -> `status` (finished|lost|interrupted) iff still running under `epoch`.
  bool end_attempt(Id attempt_id, std::int64_t epoch, core::AttemptStatus from,
                   core::AttemptStatus status, const std::optional<Finish>& f, Millis now);

  // --- logs (store_logs.cpp). Every stored byte is counted for its run (run_logs) and, for
  // step output, its attempt (AttemptRow::out_bytes).
  // Stores step-output chunk (attempt_id, seq) once; false if it was already there.
  bool insert_chunk(Id run_id, Id job_id, Id attempt_id, std::int64_t seq, const std::string& data,
                    Millis now);
  bool has_chunk(Id attempt_id, std::int64_t seq);
  // Marks the attempt's output as cut by the server's cap: true the first time only.
  bool mark_output_truncated(Id attempt_id);
  void insert_sys_line(Id run_id, std::optional<Id> job_id, const std::string& line, Millis now);
  // Chunks of a run with id > after, in id order; `label` filters by job label ("" = all). At
  // most `max_chunks`, holding at most `max_bytes` of data unless the first chunk alone is
  // larger (a page is never empty while chunks remain); `more` when chunks were left out.
  ChunkPage chunks_after(Id run_id, Id after, const std::string& label, int max_chunks,
                         std::int64_t max_bytes);

  // --- retention (store_logs.cpp)
  // Bytes of every stored log chunk (run_logs), without reading the chunks.
  std::int64_t total_log_bytes();
  // Finished runs holding log bytes whose chunks were never pruned, oldest finished first.
  std::vector<RunLogUsage> prunable_runs();
  struct PruneStep {
    int deleted = 0;    // chunks deleted by this step
    bool done = false;  // none are left: `line` is now the run's only log line
  };
  // Deletes finished run `run_id`'s oldest chunks, at most `max_rows` and, past the first,
  // no more than about `max_bytes` of data (one short transaction's work); once none are left,
  // stores `line` as a run-level sys line and marks the run pruned. Deletes nothing of a run
  // that is not finished. The run, its jobs and attempts stay.
  PruneStep prune_run_logs(Id run_id, int max_rows, std::int64_t max_bytes, const std::string& line,
                           Millis now);

  // --- space (store_logs.cpp)
  std::int64_t file_bytes();  // pages in use or free, times the page size
  std::int64_t free_bytes();  // free pages inside the file
  // With auto_vacuum=INCREMENTAL (every file created since schema version 3), returns up to
  // `pages` free pages to the file system and answers true; false (nothing done) otherwise.
  bool incremental_vacuum(int pages);
  // Rebuilds the whole file (VACUUM) with auto_vacuum=INCREMENTAL. No transaction may be open;
  // holds the write lock throughout and needs free disk space about the file's size.
  void vacuum();

  // --- webhook deliveries (store_deliveries.cpp)
  // Inserts `d` (id, run_id and error ignored) and returns its id. Throws DbError on a
  // duplicate (source, delivery_id) or a second key holder of one push: look them up first,
  // in the same transaction.
  Id insert_delivery(const DeliveryRow& d);
  bool delivery_seen(const std::string& source, const std::string& delivery_id);
  // The accepted delivery holding push (repo, ref, after)'s key, if any.
  std::optional<DeliveryRow> push_holder(const std::string& repo, const std::string& ref,
                                         const std::string& after);
  // The worker's answer for accepted delivery `id`: its first run, or its error (which also
  // releases the push key so a later delivery may try again).
  void set_delivery_run(Id id, std::optional<Id> run_id, const std::string& error);
  std::optional<DeliveryRow> delivery(Id id);
  // Newest first; `repo` "" = every repo.
  std::vector<DeliveryRow> recent_deliveries(const std::string& repo, int limit);
  // Retention: deletes at most `max_rows` of the oldest deliveries that were received before
  // `received_before` (0: none by age) or are not among the newest `keep` (0: no count cap).
  // Returns how many it deleted; 0 when none is left to delete.
  int prune_deliveries(Millis received_before, std::int64_t keep, int max_rows);

  // --- per-stack state
  std::map<std::string, std::string> applied_commits(Id repo_id);  // stack -> commit
  // For each stack with no successful apply yet: the before-commit of the first apply run that
  // selected it to run (excluded jobs do not count), its diff baseline ("" if that run had none).
  std::map<std::string, std::string> first_selected_bases(Id repo_id);
  // Records a successful apply of run `run_id` unless a later run already recorded one.
  void record_applied(Id repo_id, const std::string& stack, const std::string& commit, Id run_id,
                      Millis now);

  // ------------------------------------------------ schedules (store_schedules.cpp)
  // Every schedule, by repo, pipeline and name; `repo_id` 0 = every repo.
  std::vector<ScheduleRow> schedules(Id repo_id = 0);
  std::optional<ScheduleRow> schedule(Id id);
  // Inserts `row` (id, last_* and alert fields ignored) and returns its id.
  Id insert_schedule(const ScheduleRow& row, Millis now);
  // Replaces what the pipeline declares (cron, timezone, deadman, file, commit), the state and
  // reason, and next_fire_at; keeps the firing history.
  void update_schedule(const ScheduleRow& row, Millis now);
  // The compare-and-swap that claims due time `due`: true iff the schedule was enabled with
  // next_fire_at == due, which is now `next`, last_fire_at `due`, and the outcome `outcome`
  // with run `run_id` (set later by set_schedule_run when the run is inserted after).
  bool claim_schedule(Id id, Millis due, Millis next, const std::string& outcome, Millis now);
  void set_schedule_run(Id id, Id run_id, const std::string& outcome);
  // Enabled schedules due by `now`, earliest first.
  std::vector<ScheduleRow> due_schedules(Millis now);
  void set_deadman_alerted(Id id, std::optional<Millis> at);
  // The finished_at and id of the newest run of (repo, pipeline) that completed: ended
  // success, drift or failed.
  std::optional<std::pair<Millis, Id>> last_completed_run(Id repo_id, const std::string& pipeline);
  // Decided jobs (success, drift, skipped, failed, interrupted) of the newest `max_runs` runs
  // of plan kind of repo `repo_id`, with their last attempt's verdict, oldest first.
  std::vector<DriftJobRow> drift_history(Id repo_id, int max_runs);

  // ------------------------------------------------ outbox (store_outbox.cpp; issue 8 item 6)
  // Commit statuses and chat notifications waiting to be sent (schema/sql/0006_outbox.sql).
  enum class OutboxKind { commit_status, notify };
  enum class OutboxState { pending, sent, dead };
  struct NewOutbox {
    OutboxKind kind = OutboxKind::notify;
    std::optional<Id> run_id;
    std::string target, source, body;
  };
  struct OutboxRow {
    Id id = 0;
    OutboxKind kind = OutboxKind::notify;
    std::optional<Id> run_id;
    std::string target, source, body;
    int attempts = 0;
    Millis next_try_at = 0;
    OutboxState state = OutboxState::pending;
    std::string last_error;
    Millis created_at = 0;
    std::optional<Millis> sent_at;
  };
  // A pending row, due at once. Returns its id.
  Id insert_outbox(const NewOutbox& row, Millis now);
  // Pending rows due by `now` that are the first pending row of their target, by id, at most
  // `limit`: a target's later rows wait until its earlier ones are sent or dead.
  std::vector<OutboxRow> due_outbox(Millis now, int limit);
  // The earliest next_try_at among the first pending rows of their targets; nullopt: none.
  std::optional<Millis> next_outbox_try();
  // One try of pending row `id` ended: sent (sent_at = now), retried at `next_try_at`, or given
  // up (dead, sent_at stays NULL). Each counts one attempt; `error` becomes last_error.
  void outbox_sent(Id id, Millis now);
  void outbox_retry(Id id, Millis next_try_at, const std::string& error);
  void outbox_dead(Id id, const std::string& error);
  std::optional<OutboxRow> outbox_row(Id id);
  std::vector<OutboxRow> outbox_of_run(Id run_id);  // by id
  // The status of the newest apply job of (repo, stack) before job `before_job` whose status
  // decided something (success, drift, failed, interrupted); nullopt: none.
  std::optional<core::JobStatus> previous_decided_apply(Id repo_id, const std::string& stack,
                                                        Id before_job);
  // ------------------------------------------------ end of outbox

 private:
  void add_run_log_bytes(Id run_id, std::int64_t bytes);
  std::int64_t pragma_value(const char* pragma);

  Db db_;
};

}  // namespace stackrun::store
