#pragma once
// The wire protocol between server, agents and CLI (schema/protocol.md), as plain structs with
// one encode/decode pair each. JSON exists only inside protocol*.cpp: everything else sees these
// types. Decoding never throws: a body that is not a JSON object, a missing required field or a
// field of the wrong type is an Error whose text names the message and the field, e.g.
//   finish: field "verdict.class": expected one of success, drift, lock, transient, fatal
// (the server answers such requests 400 with that text). Unknown fields are ignored, so a newer
// peer may add fields without breaking an older one; anything that changes a field's meaning
// bumps kProtocolVersion.
// Keys are the member names except where protocol.cpp's top comment says otherwise. A field
// that the comment on its struct does not call optional is required; a std::optional member is
// JSON null when unset and decodes from null or absent.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/destroy_guard.hpp"
#include "runner/core/result.hpp"
#include "runner/core/status.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::wire {

using Id = std::int64_t;
using Millis = std::int64_t;  // ms since the Unix epoch, or a duration in ms where named *_ms

// Version 2: a claim answers an offer that the agent must confirm with /agent/start.
// Version 3: agents send log batches as frames (log_frames.hpp), which a version 2 server
// cannot read.
inline constexpr int kProtocolVersion = 3;
// Every agent request carries this header with kProtocolVersion; the server refuses any other
// value with 400 and a message naming both versions.
inline constexpr const char* kProtocolHeader = "Stackrun-Protocol";

// ---------------------------------------------------------------- agent routes

// POST /agent/claim. Both fields optional: wait_ms defaults to 20000 (the server caps it),
// labels to "" (comma-separated key=value or key; they route jobs, they grant nothing).
struct ClaimRequest {
  Millis wait_ms = 20'000;
  std::string labels;
  bool operator==(const ClaimRequest&) const = default;
};

// 200 answer of /agent/claim: a job offered to this agent. Nothing runs until the agent
// confirms with /agent/start before `offer_ms` passes; an unconfirmed offer returns to the
// queue. All fields required.
// A Terraform saved plan travelling with the destroy guard: from the agent that made it to the
// server (FinishRequest.guard), and back to the agent that applies it once approved
// (Offer.approved_plan). `data` is the file's bytes, base64 on the wire.
struct SavedPlanFile {
  int step = 0;        // index of the step that saved it; the apply goes on with the next
  std::string path;    // where it lies, relative to the stack directory
  std::string sha256;  // lower-case hex of data
  std::string data;
  bool operator==(const SavedPlanFile&) const = default;
};

// Offer: approved_plan and approved_by are optional (an approved job: restore the plan, run the
// steps after its step, verify the digest first).
struct Offer {
  Id attempt_id = 0, job_id = 0, run_id = 0;
  std::int64_t epoch = 0;  // fencing token: every later request about this attempt names it
  int n = 1;               // attempt number within the job
  Millis lease_ms = 0;     // heartbeat at least every lease_ms / 3 once started
  Millis offer_ms = 0;     // confirm within this long
  std::string repo_url, commit, ref, stack, label, tier;
  core::JobKind kind = core::JobKind::apply;
  std::string event, pipeline, pipeline_file, pipeline_yaml, message;
  std::optional<SavedPlanFile> approved_plan;
  std::string approved_by;
  bool operator==(const Offer&) const = default;
};

// POST /agent/start, /agent/heartbeat: which attempt, under which epoch. Both required.
struct AttemptRef {
  Id attempt_id = 0;
  std::int64_t epoch = 0;
  bool operator==(const AttemptRef&) const = default;
};

// 200 answer of /agent/start and /agent/heartbeat. `cancel` asks the agent to stop the step
// gracefully (SIGINT first). Both required.
struct LeaseAnswer {
  bool cancel = false;
  Millis lease_expires_at = 0;
  bool operator==(const LeaseAnswer&) const = default;
};

