// The API's plumbing: responses, auth, the 503 safety net, and the waits (parked claims, log
// followers, the one deadline timer). The routes are in api_agent.cpp and api_operator.cpp.
#include <malloc.h>

#include <cctype>
#include <iostream>

#include "runner/git/repo.hpp"
#include "runner/server/api_internal.hpp"
#include "runner/server/tokens.hpp"
#include "runner/wire/log_frames.hpp"

namespace stackrun::server {
namespace {

constexpr int kLogPageChunks = 1000;

bool gone(const std::shared_ptr<const std::atomic<bool>>& closed) {
  return closed && closed->load();
}

}  // namespace

http::Response json_response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

http::Response error_response(int status, const std::string& message) {
  return json_response(status, wire::encode(wire::ErrorBody{message}));
}

http::Response outcome_response(Outcome o, std::string ok_body) {
  switch (o) {
    case Outcome::ok:
    case Outcome::late:  // recorded: the interrupted apply now has its true outcome
      return json_response(200, std::move(ok_body));
    case Outcome::idempotent:
      return json_response(200, std::move(ok_body));
    case Outcome::stale:
      return error_response(409, "attempt is no longer running under this epoch (fenced)");
    case Outcome::forbidden:
      return error_response(403, "this agent did not claim that attempt");
    case Outcome::not_found:
      return error_response(404, "no such attempt");
  }
  return error_response(500, "unknown outcome");
}

std::string bearer_token(const http::Request& req) {
  const std::string h = req.header("authorization");
  if (h.size() < 7) return "";
  std::string scheme = h.substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme == "bearer " ? h.substr(7) : "";
}

Api::Api(http::Server& h, store::Store& s, Coordinator& c, RunWorker& w,
         std::function<Millis()> clk, ApiOptions o)
    : http(h), store(s), coord(c), worker(w), clock(std::move(clk)), options(std::move(o)) {}

void Api::log(const std::string& line) const {
  if (options.log) return options.log(line);
  std::cerr.clear();  // a failed write (a full disk) must not silence every later line
  std::cerr << "stackrun server: " << line << std::endl;
}

void Api::guarded(const http::Reply& reply, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const store::DbError& e) {
    // The transaction was rolled back: nothing happened. Agents and the CLI retry 503.
    log(std::string("store error: ") + e.what());
    reply(error_response(503, std::string("store unavailable, retry later: ") + e.what()));
    if (e.read_only()) reopen_store();
  }
  // Also after an error: a transition may have committed before a later read failed, and
  // its waiters must still be woken (a spurious wake is harmless).
  after_change();
  if (!quiet_) note_work();
  quiet_ = false;
}

void Api::note_work() {
  ++work_;
  if (release_armed_) return;
  release_armed_ = true;
  arm_release(work_);
}

void Api::arm_release(std::uint64_t seen) {
  auto weak = weak_from_this();
  http.after(std::chrono::milliseconds(options.idle_release), [weak, seen] {
    auto self = weak.lock();
    if (!self) return;
    if (self->work_ != seen) return self->arm_release(self->work_);
    self->release_armed_ = false;
    if (self->options.on_idle) return self->options.on_idle();
    self->store.db().release_memory();
    git::close_kept_repos();
    malloc_trim(0);
  });
}

void Api::after_change() {
  try {
    const Changes ch = coord.take_changes();
    if (ch.claims) dispatch_claims();
    if (!ch.log_runs.empty()) wake_followers(ch.log_runs);
    arm_timer();
  } catch (const store::DbError& e) {
    // Waiters stay parked (they time out normally); the timer retries once the store is back.
    log(std::string("store error while waking waiters: ") + e.what());
    if (e.read_only()) reopen_store();
    retry_soon();
  }
}

void Api::reopen_store() {
  // A connection opened while the file was read-only stays read-only: only a new one can see
  // that the fault has cleared. If it cannot open yet, the old one stays and the next write
  // fault tries again.
  try {
    store.reopen();
  } catch (const store::DbError& e) {
    log(std::string("cannot reopen the store yet: ") + e.what());
  }
}

