// Operator (CLI) routes: register repos and agents, trigger runs (through the run worker),
// list and show runs, page and follow logs, cancel.
// Also the recorded webhook deliveries (GET /deliveries).
#include <cstdlib>

#include "runner/server/api_internal.hpp"
#include "runner/server/schedules.hpp"
#include "runner/server/tokens.hpp"

namespace stackrun::server {
namespace {

template <class T>
std::optional<T> decoded(Result<T> r, const http::Reply& reply) {
  if (r) return std::move(*r);
  reply(error_response(400, r.error()));
  return std::nullopt;
}

// A non-negative integer query or path parameter, or nullopt (answered 400).
std::optional<std::int64_t> number(const std::string& name, const std::string& text,
                                   const http::Reply& reply) {
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0) {
    reply(error_response(400,
                         "\"" + name + "\" must be a non-negative integer, got \"" + text + "\""));
    return std::nullopt;
  }
  return v;
}

std::string query(const http::Request& req, const char* key, const char* fallback) {
  auto it = req.query.find(key);
  return it == req.query.end() ? std::string(fallback) : it->second;
}

}  // namespace

void Api::add_repo(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    auto body = decoded(wire::decode_repo_registration(req.body), reply);
    if (!body) return;
    if (body->name.empty() || body->url.empty())
      return reply(error_response(400, "\"name\" and \"url\" must not be empty"));
    auto tx = store.begin();
    const Id id = store.upsert_repo(body->name, body->url, body->default_branch, clock());
    tx.commit();
    reply(json_response(200, wire::encode(wire::Created{id})));
    // Its schedules (a new repo, or a new URL or default branch) are read now.
    if (options.schedules) options.schedules->sync(body->name);
  });
}

void Api::add_agent(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    auto body = decoded(wire::decode_agent_registration(req.body), reply);
    if (!body) return;
    if (body->name.empty()) return reply(error_response(400, "\"name\" must not be empty"));
    if (body->capacity < 1) return reply(error_response(400, "\"capacity\" must be at least 1"));
    const std::string token = new_token();
    auto tx = store.begin();
    const Id id =
        store.create_agent(body->name, sha256_hex(token), body->labels, body->capacity, clock());
    tx.commit();
    reply(json_response(200, wire::encode(wire::AgentCredentials{id, token})));
  });
}

void Api::trigger(const http::Request& req, http::Reply reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    auto body = decoded(wire::decode_trigger_request(req.body), reply);
    if (!body) return;
    if (body->event != "push" && body->event != "manual")
      return reply(
          error_response(400, "\"event\" must be push or manual, got \"" + body->event + "\""));
    TriggerRequest t{body->repo,  body->event,    body->to, body->from,
                     body->stack, body->pipeline, {}};
    if (!t.stack.empty()) t.event = "manual";
    // A push trigger stands for a push: the default branch may have moved, and with it the
    // schedules declared there (read after the trigger, in the worker's order).
    if (t.event == "push" && options.schedules) options.schedules->sync(t.repo);
    worker.submit(std::move(t), [reply](const RunsOutcome& o) {
      if (!o.error.empty()) return reply(error_response(o.unavailable ? 503 : 422, o.error));
      reply(json_response(200, wire::encode(wire::TriggerAnswer{o.runs})));
    });
  });
}

void Api::list_runs(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const auto limit = number("limit", query(req, "limit", "20"), reply);
    if (!limit) return;
    wire::RunList list;
    auto tx = store.begin_read();
    for (const auto& r :
         store.recent_runs(static_cast<int>(std::clamp<std::int64_t>(*limit, 1, 1000))))
      list.runs.push_back(summary_of(r));
    reply(json_response(200, wire::encode(list)));
  });
}

