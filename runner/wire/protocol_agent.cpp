// Codecs of the agent routes (/agent/claim, start, heartbeat, logs, finish). The wire format
// and its key mappings are described at the top of protocol.cpp.
#include "runner/wire/json_fields.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::wire {
namespace {

using detail::decode;
using detail::dump;
using detail::EmptyBody;
using detail::Json;
using detail::Obj;
using detail::text;

void verdict_fields(Obj& o, core::Verdict& v) {
  o.req("class", v.cls);
  o.opt("rule", v.rule);
  o.opt("line", v.line);
  o.opt("line_no", v.line_no);
  o.opt_object("lock", v.lock, detail::lock_fields);
  o.opt_object("plan", v.plan, detail::plan_fields);
}

Json verdict_json(const core::Verdict& v) {
  return {{"class", text(v.cls)},
          {"rule", v.rule},
          {"line", v.line},
          {"line_no", v.line_no},
          {"lock", v.lock ? detail::lock_json(*v.lock) : Json(nullptr)},
          {"plan", v.plan ? detail::plan_json(*v.plan) : Json(nullptr)}};
}

Json guard_json(const GuardReport& g) {
  return {{"guard", text(g.stop.guard)},
          {"destroys", detail::changes_json(g.stop.destroys)},
          {"unlisted", g.stop.unlisted},
          {"source", g.stop.source},
          {"plan", detail::saved_plan_json(g.plan)}};
}

void guard_fields(Obj& o, GuardReport& g) {
  std::string guard;
  o.req("guard", guard);
  if (auto parsed = core::parse_destroy_guard(guard);
      parsed && *parsed != core::DestroyGuard::allow)
    g.stop.guard = *parsed;
  else
    o.invalid("guard", "expected one of approve, refuse");
  o.req_objects("destroys", g.stop.destroys, detail::change_fields);
  o.opt("unlisted", g.stop.unlisted);
  o.req("source", g.stop.source);
  o.req_object("plan", g.plan, detail::saved_plan_fields);
}

Json offer_json(const Offer& m) {
  return Json({{"attempt_id", m.attempt_id},
               {"job_id", m.job_id},
               {"run_id", m.run_id},
               {"epoch", m.epoch},
               {"n", m.n},
               {"lease_ms", m.lease_ms},
               {"offer_ms", m.offer_ms},
               {"repo_url", m.repo_url},
               {"commit", m.commit},
               {"ref", m.ref},
               {"stack", m.stack},
               {"label", m.label},
               {"tier", m.tier},
               {"kind", text(m.kind)},
               {"event", m.event},
               {"pipeline", m.pipeline},
               {"pipeline_file", m.pipeline_file},
               {"pipeline_yaml", m.pipeline_yaml},
               {"message", m.message},
               {"approved_plan",
                m.approved_plan ? detail::saved_plan_json(*m.approved_plan) : Json(nullptr)},
               {"approved_by", m.approved_by}});
}

void offer_fields(Obj& o, Offer& m) {
  o.req("attempt_id", m.attempt_id);
  o.req("job_id", m.job_id);
  o.req("run_id", m.run_id);
  o.req("epoch", m.epoch);
  o.req("n", m.n);
  o.req("lease_ms", m.lease_ms);
  o.req("offer_ms", m.offer_ms);
  o.req("repo_url", m.repo_url);
  o.req("commit", m.commit);
  o.req("ref", m.ref);
  o.req("stack", m.stack);
  o.req("label", m.label);
  o.req("tier", m.tier);
  o.req("kind", m.kind);
  o.req("event", m.event);
  o.req("pipeline", m.pipeline);
  o.req("pipeline_file", m.pipeline_file);
  o.req("pipeline_yaml", m.pipeline_yaml);
  o.req("message", m.message);
  o.opt_object("approved_plan", m.approved_plan, detail::saved_plan_fields);
  o.opt("approved_by", m.approved_by);
}

}  // namespace

std::string encode(const ClaimRequest& m) {
  return dump({{"wait_ms", m.wait_ms}, {"labels", m.labels}});
}

