// Codecs of the run views: GET /runs, /runs/{id} and /runs/{id}/logs. The wire format is
// described at the top of protocol.cpp; RunDetail is flattened (summary keys beside "jobs").
#include "runner/wire/json_fields.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::wire {
namespace {

using detail::decode;
using detail::dump;
using detail::EmptyBody;
using detail::Json;
using detail::nullable;
using detail::Obj;
using detail::text;

Json summary_json(const RunSummary& r) {
  return {{"id", r.id},
          {"repo", r.repo},
          {"pipeline", r.pipeline},
          {"pipeline_file", r.pipeline_file},
          {"kind", text(r.kind)},
          {"event", r.event},
          {"ref", r.ref},
          {"before", r.before},
          {"commit", r.commit},
          {"message", r.message},
          {"status", text(r.status)},
          {"summary", r.summary},
          {"cancel", text(r.cancel)},
          {"created_at", r.created_at},
          {"started_at", nullable(r.started_at)},
          {"finished_at", nullable(r.finished_at)},
          {"superseded_by", nullable(r.superseded_by)},
          {"schedule", nullable(r.schedule)},
          {"scheduled_for", nullable(r.scheduled_for)}};
}

void summary_fields(Obj& o, RunSummary& r) {
  o.req("id", r.id);
  o.req("repo", r.repo);
  o.req("pipeline", r.pipeline);
  o.req("pipeline_file", r.pipeline_file);
  o.req("kind", r.kind);
  o.req("event", r.event);
  o.req("ref", r.ref);
  o.req("before", r.before);
  o.req("commit", r.commit);
  o.req("message", r.message);
  o.req("status", r.status);
  o.req("summary", r.summary);
  o.req("cancel", r.cancel);
  o.req("created_at", r.created_at);
  o.opt("started_at", r.started_at);
  o.opt("finished_at", r.finished_at);
  o.opt("superseded_by", r.superseded_by);
  o.opt("schedule", r.schedule);
  o.opt("scheduled_for", r.scheduled_for);
}

Json attempt_json(const AttemptDetail& a) {
  return {{"n", a.n},
          {"agent", a.agent},
          {"status", text(a.status)},
          {"exit", nullable(a.exit_code)},
          {"class", a.cls ? text(*a.cls) : Json(nullptr)},
          {"rule", a.rule},
          {"line", a.line},
          {"line_no", a.line_no},
          {"lock", a.lock ? detail::lock_json(*a.lock) : Json(nullptr)},
          {"plan", a.plan ? detail::plan_json(*a.plan) : Json(nullptr)},
          {"started_at", a.started_at},
          {"finished_at", nullable(a.finished_at)}};
}

void attempt_fields(Obj& o, AttemptDetail& a) {
  o.req("n", a.n);
  o.req("agent", a.agent);
  o.req("status", a.status);
  o.opt("exit", a.exit_code);
  o.opt("class", a.cls);
  o.req("rule", a.rule);
  o.req("line", a.line);
  o.req("line_no", a.line_no);
  o.opt_object("lock", a.lock, detail::lock_fields);
  o.opt_object("plan", a.plan, detail::plan_fields);
  o.req("started_at", a.started_at);
  o.opt("finished_at", a.finished_at);
}

Json job_json(const JobDetail& j) {
  Json attempts = Json::array();
  for (const AttemptDetail& a : j.attempts) attempts.push_back(attempt_json(a));
  return {{"id", j.id},
          {"stack", j.stack},
          {"label", j.label},
          {"tier", j.tier},
          {"kind", text(j.kind)},
          {"status", text(j.status)},
          {"reason", j.reason},
          {"result_reason", j.result_reason},
          {"not_before", j.not_before},
          {"created_at", j.created_at},
          {"finished_at", nullable(j.finished_at)},
          {"attempts", std::move(attempts)},
          {"destroys", detail::changes_json(j.destroys)},
          {"approved_by", j.approved_by},
          {"approved_at", nullable(j.approved_at)}};
}

void job_fields(Obj& o, JobDetail& j) {
  o.req("id", j.id);
  o.req("stack", j.stack);
  o.req("label", j.label);
  o.req("tier", j.tier);
  o.req("kind", j.kind);
  o.req("status", j.status);
  o.req("reason", j.reason);
  o.req("result_reason", j.result_reason);
  o.req("not_before", j.not_before);
  o.req("created_at", j.created_at);
  o.opt("finished_at", j.finished_at);
  o.req_objects("attempts", j.attempts, attempt_fields);
  o.opt_objects("destroys", j.destroys, detail::change_fields);
  o.opt("approved_by", j.approved_by);
  o.opt("approved_at", j.approved_at);
}

void log_line_fields(Obj& o, LogLine& l) {
  o.req("id", l.id);
  o.req("stack", l.stack);
  o.req("stream", l.stream);
  o.req("data", l.data);
}

}  // namespace

std::string encode(const RunList& m) {
  Json runs = Json::array();
  for (const RunSummary& r : m.runs) runs.push_back(summary_json(r));
  return dump({{"runs", std::move(runs)}});
}

Result<RunList> decode_run_list(std::string_view body) {
  return decode<RunList>("run list", body, EmptyBody::error,
                         [](Obj& o, RunList& m) { o.req_objects("runs", m.runs, summary_fields); });
}

std::string encode(const RunDetail& m) {
  Json j = summary_json(m.run);
  Json jobs = Json::array();
  for (const JobDetail& job : m.jobs) jobs.push_back(job_json(job));
  j["jobs"] = std::move(jobs);
  return dump(j);
}

Result<RunDetail> decode_run_detail(std::string_view body) {
  return decode<RunDetail>("run", body, EmptyBody::error, [](Obj& o, RunDetail& m) {
    summary_fields(o, m.run);
    o.req_objects("jobs", m.jobs, job_fields);
  });
}

std::string encode(const LogPage& m) {
  Json chunks = Json::array();
  for (const LogLine& l : m.chunks)
    chunks.push_back({{"id", l.id}, {"stack", l.stack}, {"stream", l.stream}, {"data", l.data}});
  return dump({{"chunks", std::move(chunks)},
               {"next", m.next},
               {"done", m.done},
               {"status", text(m.status)}});
}

Result<LogPage> decode_log_page(std::string_view body) {
  return decode<LogPage>("log page", body, EmptyBody::error, [](Obj& o, LogPage& m) {
    o.req_objects("chunks", m.chunks, log_line_fields);
    o.req("next", m.next);
    o.req("done", m.done);
    o.req("status", m.status);
  });
}

}  // namespace stackrun::wire
