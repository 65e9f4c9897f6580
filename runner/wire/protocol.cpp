// The JSON form of the wire protocol, version 2 (kProtocolVersion). The codecs live in
// protocol_agent.cpp (agent routes), protocol_operator.cpp (repos, agents, triggers, cancel) and
// protocol_runs.cpp (run views, logs); the shared helpers in json_fields.hpp.
//
// Every body is one JSON object, encoded compactly with fields in struct order. Keys are the
// struct members' names, with these exceptions:
//   AttemptDetail::cls        -> "class"   (verdict class text, or null until reported)
//   AttemptDetail::exit_code  -> "exit"    (integer, or null until reported)
//   FinishRequest::verdict    -> "verdict": {"class", "rule", "line", "line_no", "lock"}
//   core::LockInfo            -> {"id", "path", "operation", "who", "version", "created", "info"}
//                                (in verdict.lock and AttemptDetail "lock"; null when absent)
//   core::PlanSummary         -> {"add", "change", "destroy", "import", "no_changes",
//                                "changes": [{"address", "action"}], "more"} (in verdict.plan
//                                and AttemptDetail "plan"; null when the output held no plan)
//   RunSummary::cancel        -> "cancel": "none" | "graceful" | "force"
//   RunDetail                 -> the RunSummary's keys at the top level plus "jobs": [JobDetail]
//                                (flattened: there is no "run" key)
// Value rules:
//   enums        their to_string text (core/status.hpp, core/verdict.hpp); any other text fails
//                with "expected one of <the allowed texts>"
//   integers     JSON integers only (not 1.5, 1e3 or "1"), within the member's C++ range
//   booleans     true/false only;  strings: JSON strings only (invalid UTF-8 encodes as U+FFFD)
//   optionals    std::optional members encode as null when unset and decode from null or absent;
//                defaulted (optional) scalar fields also read null or absent as their default
//   unknown keys are ignored; an empty body means {} only for claim, trigger and cancel
//
// Decode errors read "<message>: field \"<dotted path>\": <what>", "<message>: field
// \"<path>\" is missing" or "<message>: body is ...", with these message names:
//   ClaimRequest claim        Offer offer              AttemptRef attempt
//   LeaseAnswer lease         LogBatch logs            LogAck logs answer
//   FinishRequest finish      FinishAnswer finish answer
//   RepoRegistration repo     AgentRegistration agent  AgentCredentials agent credentials
//   Created created           TriggerRequest trigger   TriggerAnswer trigger answer
//   RunList run list          RunDetail run            LogPage log page
//   CancelRequest cancel      CancelAnswer cancel answer
//   Health health             ErrorBody error          HookAnswer hook answer
//   DeliveryList delivery list
// Paths: "verdict.lock.who", "chunks[2].seq", "jobs[0].attempts[1].status", "runs[3].id".
// The delivery list's codec is in protocol_deliveries.cpp.
#include "runner/wire/protocol.hpp"

#include "runner/wire/base64.hpp"
#include "runner/wire/json_fields.hpp"

namespace stackrun::wire {

using detail::Json;
using detail::Obj;

namespace detail {

Json lock_json(const core::LockInfo& l) {
  return {{"id", l.id},    {"path", l.path},       {"operation", l.operation},
          {"who", l.who},  {"version", l.version}, {"created", l.created},
          {"info", l.info}};
}

// Every key optional: Terraform prints only the lines it has.
void lock_fields(Obj& o, core::LockInfo& l) {
  o.opt("id", l.id);
  o.opt("path", l.path);
  o.opt("operation", l.operation);
  o.opt("who", l.who);
  o.opt("version", l.version);
  o.opt("created", l.created);
  o.opt("info", l.info);
}

Json changes_json(const std::vector<core::PlanChange>& changes) {
  Json out = Json::array();
  for (const auto& c : changes) out.push_back({{"address", c.address}, {"action", c.action}});
  return out;
}

void change_fields(Obj& c, core::PlanChange& ch) {
  c.req("address", ch.address);
  c.req("action", ch.action);
}

Json saved_plan_json(const SavedPlanFile& p) {
  return {
      {"step", p.step}, {"path", p.path}, {"sha256", p.sha256}, {"data", base64_encode(p.data)}};
}

void saved_plan_fields(Obj& o, SavedPlanFile& p) {
  o.req("step", p.step);
  o.req("path", p.path);
  o.req("sha256", p.sha256);
  std::string coded;
  o.req("data", coded);
  if (auto bytes = base64_decode(coded))
    p.data = std::move(*bytes);
  else
    o.invalid("data", "expected base64");
  const bool hex =
      p.sha256.size() == 64 && p.sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex) o.invalid("sha256", "expected 64 lower-case hex digits");
  if (p.step < 0) o.invalid("step", "expected a step index (0 or more)");
}

Json plan_json(const core::PlanSummary& p) {
  return {{"add", p.add},       {"change", p.change},         {"destroy", p.destroy},
          {"import", p.import}, {"no_changes", p.no_changes}, {"changes", changes_json(p.changes)},
          {"more", p.more}};
}

void plan_fields(Obj& o, core::PlanSummary& p) {
  o.opt("add", p.add);
  o.opt("change", p.change);
  o.opt("destroy", p.destroy);
  o.opt("import", p.import);
  o.opt("no_changes", p.no_changes);
  o.opt_objects("changes", p.changes, change_fields);
  o.opt("more", p.more);
}

}  // namespace detail

std::string encode(const Health& m) {
  return detail::dump({{"ok", m.ok}, {"protocol", m.protocol}});
}

Result<Health> decode_health(std::string_view body) {
  return detail::decode<Health>("health", body, detail::EmptyBody::error, [](Obj& o, Health& m) {
    o.req("ok", m.ok);
    o.req("protocol", m.protocol);
  });
}

std::string encode(const ErrorBody& m) {
  return detail::dump({{"error", m.error}});
}

Result<ErrorBody> decode_error_body(std::string_view body) {
  return detail::decode<ErrorBody>("error", body, detail::EmptyBody::error,
                                   [](Obj& o, ErrorBody& m) { o.req("error", m.error); });
}

std::string encode(const HookAnswer& m) {
  return detail::dump({{"outcome", m.outcome}, {"reason", m.reason}, {"delivery", m.delivery}});
}

Result<HookAnswer> decode_hook_answer(std::string_view body) {
  return detail::decode<HookAnswer>("hook answer", body, detail::EmptyBody::error,
                                    [](Obj& o, HookAnswer& m) {
                                      o.req("outcome", m.outcome);
                                      o.req("reason", m.reason);
                                      o.req("delivery", m.delivery);
                                    });
}

std::string encode_lock(const core::LockInfo& m) {
  return detail::dump(detail::lock_json(m));
}

Result<core::LockInfo> decode_lock(std::string_view body) {
  return detail::decode<core::LockInfo>(
      "lock", body, detail::EmptyBody::error,
      [](Obj& o, core::LockInfo& m) { detail::lock_fields(o, m); });
}

std::string encode_plan(const core::PlanSummary& m) {
  return detail::dump(detail::plan_json(m));
}

Result<core::PlanSummary> decode_plan(std::string_view body) {
  return detail::decode<core::PlanSummary>(
      "plan", body, detail::EmptyBody::error,
      [](Obj& o, core::PlanSummary& m) { detail::plan_fields(o, m); });
}

std::string error_text(std::string_view body) {
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto it = j.find("error");
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return std::string(body.substr(0, 500));
}

}  // namespace stackrun::wire