Result<ClaimRequest> decode_claim_request(std::string_view body) {
  return decode<ClaimRequest>("claim", body, EmptyBody::empty_object, [](Obj& o, ClaimRequest& m) {
    o.opt("wait_ms", m.wait_ms);
    o.opt("labels", m.labels);
  });
}

std::string encode(const Offer& m) {
  return dump(offer_json(m));
}

Result<Offer> decode_offer(std::string_view body) {
  return decode<Offer>("offer", body, EmptyBody::error, offer_fields);
}

std::string encode(const AttemptRef& m) {
  return dump({{"attempt_id", m.attempt_id}, {"epoch", m.epoch}});
}

Result<AttemptRef> decode_attempt_ref(std::string_view body) {
  return decode<AttemptRef>("attempt", body, EmptyBody::error, [](Obj& o, AttemptRef& m) {
    o.req("attempt_id", m.attempt_id);
    o.req("epoch", m.epoch);
  });
}

std::string encode(const LeaseAnswer& m) {
  return dump({{"cancel", m.cancel}, {"lease_expires_at", m.lease_expires_at}});
}

Result<LeaseAnswer> decode_lease_answer(std::string_view body) {
  return decode<LeaseAnswer>("lease", body, EmptyBody::error, [](Obj& o, LeaseAnswer& m) {
    o.req("cancel", m.cancel);
    o.req("lease_expires_at", m.lease_expires_at);
  });
}

std::string encode(const LogBatch& m) {
  Json chunks = Json::array();
  for (const LogChunk& c : m.chunks) chunks.push_back({{"seq", c.seq}, {"data", c.data}});
  return dump({{"attempt_id", m.attempt_id}, {"epoch", m.epoch}, {"chunks", std::move(chunks)}});
}

Result<LogBatch> decode_log_batch(std::string_view body) {
  return decode<LogBatch>("logs", body, EmptyBody::error, [](Obj& o, LogBatch& m) {
    o.req("attempt_id", m.attempt_id);
    o.req("epoch", m.epoch);
    o.req_objects("chunks", m.chunks, [](Obj& c, LogChunk& chunk) {
      c.req("seq", chunk.seq);
      c.req("data", chunk.data);
    });
  });
}

std::string encode(const LogAck& m) {
  return dump({{"acked", m.acked}});
}

Result<LogAck> decode_log_ack(std::string_view body) {
  return decode<LogAck>("logs answer", body, EmptyBody::error,
                        [](Obj& o, LogAck& m) { o.req("acked", m.acked); });
}

std::string encode(const FinishRequest& m) {
  return dump({{"attempt_id", m.attempt_id},
               {"epoch", m.epoch},
               {"exit_code", m.exit_code},
               {"stopped", m.stopped},
               {"seq_count", m.seq_count},
               {"verdict", verdict_json(m.verdict)},
               {"guard", m.guard ? guard_json(*m.guard) : Json(nullptr)},
               {"claim", m.claim_labels ? Json({{"labels", *m.claim_labels}}) : Json(nullptr)}});
}

Result<FinishRequest> decode_finish_request(std::string_view body) {
  return decode<FinishRequest>("finish", body, EmptyBody::error, [](Obj& o, FinishRequest& m) {
    o.req("attempt_id", m.attempt_id);
    o.req("epoch", m.epoch);
    o.req("exit_code", m.exit_code);
    o.opt("stopped", m.stopped);
    o.opt("seq_count", m.seq_count);
    o.req_object("verdict", m.verdict, verdict_fields);
    o.opt_object("guard", m.guard, guard_fields);
    o.opt_object("claim", m.claim_labels,
                 [](Obj& c, std::string& labels) { c.opt("labels", labels); });
  });
}

std::string encode(const FinishAnswer& m) {
  return dump(
      {{"idempotent", m.idempotent}, {"offer", m.offer ? offer_json(*m.offer) : Json(nullptr)}});
}

Result<FinishAnswer> decode_finish_answer(std::string_view body) {
  return decode<FinishAnswer>("finish answer", body, EmptyBody::error, [](Obj& o, FinishAnswer& m) {
    o.req("idempotent", m.idempotent);
    o.opt_object("offer", m.offer, offer_fields);
  });
}

}  // namespace stackrun::wire
