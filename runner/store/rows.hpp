#pragma once
// Plain rows of the store (see schema/sql/ for the meaning of each column). Statuses are the
// core's enums; their text exists only inside store.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/policy.hpp"
#include "runner/core/schedule.hpp"
#include "runner/core/status.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::store {

using Id = std::int64_t;
using Millis = std::int64_t;  // ms since the Unix epoch

struct RepoRow {
  Id id = 0;
  std::string name, url, default_branch;
};

struct AgentRow {
  Id id = 0;
  std::string name, labels;
  int capacity = 1;
};

struct RunRow {
  Id id = 0, repo_id = 0;
  std::string repo_name, pipeline, pipeline_file, pipeline_yaml;
  core::JobKind kind = core::JobKind::apply;
  std::string event, ref, before_commit, commit_sha, message;
  core::RunStatus status = core::RunStatus::queued;
  std::string summary;
  core::CancelLevel cancel = core::CancelLevel::none;
  core::FailurePolicy policy;
  Millis created_at = 0;
  std::optional<Millis> started_at, finished_at;
  std::optional<Id> superseded_by;  // the newer run that took over its unstarted jobs
  std::optional<Id> schedule_id;    // a cron run: its schedule and the due time it is for
  std::optional<Millis> scheduled_for;
};

struct JobRow {
  Id id = 0, run_id = 0, repo_id = 0;
  std::string stack, label, tier, tier_needs;
  std::string needs;  // comma-separated stacks of the run it waits for
  core::JobKind kind = core::JobKind::apply;
  core::JobStatus status = core::JobStatus::pending;
  std::string reason, result_reason, labels;
  int tier_index = 0, parallelism = 1;
  Millis not_before = 0;
  std::int64_t epoch = 0;
  Millis created_at = 0;
  std::optional<Millis> finished_at;
  // The destroy guard: the saved plan (its attempt) an approval applies, who and when.
  std::optional<Id> approved_attempt;
  std::string approved_by;
  std::optional<Millis> approved_at;
};

// A saved plan the destroy guard stopped (table saved_plans).
struct SavedPlanRow {
  Id attempt_id = 0, job_id = 0;
  int step = 0;
  std::string path, sha256, data;
  std::string guard;                       // approve | refuse
  std::vector<core::PlanChange> destroys;  // destroy | replace, in plan order
  int unlisted = 0;
  std::string source;
  Millis created_at = 0;
};

struct AttemptRow {
  Id id = 0, job_id = 0, agent_id = 0;
  std::string agent_name;
  int n = 0;
  std::int64_t epoch = 0;
  core::AttemptStatus status = core::AttemptStatus::offered;
  Millis lease_expires_at = 0;  // offered: the offer's deadline
  std::optional<std::int64_t> exit_code;
  std::optional<core::Class> cls;
  std::string rule, line, lock_json;
  std::string plan_json;  // the plan its output held (wire JSON), "" = none
  int line_no = 0;
  Millis started_at = 0;
  std::optional<Millis> finished_at;
  std::int64_t out_bytes = 0;  // step output stored for this attempt
  bool out_truncated = false;  // the server's per-attempt output cap cut it
};

struct ChunkRow {
  Id id = 0, run_id = 0;
  std::optional<Id> job_id;
  std::string label;   // the job's label, "" for run-level lines
  std::string stream;  // out | sys
  std::string data;
};

// One page of a run's log: chunks in id order, and whether more follow after the last one.
struct ChunkPage {
  std::vector<ChunkRow> chunks;
  bool more = false;
};

// A finished run whose log chunks retention may remove (run_logs).
struct RunLogUsage {
  Id run_id = 0;
  Millis finished_at = 0;
  std::int64_t bytes = 0;
  bool operator==(const RunLogUsage&) const = default;
};

// What became of a webhook delivery (deliveries.outcome; schema/sql/0004_deliveries.sql).
enum class DeliveryOutcome { accept, ignored, denied, rejected };
std::string_view outcome_text(DeliveryOutcome o);  // "accept", ...: the stored and wire text

// A webhook delivery as recorded. delivery_id is "" on rejected rows (never trusted unsigned).
struct DeliveryRow {
  Id id = 0;
  std::string source, repo, delivery_id;
  Millis received_at = 0;
  std::string event, ref, after, sender_id, sender_login;  // event: push|tag|delete|other|""
  DeliveryOutcome outcome = DeliveryOutcome::rejected;
  std::string reason;
  bool holds_key = false;    // the accepted delivery of its push (repo, ref, after)
  std::optional<Id> run_id;  // the first run its trigger created
  std::string error;         // why the worker created no run ("" = none)
};

// A job to insert with a new run.
struct NewJob {
  std::string stack, label, tier, tier_needs;
  std::string needs;  // comma-separated stacks of the run it waits for
  core::JobKind kind = core::JobKind::apply;
  core::JobStatus status = core::JobStatus::pending;
  std::string reason, result_reason, labels;
  int tier_index = 0, parallelism = 1;
};

struct NewRun {
  Id repo_id = 0;
  std::string pipeline, pipeline_file, pipeline_yaml;
  core::JobKind kind = core::JobKind::apply;
  std::string event, ref, before_commit, commit_sha, message;
  core::FailurePolicy policy;
  std::vector<NewJob> jobs;
  std::vector<std::string> lines;  // run-level log lines written with the run
  // A cron run: the due time of `schedule_id` it is for. The coordinator claims that due time
  // (Store::claim_schedule, moving the schedule on to `next_fire_at`) in the transaction that
  // inserts the run, and inserts nothing when the claim is lost.
  std::optional<Id> schedule_id;
  Millis scheduled_for = 0;
  Millis next_fire_at = 0;
};

// A cron schedule (schema/sql/0008_schedules.sql).
using core::ScheduleState;
struct ScheduleRow {
  Id id = 0, repo_id = 0;
  std::string repo_name, pipeline, name, cron, timezone;
  Millis deadman_ms = 0;
  std::string pipeline_file, read_at_commit;
  ScheduleState state = ScheduleState::enabled;
  std::string state_reason;
  std::optional<Millis> next_fire_at, last_fire_at;
  std::optional<Id> last_run_id;
  std::optional<core::RunStatus> last_run_status;  // joined from runs
  std::string last_outcome;
  Millis watching_since = 0;
  std::optional<Millis> deadman_alerted_at;
  Millis created_at = 0, updated_at = 0;
};

// One decided job of a plan-kind run, with its last attempt's verdict: drift history.
struct DriftJobRow {
  Id run_id = 0, job_id = 0;
  std::string pipeline, stack;
  core::JobStatus status = core::JobStatus::success;
  std::string result_reason;
  Millis finished_at = 0;
  std::string rule, line, plan_json;  // of the job's last attempt ("" when none)
};

}  // namespace stackrun::store