// Both fields required.
struct LogChunk {
  std::int64_t seq = 0;  // per attempt, from 0; resending a seq is harmless
  std::string data;      // whole lines (the last chunk of an attempt may end without '\n')
  bool operator==(const LogChunk&) const = default;
};

// POST /agent/logs. All required; chunks may be empty.
struct LogBatch {
  Id attempt_id = 0;
  std::int64_t epoch = 0;
  std::vector<LogChunk> chunks;
  bool operator==(const LogBatch&) const = default;
};

// 200 answer of /agent/logs: how many of the batch's chunks are stored (new or already there).
// Required.
struct LogAck {
  std::int64_t acked = 0;
  bool operator==(const LogAck&) const = default;
};

// The destroy guard's stop, with the plan it stopped (FinishRequest.guard). All required.
struct GuardReport {
  core::GuardStop stop;
  SavedPlanFile plan;
  bool operator==(const GuardReport&) const = default;
};

// POST /agent/finish. attempt_id, epoch, exit_code and verdict.class required; the rest default.
// verdict.lock is an object or absent/null.
struct FinishRequest {
  Id attempt_id = 0;
  std::int64_t epoch = 0;
  int exit_code = 0;
  bool stopped = false;        // the agent stopped the step because it was asked to (cancel)
  std::int64_t seq_count = 0;  // log chunks the agent sent for this attempt
  core::Verdict verdict;
  // Optional: the steps stopped before applying a saved plan that destroys resources.
  std::optional<GuardReport> guard;
  // Optional ("claim": {"labels": ...}): the slot that ran this attempt is free once the report
  // lands, so the server also claims its next job, as POST /agent/claim with these labels and
  // no wait would, and answers the offer with the report. Saves a round trip and a commit per
  // job. A server that does not know the field ignores it (no offer: the agent claims as usual).
  std::optional<std::string> claim_labels;
  bool operator==(const FinishRequest&) const = default;
};

// 200 answer of /agent/finish: idempotent = this attempt had already been reported (required);
// offer = the next job, when the request asked to claim one and there was one (optional).
struct FinishAnswer {
  bool idempotent = false;
  std::optional<Offer> offer;
  bool operator==(const FinishAnswer&) const = default;
};

// ---------------------------------------------------------------- operator routes

// POST /repos: name and url required; default_branch defaults to "master".
struct RepoRegistration {
  std::string name, url, default_branch = "master";
  bool operator==(const RepoRegistration&) const = default;
};

// POST /agents: name required; labels "" and capacity 1 by default. Registering an existing
// name rotates its token (the old one stops working) and replaces labels and capacity.
struct AgentRegistration {
  std::string name, labels;
  int capacity = 1;
  bool operator==(const AgentRegistration&) const = default;
};

// 200 answer of /agents: the token is shown once; the server keeps only its hash. Both required.
struct AgentCredentials {
  Id id = 0;
  std::string token;
  bool operator==(const AgentCredentials&) const = default;
};

// 200 answer of /repos. Required.
struct Created {
  Id id = 0;
  bool operator==(const Created&) const = default;
};

// POST /runs. Every field optional ("" = default): repo (the only one), event push|manual,
// to (the default branch), from (first parent of to), stack (re-apply one stack: event
// becomes manual), pipeline (only this one, by name).
struct TriggerRequest {
  std::string repo, event = "push", to, from, stack, pipeline;
  bool operator==(const TriggerRequest&) const = default;
};

// 200 answer of /runs: ids of the runs created, possibly none (no pipeline matched). Required.
struct TriggerAnswer {
  std::vector<Id> runs;
  bool operator==(const TriggerAnswer&) const = default;
};

// One run as listed by GET /runs and headed in GET /runs/{id}. All fields required but the
// optional timestamps.
struct RunSummary {
  Id id = 0;
  std::string repo, pipeline, pipeline_file;
  core::JobKind kind = core::JobKind::apply;
  std::string event, ref, before, commit, message;
  core::RunStatus status = core::RunStatus::queued;
  std::string summary;
  core::CancelLevel cancel = core::CancelLevel::none;
  Millis created_at = 0;
  std::optional<Millis> started_at, finished_at;
  std::optional<Id> superseded_by;  // the newer run that took over the jobs it had not started
  std::optional<Id> schedule;       // a cron run: its schedule, and the due time it is for
  std::optional<Millis> scheduled_for;
  bool operator==(const RunSummary&) const = default;
};

