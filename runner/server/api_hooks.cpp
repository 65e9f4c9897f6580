// Webhook intake, POST /hooks/{source} (schema/protocol.md, "Webhooks"). All on the io thread:
// the source (from the path) fixes repo, forge kind and secrets; the signature is verified over
// the raw body before any byte is parsed; the forge guards decide with the history read from
// the store, and the delivery is recorded in the same transaction, so two deliveries of one
// push (canonical and mirror, in any order) cannot both start a run. Only an accepted push
// reaches the run worker, which answers later; its first run (or its error) is stored then.
#include <charconv>
#include <cstdint>

#include "runner/core/forge_guards.hpp"
#include "runner/forge/push_event.hpp"
#include "runner/forge/signature.hpp"
#include "runner/server/api_internal.hpp"
#include "runner/server/schedules.hpp"

namespace stackrun::server {
namespace {

core::DeliveryKind delivery_kind(forge::PushKind k) {
  switch (k) {
    case forge::PushKind::push:
      return core::DeliveryKind::push;
    case forge::PushKind::tag:
      return core::DeliveryKind::tag;
    case forge::PushKind::deletion:
      return core::DeliveryKind::branch_delete;
    case forge::PushKind::other:
      return core::DeliveryKind::other;
  }
  return core::DeliveryKind::other;
}

store::DeliveryOutcome outcome_of(core::GuardOutcome o) {
  switch (o) {
    case core::GuardOutcome::start_apply:
      return store::DeliveryOutcome::accept;
    case core::GuardOutcome::ignore:
      return store::DeliveryOutcome::ignored;
    case core::GuardOutcome::deny:
      return store::DeliveryOutcome::denied;
  }
  return store::DeliveryOutcome::ignored;
}

const char* outcome_text(core::GuardOutcome o) {
  switch (o) {
    case core::GuardOutcome::start_apply:
      return "accept";
    case core::GuardOutcome::ignore:
      return "ignored";
    case core::GuardOutcome::deny:
      return "denied";
  }
  return "ignored";
}

// 413 too large, 400 a signature or form that cannot be read, 401 no valid signature.
int rejection_status(forge::Rejection r) {
  switch (r) {
    case forge::Rejection::too_large:
      return 413;
    case forge::Rejection::malformed_signature:
    case forge::Rejection::bad_form:
      return 400;
    case forge::Rejection::no_secret:
    case forge::Rejection::missing_signature:
    case forge::Rejection::empty_signature:
    case forge::Rejection::mismatch:
      return 401;
  }
  return 401;
}

std::optional<config::SourceRef> source_of(const ApiOptions& o, const http::Request& req) {
  if (!o.config) return std::nullopt;
  auto it = req.params.find("source");
  if (it == req.params.end()) return std::nullopt;
  return config::find_source(*o.config, it->second);
}

store::DeliveryRow rejected_row(const config::SourceRef& s, Millis now, std::string reason) {
  store::DeliveryRow row;
  row.source = s.source->name;
  row.repo = s.repo->name;
  row.received_at = now;
  row.outcome = store::DeliveryOutcome::rejected;
  row.reason = std::move(reason);
  return row;
}

core::Delivery delivery_of(const config::SourceRef& s, const forge::PushEvent& e) {
  core::Delivery d;
  d.id = e.delivery;
  d.source = s.source->name;
  d.forge = s.source->kind;
  d.role = s.source->role;
  d.kind = delivery_kind(e.kind);
  d.repo = s.repo->name;
  d.ref = e.ref;
  d.branch = e.branch;
  d.after = e.after;
  d.sender_id = std::to_string(e.sender.id);
  d.message = e.message;
  return d;
}

// The row of a verified, parsed delivery as the guards decided it. A repeated id is recorded
// without its id (the first delivery holds it); only an accepted push holds its push's key.
store::DeliveryRow decided_row(const config::SourceRef& s, const forge::PushEvent& e,
                               const core::GuardDecision& decision, bool seen, Millis now) {
  store::DeliveryRow row;
  row.source = s.source->name;
  row.repo = s.repo->name;
  row.delivery_id = seen ? "" : e.delivery;
  row.received_at = now;
  row.event = std::string(forge::to_string(e.kind));
  row.ref = e.ref;
  row.after = e.after;
  row.sender_id = e.kind == forge::PushKind::other ? "" : std::to_string(e.sender.id);
  row.sender_login = e.sender.login;
  row.outcome = outcome_of(decision.outcome);
  row.reason = decision.reason;
  row.holds_key = decision.outcome == core::GuardOutcome::start_apply;
  return row;
}

}  // namespace

http::RouteOptions hook_door(std::weak_ptr<Api> weak) {
  http::RouteOptions o;
  // One byte over the cap: the server's own limit answers a Content-Length above it before
  // admit runs, so admit refuses (and records) announced bodies over the cap first; a chunked
  // body is cut by the server past this, or refused by verify_delivery (too_large) at it.
  o.max_body_bytes = forge::kMaxBodyBytes + 1;
  o.admit = [weak](const http::Request& head) -> std::optional<http::Response> {
    auto self = weak.lock();
    if (!self) return std::nullopt;
    const auto src = source_of(self->options, head);
    if (!src) {
      auto it = head.params.find("source");
      return error_response(404,
                            "no webhook source " + (it == head.params.end() ? "" : it->second));
    }
    // A body announced over the cap is refused here, unread, and recorded (a chunked one is
    // cut by the server's own limit, 413 too, but not recorded: its size is known too late).
    const std::string length = head.header("content-length");
    std::uint64_t bytes = 0;
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), bytes);
    if (ec != std::errc{} || end != length.data() + length.size() || bytes <= forge::kMaxBodyBytes)
      return std::nullopt;  // no or unreadable length: the server's own checks answer
    const std::string reason = "body of " + length + " bytes is over the limit of " +
                               std::to_string(forge::kMaxBodyBytes) + " bytes";
    try {
      auto tx = self->store.begin();
      self->store.insert_delivery(rejected_row(*src, self->clock(), reason));
      tx.commit();
    } catch (const store::DbError& e) {
      self->log(std::string("store error recording a delivery: ") + e.what());
      if (e.read_only()) self->reopen_store();
    }
    return error_response(413, reason);
  };
  return o;
}

