#pragma once
// Test-only: one value of each message with every field away from its default, so a field the
// codec forgets to write or read changes the value after a round trip. Values that tests edit
// by text (statuses, kinds, classes) are distinct across a message so that each occurs once.
#include "runner/wire/protocol.hpp"

namespace stackrun::wire::samples {

inline core::LockInfo lock() {
  return {"4f6c-lock", "bucket/pg/terraform.tfstate",       "OperationTypeApply", "ci@runner-1",
          "1.9.8",     "2026-06-28 10:00:00.123 +0000 UTC", "held by run 7"};
}

inline ClaimRequest claim() {
  return {5'000, "os=linux,big"};
}

inline Offer offer() {
  Offer o;
  o.attempt_id = 11;
  o.job_id = 12;
  o.run_id = 13;
  o.epoch = 14;
  o.n = 3;
  o.lease_ms = 30'000;
  o.offer_ms = 10'000;
  o.repo_url = "https://git.example/infra.git";
  o.commit = "c0ffee";
  o.ref = "refs/heads/main";
  o.stack = "live/prod/pg";
  o.label = "pg";
  o.tier = "data";
  o.kind = core::JobKind::plan;
  o.event = "manual";
  o.pipeline = "prod";
  o.pipeline_file = ".stackrun/prod.yml";
  o.pipeline_yaml = "name: prod\n";
  o.message = "Bump pg to 16";
  return o;
}

inline AttemptRef attempt_ref() {
  return {21, 22};
}
inline LeaseAnswer lease_answer() {
  return {true, 1'750'000'000'000};
}

inline LogBatch log_batch() {
  return {31, 32, {{0, "line one\n"}, {1, "line two\n"}}};
}
inline LogAck log_ack() {
  return {2};
}

inline core::PlanSummary plan() {
  core::PlanSummary p;
  p.add = 1;
  p.change = 2;
  p.destroy = 3;
  p.import = 4;
  p.changes = {{"module.db.aws_db_instance.this[0]", "update"}, {"aws_s3_bucket.logs", "destroy"}};
  p.more = 5;
  return p;
}

inline FinishRequest finish_request() {
  FinishRequest f;
  f.attempt_id = 41;
  f.epoch = 42;
  f.exit_code = -2;
  f.stopped = true;
  f.seq_count = 7;
  f.verdict = {core::Class::lock,
               "builtin.lock.state-lock",
               "Error acquiring the state lock",
               12,
               lock(),
               plan()};
  return f;
}

inline FinishAnswer finish_answer() {
  return {true, {}};
}
inline RepoRegistration repo_registration() {
  return {"infra", "https://git.example/i", "main"};
}
inline AgentRegistration agent_registration() {
  return {"runner-1", "os=linux", 4};
}
inline AgentCredentials agent_credentials() {
  return {51, "tok-secret"};
}
inline Created created() {
  return {61};
}

inline TriggerRequest trigger_request() {
  return {"infra", "manual", "main", "abc123", "live/prod/pg", "prod"};
}

inline TriggerAnswer trigger_answer() {
  return {{71, 72, 73}};
}

inline RunSummary run_summary() {
  RunSummary r;
  r.id = 81;
  r.repo = "infra";
  r.pipeline = "prod";
  r.pipeline_file = ".stackrun/prod.yml";
  r.kind = core::JobKind::plan;
  r.event = "push";
  r.ref = "refs/heads/main";
  r.before = "b4b4b4";
  r.commit = "c0c0c0";
  r.message = "Add pg replica";
  r.status = core::RunStatus::running;
  r.summary = "1 applied";
  r.cancel = core::CancelLevel::graceful;
  r.created_at = 1'000;
  r.started_at = 2'000;
  r.finished_at = 3'000;
  r.superseded_by = 9;
  return r;
}

inline AttemptDetail attempt_detail() {
  AttemptDetail a;
  a.n = 2;
  a.agent = "runner-1";
  a.status = core::AttemptStatus::finished;
  a.exit_code = 1;
  a.cls = core::Class::transient;
  a.rule = "builtin.transient.rate";
  a.line = "Error: Throttling";
  a.line_no = 9;
  a.lock = lock();
  a.plan = plan();
  a.started_at = 4'000;
  a.finished_at = 5'000;
  return a;
}

inline JobDetail job_detail() {
  JobDetail j;
  j.id = 91;
  j.stack = "live/prod/pg";
  j.label = "pg";
  j.tier = "data";
  j.kind = core::JobKind::plan;
  j.status = core::JobStatus::drift;
  j.reason = "changed: live/prod/pg/terragrunt.hcl";
  j.result_reason = "retried after transient";
  j.not_before = 6'000;
  j.created_at = 7'000;
  j.finished_at = 8'000;
  j.attempts = {attempt_detail()};
  return j;
}

inline RunDetail run_detail() {
  return {run_summary(), {job_detail()}};
}

inline LogPage log_page() {
  return {{{101, "pg", "out", "Plan: 1 to add\n"}, {102, "", "sys", "run finished\n"}},
          102,
          true,
          core::RunStatus::success};
}

inline CancelRequest cancel_request() {
  return {true};
}
inline CancelAnswer cancel_answer() {
  return {core::RunStatus::cancelled, true};
}
inline Health health() {
  return {false, 7};
}
inline ErrorBody error_body() {
  return {"no run 5"};
}

}  // namespace stackrun::wire::samples
