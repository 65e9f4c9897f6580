// Agent routes: claim (an offer, long-polled), start (confirm the offer), heartbeat, logs,
// finish. Every request names its protocol version; an agent acts only on its own attempts.
#include "runner/server/api_internal.hpp"
#include "runner/wire/log_frames.hpp"

namespace stackrun::server {
namespace {

// Decodes `body` with `decode`, answering 400 with the decoder's text when it fails.
template <class T>
std::optional<T> decoded(Result<T> r, const http::Reply& reply) {
  if (r) return std::move(*r);
  reply(error_response(400, r.error()));
  return std::nullopt;
}

}  // namespace

void Api::claim(const http::Request& req, http::Reply reply) {
  guarded(reply, [&] {
    auto a = agent(req, reply);
    if (!a) return;
    auto body = decoded(wire::decode_claim_request(req.body), reply);
    if (!body) return;
    // Labels route jobs, they grant nothing: an agent may declare its own.
    a->labels = body->labels;
    if (auto c = coord.claim(*a)) {
      reply(json_response(200, wire::encode(offer_of(*c, coord.options()))));
      return;
    }
    quiet();  // no work found: an idle agent's claim does not keep the server from idling
    const Millis wait = std::clamp<Millis>(body->wait_ms, 0, options.max_wait_ms);
    if (wait == 0) {
      http::Response none;
      none.status = 204;
      none.content_type.clear();
      reply(none);
      return;
    }
    park_claim(std::move(*a), wait, req.peer_closed, std::move(reply));
  });
}

void Api::start(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    auto a = agent(req, reply);
    if (!a) return;
    auto ref = decoded(wire::decode_attempt_ref(req.body), reply);
    if (!ref) return;
    const auto r = coord.start(*a, ref->attempt_id, ref->epoch);
    reply(
        outcome_response(r.outcome, wire::encode(wire::LeaseAnswer{r.cancel, r.lease_expires_at})));
  });
}

void Api::heartbeat(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    auto a = agent(req, reply);
    if (!a) return;
    auto ref = decoded(wire::decode_attempt_ref(req.body), reply);
    if (!ref) return;
    const auto r = coord.heartbeat(*a, ref->attempt_id, ref->epoch);
    reply(
        outcome_response(r.outcome, wire::encode(wire::LeaseAnswer{r.cancel, r.lease_expires_at})));
  });
}

void Api::logs(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    auto a = agent(req, reply);
    if (!a) return;
    // Agents send frames (wire/log_frames.hpp); JSON is still read (tests, scripts).
    const bool frames = req.header("content-type").rfind(wire::kLogFramesType, 0) == 0;
    auto batch = decoded(
        frames ? wire::decode_batch_frames(req.body) : wire::decode_log_batch(req.body), reply);
    if (!batch) return;
    // A stored chunk is never larger than this, so a log page stays within its byte budget.
    for (const auto& c : batch->chunks)
      if (c.data.size() > kMaxLogChunkBytes)
        return reply(
            error_response(400, "logs: chunk " + std::to_string(c.seq) + " holds " +
                                    std::to_string(c.data.size()) + " bytes, over the limit of " +
                                    std::to_string(kMaxLogChunkBytes) + " per chunk; split it"));
    std::vector<LogChunk> chunks;
    chunks.reserve(batch->chunks.size());
    for (auto& c : batch->chunks) chunks.push_back({c.seq, std::move(c.data)});
    const Outcome o = coord.append_logs(*a, batch->attempt_id, batch->epoch, chunks);
    reply(
        outcome_response(o, wire::encode(wire::LogAck{static_cast<std::int64_t>(chunks.size())})));
  });
}

void Api::finish(const http::Request& req, const http::Reply& reply) {
  guarded(reply, [&] {
    auto a = agent(req, reply);
    if (!a) return;
    auto body = decoded(wire::decode_finish_request(req.body), reply);
    if (!body) return;
    FinishReport rep;
    rep.attempt_id = body->attempt_id;
    rep.epoch = body->epoch;
    rep.facts.exit_code = body->exit_code;
    rep.facts.stopped = body->stopped;
    rep.facts.verdict = std::move(body->verdict);  // capped by the coordinator
    if (body->guard) {
      rep.facts.guard = std::move(body->guard->stop);
      rep.plan = std::move(body->guard->plan);
    }
    if (body->claim_labels) a->labels = *body->claim_labels;  // as a claim's: they route jobs
    const auto r = coord.finish_and_claim(*a, rep, body->claim_labels.has_value());
    wire::FinishAnswer answer{r.outcome == Outcome::idempotent, {}};
    if (r.next) answer.offer = offer_of(*r.next, coord.options());
    reply(outcome_response(r.outcome, wire::encode(answer)));
  });
}

}  // namespace stackrun::server