// GET /runs?limit=N. Required.
struct RunList {
  std::vector<RunSummary> runs;
  bool operator==(const RunList&) const = default;
};

// One attempt of a job, oldest first. exit_code, cls, lock and finished_at are optional (unset
// until the attempt is reported); the rest are required.
struct AttemptDetail {
  int n = 0;
  std::string agent;
  core::AttemptStatus status = core::AttemptStatus::running;
  std::optional<int> exit_code;
  std::optional<core::Class> cls;  // verdict class, once finished
  std::string rule, line;          // the rule and the line that decided the verdict
  int line_no = 0;
  std::optional<core::LockInfo> lock;
  std::optional<core::PlanSummary> plan;  // the plan its output held (drift runs)
  Millis started_at = 0;
  std::optional<Millis> finished_at;
  bool operator==(const AttemptDetail&) const = default;
};

// All fields required but finished_at.
struct JobDetail {
  Id id = 0;
  std::string stack, label, tier;
  core::JobKind kind = core::JobKind::apply;
  core::JobStatus status = core::JobStatus::pending;
  std::string reason;         // why the planner selected it
  std::string result_reason;  // why it was skipped, failed, retried or cancelled
  Millis not_before = 0;
  Millis created_at = 0;
  std::optional<Millis> finished_at;
  std::vector<AttemptDetail> attempts;
  // Optional. The destroy guard: what the job's saved plan deletes (needs_approval, refused or
  // approved jobs), and who approved it and when.
  std::vector<core::PlanChange> destroys;
  std::string approved_by;
  std::optional<Millis> approved_at;
  bool operator==(const JobDetail&) const = default;
};

// GET /runs/{id}: the summary plus jobs in tier order, each with its attempts. On the wire the
// summary's fields sit at the top level beside "jobs" (not nested under "run"). All required.
struct RunDetail {
  RunSummary run;
  std::vector<JobDetail> jobs;
  bool operator==(const RunDetail&) const = default;
};

// All fields required.
struct LogLine {
  Id id = 0;           // global chunk id: a follower resumes after the last one it saw
  std::string stack;   // the job's label, "" for run-level lines
  std::string stream;  // "out" (step output) or "sys" (stackrun's own lines)
  std::string data;
  bool operator==(const LogLine&) const = default;
};

// GET /runs/{id}/logs?after=ID&stack=S&wait_ms=N. All fields required.
struct LogPage {
  std::vector<LogLine> chunks;
  Id next = 0;        // pass as `after` to continue
  bool done = false;  // the run is finished and every chunk was returned
  core::RunStatus status = core::RunStatus::queued;
  bool operator==(const LogPage&) const = default;
};

// POST /runs/{id}/approve: stack required; approver required (who approves, as the client
// says: `stackrun approve --as`, else $USER@host).
struct ApproveRequest {
  std::string stack, approver;
  bool operator==(const ApproveRequest&) const = default;
};

// 200 answer of /runs/{id}/approve: the job queued to apply the plan that attempt plan_attempt
// saved, with that plan's digest. All required.
struct ApproveAnswer {
  Id job_id = 0, plan_attempt = 0;
  std::string sha256;
  bool operator==(const ApproveAnswer&) const = default;
};

// POST /runs/{id}/cancel: force defaults to false.
struct CancelRequest {
  bool force = false;
  bool operator==(const CancelRequest&) const = default;
};

// 200 answer of /runs/{id}/cancel. Both required.
struct CancelAnswer {
  core::RunStatus status = core::RunStatus::queued;
  bool already_finished = false;
  bool operator==(const CancelAnswer&) const = default;
};