void Api::retry_soon() {
  const Millis at = clock() + 1000;
  if (armed_for_ && *armed_for_ <= at) return;
  armed_for_ = at;
  auto weak = weak_from_this();
  http.after(std::chrono::milliseconds(1000), [weak, at] {
    if (auto self = weak.lock()) self->on_timer(at);
  });
}

namespace {

const char* const kUnknownAgent = "missing or unknown agent token";
const char* const kUnknownOperator =
    "missing or unknown API token (see client.json written by `stackrun up`)";

// 400 naming both versions when an agent request's Stackrun-Protocol is not ours.
std::optional<http::Response> protocol_refusal(const http::Request& req) {
  const std::string version = req.header("stackrun-protocol");
  const std::string mine = std::to_string(wire::kProtocolVersion);
  if (version == mine) return std::nullopt;
  const std::string advice = "; run the same stackrun version on agents and server";
  return error_response(400, version.empty()
                                 ? "missing " + std::string(wire::kProtocolHeader) +
                                       " header: this server speaks protocol " + mine + advice
                                 : "agent speaks protocol " + version +
                                       ", this server speaks protocol " + mine + advice);
}

}  // namespace

std::optional<store::AgentRow> Api::agent(const http::Request& req, const http::Reply& reply) {
  if (auto refused = protocol_refusal(req)) {
    reply(*refused);
    return std::nullopt;
  }
  const std::string token = bearer_token(req);
  auto a = token.empty() ? std::nullopt : store.agent_by_token_hash(sha256_hex(token));
  if (!a) reply(error_response(401, kUnknownAgent));
  return a;
}

bool Api::operator_ok(const http::Request& req, const http::Reply& reply) {
  const std::string token = bearer_token(req);
  if (!token.empty() && store.api_token_exists(sha256_hex(token))) return true;
  reply(error_response(401, kUnknownOperator));
  return false;
}

// --- parked claims

void Api::park_claim(store::AgentRow agent, Millis wait_ms,
                     std::shared_ptr<const std::atomic<bool>> closed, http::Reply reply) {
  const auto id = next_waiter_++;
  claims_.emplace(id, ParkedClaim{std::move(agent), std::move(closed), std::move(reply)});
  auto weak = weak_from_this();
  http.after(std::chrono::milliseconds(wait_ms), [weak, id] {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->claims_.find(id);
    if (it == self->claims_.end()) return;
    http::Response none;
    none.status = 204;
    none.content_type.clear();
    it->second.reply(none);
    self->claims_.erase(it);
  });
}

void Api::dispatch_claims() {
  std::set<std::string> found_nothing;  // label sets that got no job this round
  for (auto it = claims_.begin(); it != claims_.end();) {
    ParkedClaim& p = it->second;
    if (gone(p.closed)) {  // nobody would receive an offer: drop it
      it = claims_.erase(it);
      continue;
    }
    if (found_nothing.count(p.agent.labels)) {
      ++it;
      continue;
    }
    auto c = coord.claim(p.agent);
    if (!c) {
      found_nothing.insert(p.agent.labels);
      ++it;
      continue;
    }
    p.reply(json_response(200, wire::encode(offer_of(*c, coord.options()))));
    it = claims_.erase(it);
  }
}

// --- log followers

std::optional<wire::LogPage> Api::log_page(Id run, Id after, const std::string& stack,
                                           bool answer_empty) {
  auto tx = store.begin_read();
  // Read the status before the chunks: a run seen finished here has all its chunks stored, so
  // `done` can never hide a chunk written after this read.
  const auto row = store.run(run);
  const auto rows = store.chunks_after(run, after, stack, kLogPageChunks, kLogPageBytes);
  wire::LogPage page;
  page.status = row->status;
  page.done = core::is_terminal(row->status) && !rows.more;
  if (rows.chunks.empty() && !page.done && !answer_empty) return std::nullopt;
  page.next = after;
  for (const auto& c : rows.chunks) {
    page.chunks.push_back({c.id, c.label, c.stream, c.data});
    page.next = c.id;
  }
  return page;
}

http::Response page_response(const wire::LogPage& page, bool frames) {
  if (!frames) return json_response(200, wire::encode(page));
  http::Response r;
  r.content_type = wire::kLogFramesType;
  r.body = wire::encode_frames(page);
  return r;
}

