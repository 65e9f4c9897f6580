#include "runner/server/api.hpp"

#include <nlohmann/json.hpp>

#include <memory>

#include "runner/server/tokens.hpp"
#include "runner/server/trigger.hpp"

namespace stackrun::server {
namespace {

using nlohmann::json;

http::Response json_response(int status, const json& body) {
  http::Response r;
  r.status = status;
  // Log text may hold invalid UTF-8; replace rather than fail the whole response.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}
http::Response error(int status, const std::string& message) { return json_response(status, {{"error", message}}); }

std::string bearer(const http::Request& req) {
  const std::string h = req.header("authorization");
  const std::string prefix = "Bearer ";
  return h.rfind(prefix, 0) == 0 ? h.substr(prefix.size()) : "";
}

std::optional<json> parse_body(const http::Request& req, const http::Reply& reply) {
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    reply(error(400, "request body is not a JSON object"));
    return std::nullopt;
  }
  return j;
}

http::Response outcome_response(Outcome o, const json& ok_body = json::object()) {
  switch (o) {
    case Outcome::ok: return json_response(200, ok_body);
    case Outcome::idempotent: return json_response(200, {{"idempotent", true}});
    case Outcome::stale: return error(409, "attempt is no longer running under this epoch (fenced)");
    case Outcome::forbidden: return error(403, "this agent did not claim that attempt");
    case Outcome::not_found: return error(404, "no such attempt or run");
  }
  return error(500, "unknown outcome");
}

json attempt_json(const store::AttemptRow& a) {
  json j{{"n", a.n},          {"agent", a.agent_name}, {"status", a.status},  {"class", a.cls},
         {"rule", a.rule},    {"line", a.line},        {"line_no", a.line_no}, {"started_at", a.started_at},
         {"exit", a.exit_code ? json(*a.exit_code) : json(nullptr)},
         {"finished_at", a.finished_at ? json(*a.finished_at) : json(nullptr)}};
  j["lock"] = a.lock_json.empty() ? json(nullptr) : json::parse(a.lock_json, nullptr, false);
  return j;
}

json run_json(const store::RunRow& r) {
  return {{"id", r.id},
          {"repo", r.repo_name},
          {"pipeline", r.pipeline},
          {"pipeline_file", r.pipeline_file},
          {"kind", r.kind},
          {"event", r.event},
          {"ref", r.ref},
          {"before", r.before_commit},
          {"commit", r.commit_sha},
          {"message", r.message},
          {"status", r.status},
          {"summary", r.summary},
          {"cancel_requested", r.cancel_requested},
          {"created_at", r.created_at},
          {"started_at", r.started_at ? json(*r.started_at) : json(nullptr)},
          {"finished_at", r.finished_at ? json(*r.finished_at) : json(nullptr)}};
}

bool run_finished(const std::string& status) { return status != "queued" && status != "running"; }

struct Api : std::enable_shared_from_this<Api> {
  http::Server& http;
  store::Store& store;
  Coordinator& coord;
  std::function<Millis()> clock;
  ApiOptions options;

  Api(http::Server& h, store::Store& s, Coordinator& c, std::function<Millis()> clk, ApiOptions o)
      : http(h), store(s), coord(c), clock(std::move(clk)), options(o) {}

  std::optional<store::AgentRow> agent(const http::Request& req, const http::Reply& reply) {
    const std::string token = bearer(req);
    auto a = token.empty() ? std::nullopt : store.agent_by_token_hash(sha256_hex(token));
    if (!a) reply(error(401, "missing or unknown agent token"));
    return a;
  }

  bool operator_ok(const http::Request& req, const http::Reply& reply) {
    const std::string token = bearer(req);
    if (!token.empty() && store.api_token_exists(sha256_hex(token))) return true;
    reply(error(401, "missing or unknown API token (see client.json written by `stackrun up`)"));
    return false;
  }

  // --- agent routes