// GET /health. Both required.
struct Health {
  bool ok = true;
  int protocol = kProtocolVersion;
  bool operator==(const Health&) const = default;
};

// POST /hooks/{source}'s answer to a verified delivery: what the forge guards decided
// ("accept", "ignored", "denied"), why, and the recorded delivery's id. Required.
struct HookAnswer {
  std::string outcome, reason;
  std::int64_t delivery = 0;
  bool operator==(const HookAnswer&) const = default;
};

// One recorded webhook delivery (GET /deliveries): what came from which source, and what the
// server decided. outcome: accept | ignored | denied | rejected; event: push | tag | delete |
// other, or "" when the body was never parsed (rejected before). run: the first run it created;
// error: why an accepted delivery created no run. run is optional, the rest required.
struct DeliverySummary {
  Id id = 0;
  std::string source, repo, delivery;
  Millis received_at = 0;
  std::string event, ref, after, sender_id, sender_login, outcome, reason;
  std::optional<Id> run;
  std::string error;
  bool operator==(const DeliverySummary&) const = default;
};

// GET /deliveries?repo=R&limit=N, newest first. Required.
struct DeliveryList {
  std::vector<DeliverySummary> deliveries;
  bool operator==(const DeliveryList&) const = default;
};

// One cron schedule (GET /schedules). state: enabled | disabled | gone, reason why not
// enabled. last_outcome: "run N" or why the last due time made no run ("" before the first).
// deadman_due / deadman_breached: only with a window (deadman_ms > 0). Optional: the
// nullable times and ids; the rest required.
struct ScheduleSummary {
  Id id = 0;
  std::string repo, pipeline, name, cron, timezone, file, commit, state, reason;
  Millis deadman_ms = 0;
  std::optional<Millis> next_fire_at, last_fire_at;
  std::optional<Id> last_run;
  std::string last_run_status, last_outcome;
  std::optional<Millis> deadman_due;
  bool deadman_breached = false;
  bool operator==(const ScheduleSummary&) const = default;
};
struct ScheduleList {
  std::vector<ScheduleSummary> schedules;
  bool operator==(const ScheduleList&) const = default;
};
// POST /schedules/{id}: enable, or disable with a reason. Answered with the ScheduleSummary.
struct ScheduleChange {
  bool enabled = true;
  std::string reason;
  bool operator==(const ScheduleChange&) const = default;
};

// GET /drift?repo=R: per plan-kind pipeline, per stack the latest decided result.
// state: clean | drift | error | skipped; plan (drift), line and rule (error), reason
// (skipped); last_clean and drifting_since optional.
struct DriftStackView {
  std::string stack, state;
  Id run = 0;
  Millis at = 0;
  std::optional<core::PlanSummary> plan;
  std::string line, rule, reason;
  std::optional<Millis> last_clean, drifting_since;
  bool operator==(const DriftStackView&) const = default;
};
// last_run: the newest run of the pipeline that completed (success, drift, failed);
// schedules: its schedules' names with the tightest dead-man window among them (0: none).
struct DriftPipelineView {
  std::string repo, pipeline;
  std::optional<Id> last_run;
  std::optional<Millis> last_completed;
  std::string last_status;
  std::vector<std::string> schedules;
  Millis deadman_ms = 0;
  std::optional<Millis> deadman_due;
  bool deadman_breached = false;
  std::vector<DriftStackView> stacks;
  bool operator==(const DriftPipelineView&) const = default;
};
struct DriftReport {
  Millis now = 0;  // the server's clock when it answered
  std::vector<DriftPipelineView> pipelines;
  bool operator==(const DriftReport&) const = default;
};

// Every 4xx/5xx body. Required.
struct ErrorBody {
  std::string error;
  bool operator==(const ErrorBody&) const = default;
};

// ---------------------------------------------------------------- codecs
// encode() gives compact JSON (invalid UTF-8 in strings is replaced by U+FFFD); each decode_*
// is its inverse: decode_x(encode(x)) == x for every x whose strings are valid UTF-8 (else the
// decoded strings carry U+FFFD where the invalid bytes were).