void Api::hook(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    const auto src = source_of(options, req);
    if (!src) return reply(error_response(404, "no webhook source " + req.params.at("source")));
    const auto kind = forge::from_core(src->source->kind);
    std::vector<std::string> secrets;
    for (const auto& s : src->source->webhook_secrets) secrets.push_back(s.reveal());
    const auto v = forge::verify_delivery(kind, req.headers, req.body, secrets);
    const auto reject = [&](int status, const std::string& reason) {
      auto tx = store.begin();
      store.insert_delivery(rejected_row(*src, clock(), reason));
      tx.commit();
      reply(error_response(status, reason));
    };
    if (!v.accepted()) return reject(rejection_status(*v.rejected), v.reason);
    const auto event = forge::parse_push_event(kind, req.headers, v.payload);
    if (!event) return reject(400, event.error());

    const core::Delivery d = delivery_of(*src, *event);
    auto tx = store.begin();
    core::DeliveryHistory h;
    h.delivery_seen = store.delivery_seen(d.source, d.id);
    // A key holder without a run (being built, or no pipeline matched) shows as run 0.
    if (auto holder = store.push_holder(d.repo, d.ref, d.after))
      h.runs[core::PushKey{d.repo, d.ref, d.after}] = holder->run_id.value_or(0);
    const auto decision = core::guard_push(d, src->repo->guards, h);
    const Id id =
        store.insert_delivery(decided_row(*src, *event, decision, h.delivery_seen, clock()));
    tx.commit();

    const bool start = decision.outcome == core::GuardOutcome::start_apply;
    reply(json_response(start ? 202 : 200,
                        wire::encode(wire::HookAnswer{std::string(outcome_text(decision.outcome)),
                                                      decision.reason, id})));
    if (!start) return;
    // from "": each stack's last applied commit (or the first parent of `to`) is its base.
    TriggerRequest t{d.repo, "push", d.after, "", "", "", {}};
    // A push that moves the default branch may change the schedules declared there.
    const bool moves_default = d.ref == "refs/heads/" + src->repo->default_branch;
    auto weak = weak_from_this();
    worker.submit(std::move(t), [weak, id](const RunsOutcome& o) {
      auto self = weak.lock();
      if (!self) return;
      std::optional<Id> run;
      if (!o.runs.empty()) run = o.runs.front();
      if (!o.error.empty())
        self->log("delivery " + std::to_string(id) + " created no run: " + o.error);
      try {
        auto done_tx = self->store.begin();
        self->store.set_delivery_run(id, run, o.error);
        done_tx.commit();
      } catch (const store::DbError& e) {
        self->log("store error recording delivery " + std::to_string(id) + "'s run: " + e.what());
        if (e.read_only()) self->reopen_store();
      }
    });
    if (moves_default && options.schedules) options.schedules->sync(d.repo);
  });
}

}  // namespace stackrun::server