void Api::show_run(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const auto id = number("id", req.params.at("id"), reply);
    if (!id) return;
    auto tx = store.begin_read();
    const auto run = store.run(*id);
    if (!run) return reply(error_response(404, "no run " + std::to_string(*id)));
    const auto detail = detail_of(
        *run, store.jobs_of_run(run->id), [&](Id job) { return store.attempts_of_job(job); },
        [&](Id job) { return store.latest_saved_plan(job); });
    reply(json_response(200, wire::encode(detail)));
  });
}

void Api::run_logs(const http::Request& req, http::Reply reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const auto id = number("id", req.params.at("id"), reply);
    if (!id) return;
    const auto after = number("after", query(req, "after", "0"), reply);
    if (!after) return;
    const auto wait = number("wait_ms", query(req, "wait_ms", "0"), reply);
    if (!wait) return;
    if (!store.run(*id)) return reply(error_response(404, "no run " + std::to_string(*id)));
    const std::string stack = query(req, "stack", "");
    const std::string format = query(req, "format", "json");
    if (format != "json" && format != "frames")
      return reply(error_response(400, "format: expected json or frames, not \"" + format + "\""));
    const bool frames = format == "frames";
    const Millis wait_ms = std::min<Millis>(*wait, options.max_wait_ms);
    if (auto page = log_page(*id, *after, stack, wait_ms == 0)) {
      reply(page_response(*page, frames));
      return;
    }
    park_follower(*id, *after, stack, frames, wait_ms, req.peer_closed, std::move(reply));
  });
}

void Api::cancel(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const auto id = number("id", req.params.at("id"), reply);
    if (!id) return;
    auto body = decoded(wire::decode_cancel_request(req.body), reply);
    if (!body) return;
    const Outcome o =
        coord.cancel(*id, body->force ? core::CancelLevel::force : core::CancelLevel::graceful);
    if (o == Outcome::not_found) return reply(error_response(404, "no run " + std::to_string(*id)));
    reply(json_response(
        200, wire::encode(wire::CancelAnswer{store.run(*id)->status, o == Outcome::idempotent})));
  });
}

// POST /api/v1/runs/{id}/approve (`stackrun approve`): applies the saved plan the destroy guard
// stopped. 404 for an unknown run or stack, 409 when the stack is not waiting for approval.
void Api::approve(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const auto id = number("id", req.params.at("id"), reply);
    if (!id) return;
    auto body = decoded(wire::decode_approve_request(req.body), reply);
    if (!body) return;
    const ApproveResult r = coord.approve(*id, body->stack, body->approver);
    if (r.status != 200) return reply(error_response(r.status, r.error));
    log("run " + std::to_string(*id) + ": " + body->stack + " approved by " + body->approver);
    reply(
        json_response(200, wire::encode(wire::ApproveAnswer{r.job_id, r.plan_attempt, r.sha256})));
  });
}

// GET /api/v1/deliveries?repo=R&limit=N (`stackrun deliveries`): the recorded deliveries,
// newest first. Secrets are never recorded, so nothing here needs hiding.
void Api::list_deliveries(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    if (!operator_ok(req, reply)) return;
    const auto limit = number("limit", query(req, "limit", "50"), reply);
    if (!limit) return;
    wire::DeliveryList list;
    auto tx = store.begin_read();
    for (const auto& d : store.recent_deliveries(
             query(req, "repo", ""), static_cast<int>(std::clamp<std::int64_t>(*limit, 1, 1000)))) {
      wire::DeliverySummary s;
      s.id = d.id;
      s.source = d.source;
      s.repo = d.repo;
      s.delivery = d.delivery_id;
      s.received_at = d.received_at;
      s.event = d.event;
      s.ref = d.ref;
      s.after = d.after;
      s.sender_id = d.sender_id;
      s.sender_login = d.sender_login;
      s.outcome = std::string(store::outcome_text(d.outcome));
      s.reason = d.reason;
      s.run = d.run_id;
      s.error = d.error;
      list.deliveries.push_back(std::move(s));
    }
    reply(json_response(200, wire::encode(list)));
  });
}

}  // namespace stackrun::server