  void claim(const http::Request& req, http::Reply reply) {
    auto a = agent(req, reply);
    if (!a) return;
    auto body = parse_body(req, reply);
    if (!body) return;
    const Millis wait = std::clamp<Millis>(body->value("wait_ms", Millis{20'000}), 0, options.max_claim_wait_ms);
    // Labels route jobs, they grant nothing: an agent may declare its own.
    if (body->contains("labels") && (*body)["labels"].is_string()) a->labels = (*body)["labels"].get<std::string>();
    try_claim(*a, clock() + wait, std::move(reply));
  }

  void try_claim(store::AgentRow a, Millis deadline, http::Reply reply) {
    if (auto c = coord.claim(a)) {
      reply(json_response(200, {{"attempt_id", c->attempt.id},
                                {"job_id", c->job.id},
                                {"run_id", c->run.id},
                                {"epoch", c->attempt.epoch},
                                {"n", c->attempt.n},
                                {"lease_ms", c->attempt.lease_expires_at - c->attempt.started_at},
                                {"repo_url", c->repo_url},
                                {"commit", c->run.commit_sha},
                                {"ref", c->run.ref},
                                {"stack", c->job.stack},
                                {"label", c->job.label},
                                {"tier", c->job.tier},
                                {"kind", c->job.kind},
                                {"event", c->run.event},
                                {"pipeline", c->run.pipeline},
                                {"pipeline_file", c->run.pipeline_file},
                                {"pipeline_yaml", c->run.pipeline_yaml},
                                {"message", c->run.message}}));
      return;
    }
    if (clock() >= deadline) {
      http::Response r;
      r.status = 204;
      reply(r);
      return;
    }
    auto self = shared_from_this();
    http.after(std::chrono::milliseconds(options.poll_interval_ms),
               [self, a, deadline, reply] { self->try_claim(a, deadline, reply); });
  }

  void heartbeat(const http::Request& req, const http::Reply& reply) {
    auto a = agent(req, reply);
    if (!a) return;
    auto body = parse_body(req, reply);
    if (!body) return;
    const auto r = coord.heartbeat(*a, body->value("attempt_id", Id{0}), body->value("epoch", std::int64_t{0}));
    reply(outcome_response(r.outcome, {{"cancel", r.cancel}, {"lease_expires_at", r.lease_expires_at}}));
  }

  void logs(const http::Request& req, const http::Reply& reply) {
    auto a = agent(req, reply);
    if (!a) return;
    auto body = parse_body(req, reply);
    if (!body) return;
    std::vector<LogChunk> chunks;
    const json& arr = (*body)["chunks"];
    if (!arr.is_array()) return reply(error(400, "\"chunks\" must be an array"));
    for (const auto& c : arr) {
      if (!c.is_object() || !c.contains("seq") || !c["seq"].is_number_integer() || !c.contains("data") ||
          !c["data"].is_string())
        return reply(error(400, "each chunk needs integer \"seq\" and string \"data\""));
      chunks.push_back({c["seq"].get<std::int64_t>(), c["data"].get<std::string>()});
    }
    const Outcome o = coord.append_logs(*a, body->value("attempt_id", Id{0}), chunks);
    reply(outcome_response(o, {{"acked", chunks.size()}}));
  }

  void finish(const http::Request& req, const http::Reply& reply) {
    auto a = agent(req, reply);
    if (!a) return;
    auto body = parse_body(req, reply);
    if (!body) return;
    FinishReport rep;
    rep.attempt_id = body->value("attempt_id", Id{0});
    rep.epoch = body->value("epoch", std::int64_t{0});
    rep.exit_code = body->value("exit_code", 1);
    rep.stopped = body->value("stopped", false);
    const json v = body->value("verdict", json::object());
    const auto cls = core::class_from_string(v.value("class", ""));
    if (!cls) return reply(error(400, "verdict.class must be one of success, drift, lock, transient, fatal"));
    rep.verdict.cls = *cls;
    rep.verdict.rule = v.value("rule", "");
    rep.verdict.line = v.value("line", "");
    rep.verdict.line_no = v.value("line_no", 0);
    if (v.contains("lock") && v["lock"].is_object()) {
      const json& l = v["lock"];
      rep.verdict.lock = core::LockInfo{l.value("id", ""),      l.value("path", ""),    l.value("operation", ""),
                                        l.value("who", ""),     l.value("version", ""), l.value("created", ""),
                                        l.value("info", "")};
      const core::LockInfo& k = *rep.verdict.lock;
      rep.lock_json = json{{"id", k.id},         {"path", k.path},       {"operation", k.operation},
                           {"who", k.who},       {"version", k.version}, {"created", k.created},
                           {"info", k.info}}
                          .dump(-1, ' ', false, json::error_handler_t::replace);
    }
    reply(outcome_response(coord.finish(*a, rep)));
  }

  // --- operator routes

  void add_repo(const http::Request& req, const http::Reply& reply) {
    if (!operator_ok(req, reply)) return;
    auto body = parse_body(req, reply);
    if (!body) return;
    const std::string name = body->value("name", ""), url = body->value("url", "");
    if (name.empty() || url.empty()) return reply(error(400, "\"name\" and \"url\" are required"));
    auto tx = store.begin();
    const Id id = store.upsert_repo(name, url, body->value("default_branch", "master"), clock());
    tx.commit();
    reply(json_response(200, {{"id", id}}));
  }

  void add_agent(const http::Request& req, const http::Reply& reply) {
    if (!operator_ok(req, reply)) return;
    auto body = parse_body(req, reply);
    if (!body) return;
    const std::string name = body->value("name", "");
    if (name.empty()) return reply(error(400, "\"name\" is required"));
    const std::string token = new_token();
    auto tx = store.begin();
    const Id id = store.create_agent(name, sha256_hex(token), body->value("labels", ""),
                                     std::max(1, body->value("capacity", 1)), clock());
    tx.commit();
    reply(json_response(200, {{"id", id}, {"token", token}}));
  }

  void trigger(const http::Request& req, const http::Reply& reply) {
    if (!operator_ok(req, reply)) return;
    auto body = parse_body(req, reply);
    if (!body) return;
    TriggerRequest t;
    t.repo = body->value("repo", "");
    t.event = body->value("event", "push");
    t.to = body->value("to", "");
    t.from = body->value("from", "");
    t.stack = body->value("stack", "");
    t.pipeline = body->value("pipeline", "");
    if (t.event != "push" && t.event != "manual") return reply(error(400, "\"event\" must be push or manual"));
    if (!t.stack.empty()) t.event = "manual";
    auto ids = create_runs(store, coord, t, clock());
    if (!ids) return reply(error(422, ids.error()));
    reply(json_response(200, {{"runs", *ids}}));
  }

  void list_runs(const http::Request& req, const http::Reply& reply) {
    if (!operator_ok(req, reply)) return;
    int limit = 20;
    if (auto it = req.query.find("limit"); it != req.query.end()) limit = std::clamp(std::atoi(it->second.c_str()), 1, 1000);
    json arr = json::array();
    for (const auto& r : store.recent_runs(limit)) arr.push_back(run_json(r));
    reply(json_response(200, {{"runs", arr}}));
  }

  std::optional<store::RunRow> run_param(const http::Request& req, const http::Reply& reply) {
    const Id id = std::atoll(req.params.at("id").c_str());
    auto r = store.run(id);
    if (!r) reply(error(404, "no run " + req.params.at("id")));
    return r;
  }

  void show_run(const http::Request& req, const http::Reply& reply) {
    if (!operator_ok(req, reply)) return;
    auto r = run_param(req, reply);
    if (!r) return;
    json j = run_json(*r);
    json jobs = json::array();
    for (const auto& job : store.jobs_of_run(r->id)) {
      json attempts = json::array();
      for (const auto& a : store.attempts_of_job(job.id)) attempts.push_back(attempt_json(a));
      jobs.push_back({{"id", job.id},
                      {"stack", job.stack},
                      {"label", job.label},
                      {"tier", job.tier},
                      {"kind", job.kind},
                      {"status", job.status},
                      {"reason", job.reason},
                      {"result_reason", job.result_reason},
                      {"not_before", job.not_before},
                      {"created_at", job.created_at},
                      {"finished_at", job.finished_at ? json(*job.finished_at) : json(nullptr)},
                      {"attempts", attempts}});
    }
    j["jobs"] = jobs;
    reply(json_response(200, j));
  }

  void run_logs(const http::Request& req, http::Reply reply) {
    if (!operator_ok(req, reply)) return;
    auto r = run_param(req, reply);
    if (!r) return;
    auto q = [&](const char* k, const char* d) {
      auto it = req.query.find(k);
      return it == req.query.end() ? std::string(d) : it->second;
    };
    const Id after = std::atoll(q("after", "0").c_str());
    const Millis wait = std::clamp<Millis>(std::atoll(q("wait_ms", "0").c_str()), 0, options.max_claim_wait_ms);
    poll_logs(r->id, after, q("stack", ""), clock() + wait, std::move(reply));
  }

  void poll_logs(Id run_id, Id after, std::string stack, Millis deadline, http::Reply reply) {
    constexpr int kLimit = 1000;
    // Read the status before the chunks: a run seen finished here has all its chunks stored,
    // so `done` can never hide a chunk written after this read.
    const std::string status = store.run(run_id)->status;
    const auto chunks = store.chunks_after(run_id, after, stack, kLimit);
    const bool done = run_finished(status) && static_cast<int>(chunks.size()) < kLimit;
    if (chunks.empty() && !done && clock() < deadline) {
      auto self = shared_from_this();
      http.after(std::chrono::milliseconds(options.poll_interval_ms),
                 [self, run_id, after, stack, deadline, reply] { self->poll_logs(run_id, after, stack, deadline, reply); });
      return;
    }
    json arr = json::array();
    Id next = after;
    for (const auto& c : chunks) {
      arr.push_back({{"id", c.id}, {"stack", c.label}, {"stream", c.stream}, {"data", c.data}});
      next = c.id;
    }
    reply(json_response(200, {{"chunks", arr}, {"next", next}, {"done", done}, {"status", status}}));
  }

  void cancel(const http::Request& req, const http::Reply& reply) {
    if (!operator_ok(req, reply)) return;
    auto body = parse_body(req, reply);
    if (!body) return;
    auto r = run_param(req, reply);
    if (!r) return;
    const Outcome o = coord.cancel(r->id, body->value("force", false));
    reply(json_response(200, {{"status", store.run(r->id)->status}, {"already_finished", o == Outcome::idempotent}}));
  }
};

}  // namespace

void install_routes(http::Server& http, store::Store& store, Coordinator& coordinator, std::function<Millis()> clock,
                    ApiOptions options) {
  auto api = std::make_shared<Api>(http, store, coordinator, std::move(clock), options);
  auto bind = [api](void (Api::*fn)(const http::Request&, const http::Reply&)) {
    return [api, fn](const http::Request& req, http::Reply reply) { ((*api).*fn)(req, reply); };
  };
  auto bind_async = [api](void (Api::*fn)(const http::Request&, http::Reply)) {
    return [api, fn](const http::Request& req, http::Reply reply) { ((*api).*fn)(req, std::move(reply)); };
  };
  http.route("GET", "/api/v1/health", [](const http::Request&, http::Reply reply) {
    reply(json_response(200, {{"ok", true}, {"protocol", 1}}));
  });
  http.route("POST", "/api/v1/agent/claim", bind_async(&Api::claim));
  http.route("POST", "/api/v1/agent/heartbeat", bind(&Api::heartbeat));
  http.route("POST", "/api/v1/agent/logs", bind(&Api::logs));
  http.route("POST", "/api/v1/agent/finish", bind(&Api::finish));
  http.route("POST", "/api/v1/repos", bind(&Api::add_repo));
  http.route("POST", "/api/v1/agents", bind(&Api::add_agent));
  http.route("POST", "/api/v1/runs", bind(&Api::trigger));
  http.route("GET", "/api/v1/runs", bind(&Api::list_runs));
  http.route("GET", "/api/v1/runs/{id}", bind(&Api::show_run));
  http.route("GET", "/api/v1/runs/{id}/logs", bind_async(&Api::run_logs));
  http.route("POST", "/api/v1/runs/{id}/cancel", bind(&Api::cancel));
}

}  // namespace stackrun::server