void Api::park_follower(Id run, Id after, std::string stack, bool frames, Millis wait_ms,
                        std::shared_ptr<const std::atomic<bool>> closed, http::Reply reply) {
  const auto id = next_waiter_++;
  followers_.emplace(
      id, Follower{run, after, std::move(stack), frames, std::move(closed), std::move(reply)});
  auto weak = weak_from_this();
  http.after(std::chrono::milliseconds(wait_ms), [weak, id] {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->followers_.find(id);
    if (it == self->followers_.end()) return;
    Follower f = std::move(it->second);
    self->followers_.erase(it);
    self->guarded(f.reply, [&] {
      f.reply(page_response(*self->log_page(f.run, f.after, f.stack, true), f.frames));
    });
  });
}

void Api::wake_followers(const std::set<Id>& runs) {
  for (auto it = followers_.begin(); it != followers_.end();) {
    Follower& f = it->second;
    if (gone(f.closed)) {
      it = followers_.erase(it);
      continue;
    }
    if (!runs.count(f.run)) {
      ++it;
      continue;
    }
    if (auto page = log_page(f.run, f.after, f.stack, false)) {
      f.reply(page_response(*page, f.frames));
      it = followers_.erase(it);
    } else {
      ++it;
    }
  }
}

// --- the deadline timer

void Api::arm_timer() {
  const auto next = coord.next_deadline();
  if (!next || (armed_for_ && *armed_for_ <= *next)) return;
  armed_for_ = *next;
  const Millis at = *next;
  // +1: a lease ends once `now` is past it (expired_attempts uses <).
  const Millis delay = std::max<Millis>(0, at - clock() + 1);
  auto weak = weak_from_this();
  http.after(std::chrono::milliseconds(delay), [weak, at] {
    if (auto self = weak.lock()) self->on_timer(at);
  });
}

void Api::on_timer(Millis armed_for) {
  if (armed_for_ != armed_for) return;  // superseded by an earlier deadline, which re-armed
  armed_for_.reset();
  try {
    if (const int n = coord.reap(); n > 0)
      log("ended " + std::to_string(n) + " expired offer(s) or lease(s)");
    after_change();
    // Retries whose not_before passed wake parked claims even though no row changed.
    dispatch_claims();
    arm_timer();
  } catch (const store::DbError& e) {
    log(std::string("store error in the timer (retrying in 1s): ") + e.what());
    if (e.read_only()) reopen_store();
    retry_soon();
  }
}

std::vector<Id> insert_runs(Api& api, const std::vector<store::NewRun>& runs) {
  try {
    const auto ids = api.coord.create_runs(runs);
    api.after_change();
    return ids;
  } catch (const store::DbError& e) {
    api.after_change();
    if (e.read_only()) api.reopen_store();
    throw;
  }
}

void start_timers(Api& api) {
  api.after_change();
}

namespace {

// Body limits per route: a refused body is never read (413 from its Content-Length, or once a
// chunked body passes it). A finish report carries capped verdict strings; a log batch is
// shipped in pieces far below its limit.
constexpr std::size_t kSmallBody = 64 * 1024;
// A finish may carry a saved plan (agents cap it at 16 MiB; base64 adds a third).
constexpr std::size_t kFinishBody = 24 * 1024 * 1024;
constexpr std::size_t kLogsBody = 4 * 1024 * 1024;

// The door of an agent route (protocol version, then agent token) or an operator route
// (operator token), decided from the headers before the body is read. The handlers check again
// (they need the agent's row); a request refused here never reaches them. Runs on the io
// thread: the token lookups are indexed reads.
http::RouteOptions door(std::weak_ptr<Api> weak, bool agent_route, std::size_t max_body) {
  http::RouteOptions o;
  o.max_body_bytes = max_body;
  o.admit = [weak, agent_route](const http::Request& head) -> std::optional<http::Response> {
    auto self = weak.lock();
    if (!self) return std::nullopt;  // the handler answers (or drops the reply: 500)
    try {
      if (agent_route) {
        if (auto refused = protocol_refusal(head)) return refused;
      }
      const std::string token = bearer_token(head);
      const bool known =
          !token.empty() &&
          (agent_route ? self->store.agent_by_token_hash(sha256_hex(token)).has_value()
                       : self->store.api_token_exists(sha256_hex(token)));
      if (known) return std::nullopt;
      return error_response(401, agent_route ? kUnknownAgent : kUnknownOperator);
    } catch (const store::DbError& e) {
      self->log(std::string("store error checking a token: ") + e.what());
      if (e.read_only()) self->reopen_store();
      return error_response(503, std::string("store unavailable, retry later: ") + e.what());
    }
  };
  return o;
}

}  // namespace