std::string encode(const ClaimRequest& m);
std::string encode(const Offer& m);
std::string encode(const AttemptRef& m);
std::string encode(const LeaseAnswer& m);
std::string encode(const LogBatch& m);
std::string encode(const LogAck& m);
std::string encode(const FinishRequest& m);
std::string encode(const FinishAnswer& m);
std::string encode(const RepoRegistration& m);
std::string encode(const AgentRegistration& m);
std::string encode(const AgentCredentials& m);
std::string encode(const Created& m);
std::string encode(const TriggerRequest& m);
std::string encode(const TriggerAnswer& m);
std::string encode(const RunList& m);
std::string encode(const RunDetail& m);
std::string encode(const LogPage& m);
std::string encode(const ApproveRequest& m);
std::string encode(const ApproveAnswer& m);
std::string encode(const CancelRequest& m);
std::string encode(const CancelAnswer& m);
std::string encode(const Health& m);
std::string encode(const ErrorBody& m);
std::string encode(const HookAnswer& m);
std::string encode(const DeliveryList& m);
std::string encode(const ScheduleList& m);
std::string encode(const ScheduleSummary& m);
std::string encode(const ScheduleChange& m);
std::string encode(const DriftReport& m);

// An empty body decodes as "{}" for the request messages whose fields are all optional
// (ClaimRequest, TriggerRequest, CancelRequest).
Result<ClaimRequest> decode_claim_request(std::string_view body);
Result<Offer> decode_offer(std::string_view body);
Result<AttemptRef> decode_attempt_ref(std::string_view body);
Result<LeaseAnswer> decode_lease_answer(std::string_view body);
Result<LogBatch> decode_log_batch(std::string_view body);
Result<LogAck> decode_log_ack(std::string_view body);
Result<FinishRequest> decode_finish_request(std::string_view body);
Result<FinishAnswer> decode_finish_answer(std::string_view body);
Result<RepoRegistration> decode_repo_registration(std::string_view body);
Result<AgentRegistration> decode_agent_registration(std::string_view body);
Result<AgentCredentials> decode_agent_credentials(std::string_view body);
Result<Created> decode_created(std::string_view body);
Result<TriggerRequest> decode_trigger_request(std::string_view body);
Result<TriggerAnswer> decode_trigger_answer(std::string_view body);
Result<RunList> decode_run_list(std::string_view body);
Result<RunDetail> decode_run_detail(std::string_view body);
Result<LogPage> decode_log_page(std::string_view body);
Result<ApproveRequest> decode_approve_request(std::string_view body);
Result<ApproveAnswer> decode_approve_answer(std::string_view body);
Result<CancelRequest> decode_cancel_request(std::string_view body);
Result<CancelAnswer> decode_cancel_answer(std::string_view body);
Result<Health> decode_health(std::string_view body);
Result<ErrorBody> decode_error_body(std::string_view body);
Result<HookAnswer> decode_hook_answer(std::string_view body);
Result<DeliveryList> decode_delivery_list(std::string_view body);
Result<ScheduleList> decode_schedule_list(std::string_view body);
Result<ScheduleSummary> decode_schedule_summary(std::string_view body);
Result<ScheduleChange> decode_schedule_change(std::string_view body);
Result<DriftReport> decode_drift_report(std::string_view body);

// Lock Info alone, as the store keeps it with an attempt: the same object as verdict.lock.
std::string encode_lock(const core::LockInfo& m);
Result<core::LockInfo> decode_lock(std::string_view body);
// A plan summary alone, as the store keeps it with an attempt: the same object as verdict.plan.
std::string encode_plan(const core::PlanSummary& m);
Result<core::PlanSummary> decode_plan(std::string_view body);

// The "error" text of a non-2xx body, or the body itself when it is not an ErrorBody (a proxy's
// HTML page, say), cut to 500 bytes.
std::string error_text(std::string_view body);

}  // namespace stackrun::wire
