// Operator routes of cron schedules and drift: GET /schedules, POST /schedules/{id} (enable,
// or disable with a reason) and GET /drift (the drift report).
#include "runner/server/api_internal.hpp"
#include "runner/server/drift_view.hpp"
#include "runner/server/schedules.hpp"

namespace stackrun::server {
namespace {

std::string repo_query(const http::Request& req) {
  auto it = req.query.find("repo");
  return it == req.query.end() ? "" : it->second;
}

wire::ScheduleSummary summary_of(store::Store& st, const store::ScheduleRow& s, Millis now) {
  wire::ScheduleSummary w;
  w.id = s.id;
  w.repo = s.repo_name;
  w.pipeline = s.pipeline;
  w.name = s.name;
  w.cron = s.cron;
  w.timezone = s.timezone;
  w.file = s.pipeline_file;
  w.commit = s.read_at_commit;
  w.state = std::string(core::to_string(s.state));
  w.reason = s.state_reason;
  w.deadman_ms = s.deadman_ms;
  w.next_fire_at = s.next_fire_at;
  w.last_fire_at = s.last_fire_at;
  w.last_run = s.last_run_id;
  if (s.last_run_status) w.last_run_status = std::string(core::to_string(*s.last_run_status));
  w.last_outcome = s.last_outcome;
  if (s.deadman_ms > 0 && s.state != store::ScheduleState::gone) {
    core::Deadman d;
    d.window = s.deadman_ms;
    d.watching_since = s.watching_since;
    if (auto last = st.last_completed_run(s.repo_id, s.pipeline)) d.last_completed = last->first;
    w.deadman_due = core::deadman_due(d);
    w.deadman_breached = core::deadman_breached(d, now);
  }
  return w;
}

}  // namespace

void Api::list_schedules(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const std::string repo = repo_query(req);
    auto tx = store.begin_read();
    store::Id repo_id = 0;
    if (!repo.empty()) {
      const auto row = store.repo_by_name(repo);
      if (!row) return reply(error_response(404, "unknown repo \"" + repo + "\""));
      repo_id = row->id;
    }
    wire::ScheduleList list;
    const Millis now = clock();
    for (const auto& s : store.schedules(repo_id))
      list.schedules.push_back(summary_of(store, s, now));
    reply(json_response(200, wire::encode(list)));
  });
}

void Api::change_schedule(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const std::string& text = req.params.at("id");
    char* end = nullptr;
    const long long id = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || id <= 0)
      return reply(
          error_response(400, "schedule id must be a positive integer, got \"" + text + "\""));
    auto body = wire::decode_schedule_change(req.body);
    if (!body) return reply(error_response(400, body.error()));
    if (!options.schedules) return reply(error_response(404, "no schedule " + text));
    auto row = options.schedules->set_enabled(id, body->enabled, body->reason);
    if (!row) {
      const bool missing = row.error().rfind("no schedule", 0) == 0;
      return reply(error_response(missing ? 404 : 409, row.error()));
    }
    auto tx = store.begin_read();
    reply(json_response(200, wire::encode(summary_of(store, *row, clock()))));
  });
}

void Api::drift(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const std::string repo = repo_query(req);
    auto tx = store.begin_read();
    if (!repo.empty() && !store.repo_by_name(repo))
      return reply(error_response(404, "unknown repo \"" + repo + "\""));
    reply(json_response(200, wire::encode(drift_report(store, repo, clock()))));
  });
}

}  // namespace stackrun::server