std::shared_ptr<Api> install_routes(http::Server& http, store::Store& store,
                                    Coordinator& coordinator, RunWorker& worker,
                                    std::function<Millis()> clock, ApiOptions options) {
  auto api =
      std::make_shared<Api>(http, store, coordinator, worker, std::move(clock), std::move(options));
  std::weak_ptr<Api> weak = api;
  // Routes hold the Api weakly: it lives as long as the caller keeps the returned handle.
  auto bind = [weak](void (Api::*fn)(const http::Request&, const http::Reply&)) {
    return [weak, fn](const http::Request& req, http::Reply reply) {
      if (auto self = weak.lock()) ((*self).*fn)(req, reply);
    };
  };
  auto bind_async = [weak](void (Api::*fn)(const http::Request&, http::Reply)) {
    return [weak, fn](const http::Request& req, http::Reply reply) {
      if (auto self = weak.lock()) ((*self).*fn)(req, std::move(reply));
    };
  };
  const auto agent_door = [weak](std::size_t max_body) { return door(weak, true, max_body); };
  const auto operator_door = [weak](std::size_t max_body) { return door(weak, false, max_body); };
  http::RouteOptions open;
  open.max_body_bytes = kSmallBody;
  http.route(
      "GET", "/api/v1/health",
      [](const http::Request&, http::Reply reply) {
        reply(json_response(200, wire::encode(wire::Health{})));
      },
      open);
  http.route("POST", "/api/v1/agent/claim", bind_async(&Api::claim), agent_door(kSmallBody));
  http.route("POST", "/api/v1/agent/start", bind(&Api::start), agent_door(kSmallBody));
  http.route("POST", "/api/v1/agent/heartbeat", bind(&Api::heartbeat), agent_door(kSmallBody));
  http.route("POST", "/api/v1/agent/logs", bind(&Api::logs), agent_door(kLogsBody));
  http.route("POST", "/api/v1/agent/finish", bind(&Api::finish), agent_door(kFinishBody));
  http.route("POST", "/api/v1/repos", bind(&Api::add_repo), operator_door(kSmallBody));
  http.route("POST", "/api/v1/agents", bind(&Api::add_agent), operator_door(kSmallBody));
  http.route("POST", "/api/v1/runs", bind_async(&Api::trigger), operator_door(kSmallBody));
  http.route("GET", "/api/v1/runs", bind(&Api::list_runs), operator_door(kSmallBody));
  http.route("GET", "/api/v1/runs/{id}", bind(&Api::show_run), operator_door(kSmallBody));
  http.route("GET", "/api/v1/runs/{id}/logs", bind_async(&Api::run_logs),
             operator_door(kSmallBody));
  http.route("POST", "/api/v1/runs/{id}/cancel", bind(&Api::cancel), operator_door(kSmallBody));
  http.route("POST", "/api/v1/runs/{id}/approve", bind(&Api::approve), operator_door(kSmallBody));
  // Webhooks: outside the operator API (no bearer token); the signature is the credential.
  http.route("POST", "/hooks/{source}", bind(&Api::hook), hook_door(weak));
  http.route("GET", "/api/v1/deliveries", bind(&Api::list_deliveries), operator_door(kSmallBody));
  http.route("GET", "/api/v1/schedules", bind(&Api::list_schedules), operator_door(kSmallBody));
  http.route("POST", "/api/v1/schedules/{id}", bind(&Api::change_schedule),
             operator_door(kSmallBody));
  http.route("GET", "/api/v1/drift", bind(&Api::drift), operator_door(kSmallBody));
  return api;
}

}  // namespace stackrun::server
