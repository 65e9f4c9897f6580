// Codecs of the schedule list (GET /schedules), a schedule change (POST /schedules/{id}) and
// the drift report (GET /drift): see protocol.cpp for the rules.
#include "runner/wire/json_fields.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::wire {
namespace {

using detail::Json;
using detail::nullable;
using detail::Obj;

Json schedule_json(const ScheduleSummary& s) {
  return {{"id", s.id},
          {"repo", s.repo},
          {"pipeline", s.pipeline},
          {"name", s.name},
          {"cron", s.cron},
          {"timezone", s.timezone},
          {"file", s.file},
          {"commit", s.commit},
          {"state", s.state},
          {"reason", s.reason},
          {"deadman_ms", s.deadman_ms},
          {"next_fire_at", nullable(s.next_fire_at)},
          {"last_fire_at", nullable(s.last_fire_at)},
          {"last_run", nullable(s.last_run)},
          {"last_run_status", s.last_run_status},
          {"last_outcome", s.last_outcome},
          {"deadman_due", nullable(s.deadman_due)},
          {"deadman_breached", s.deadman_breached}};
}

void schedule_fields(Obj& o, ScheduleSummary& s) {
  o.req("id", s.id);
  o.req("repo", s.repo);
  o.req("pipeline", s.pipeline);
  o.req("name", s.name);
  o.req("cron", s.cron);
  o.req("timezone", s.timezone);
  o.req("file", s.file);
  o.req("commit", s.commit);
  o.req("state", s.state);
  o.req("reason", s.reason);
  o.req("deadman_ms", s.deadman_ms);
  o.opt("next_fire_at", s.next_fire_at);
  o.opt("last_fire_at", s.last_fire_at);
  o.opt("last_run", s.last_run);
  o.req("last_run_status", s.last_run_status);
  o.req("last_outcome", s.last_outcome);
  o.opt("deadman_due", s.deadman_due);
  o.req("deadman_breached", s.deadman_breached);
}

Json stack_json(const DriftStackView& s) {
  return {{"stack", s.stack},
          {"state", s.state},
          {"run", s.run},
          {"at", s.at},
          {"plan", s.plan ? detail::plan_json(*s.plan) : Json(nullptr)},
          {"line", s.line},
          {"rule", s.rule},
          {"reason", s.reason},
          {"last_clean", nullable(s.last_clean)},
          {"drifting_since", nullable(s.drifting_since)}};
}

void stack_fields(Obj& o, DriftStackView& s) {
  o.req("stack", s.stack);
  o.req("state", s.state);
  o.req("run", s.run);
  o.req("at", s.at);
  o.opt_object("plan", s.plan, detail::plan_fields);
  o.req("line", s.line);
  o.req("rule", s.rule);
  o.req("reason", s.reason);
  o.opt("last_clean", s.last_clean);
  o.opt("drifting_since", s.drifting_since);
}

Json pipeline_json(const DriftPipelineView& p) {
  Json stacks = Json::array();
  for (const auto& s : p.stacks) stacks.push_back(stack_json(s));
  Json names = Json::array();
  for (const auto& n : p.schedules) names.push_back(n);
  return {{"repo", p.repo},
          {"pipeline", p.pipeline},
          {"last_run", nullable(p.last_run)},
          {"last_completed", nullable(p.last_completed)},
          {"last_status", p.last_status},
          {"schedules", std::move(names)},
          {"deadman_ms", p.deadman_ms},
          {"deadman_due", nullable(p.deadman_due)},
          {"deadman_breached", p.deadman_breached},
          {"stacks", std::move(stacks)}};
}

void pipeline_fields(Obj& o, DriftPipelineView& p) {
  o.req("repo", p.repo);
  o.req("pipeline", p.pipeline);
  o.opt("last_run", p.last_run);
  o.opt("last_completed", p.last_completed);
  o.req("last_status", p.last_status);
  o.req("schedules", p.schedules);
  o.req("deadman_ms", p.deadman_ms);
  o.opt("deadman_due", p.deadman_due);
  o.req("deadman_breached", p.deadman_breached);
  o.req_objects("stacks", p.stacks, stack_fields);
}

}  // namespace

std::string encode(const ScheduleSummary& m) {
  return detail::dump(schedule_json(m));
}

std::string encode(const ScheduleList& m) {
  Json list = Json::array();
  for (const auto& s : m.schedules) list.push_back(schedule_json(s));
  return detail::dump({{"schedules", std::move(list)}});
}

std::string encode(const ScheduleChange& m) {
  return detail::dump({{"enabled", m.enabled}, {"reason", m.reason}});
}

std::string encode(const DriftReport& m) {
  Json list = Json::array();
  for (const auto& p : m.pipelines) list.push_back(pipeline_json(p));
  return detail::dump({{"now", m.now}, {"pipelines", std::move(list)}});
}

Result<ScheduleList> decode_schedule_list(std::string_view body) {
  return detail::decode<ScheduleList>(
      "schedule list", body, detail::EmptyBody::error,
      [](Obj& o, ScheduleList& m) { o.req_objects("schedules", m.schedules, schedule_fields); });
}

Result<ScheduleSummary> decode_schedule_summary(std::string_view body) {
  return detail::decode<ScheduleSummary>("schedule", body, detail::EmptyBody::error,
                                         schedule_fields);
}

Result<ScheduleChange> decode_schedule_change(std::string_view body) {
  return detail::decode<ScheduleChange>("schedule change", body, detail::EmptyBody::error,
                                        [](Obj& o, ScheduleChange& m) {
                                          o.req("enabled", m.enabled);
                                          o.opt("reason", m.reason);
                                        });
}

Result<DriftReport> decode_drift_report(std::string_view body) {
  return detail::decode<DriftReport>("drift report", body, detail::EmptyBody::error,
                                     [](Obj& o, DriftReport& m) {
                                       o.req("now", m.now);
                                       o.req_objects("pipelines", m.pipelines, pipeline_fields);
                                     });
}

}  // namespace stackrun::wire
