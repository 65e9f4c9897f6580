// Codecs of the operator routes that change things: /repos, /agents, /runs (trigger) and
// /runs/{id}/cancel. The wire format is described at the top of protocol.cpp.
#include "runner/wire/json_fields.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::wire {

using detail::decode;
using detail::dump;
using detail::EmptyBody;
using detail::Obj;
using detail::text;

std::string encode(const RepoRegistration& m) {
  return dump({{"name", m.name}, {"url", m.url}, {"default_branch", m.default_branch}});
}

Result<RepoRegistration> decode_repo_registration(std::string_view body) {
  return decode<RepoRegistration>("repo", body, EmptyBody::error, [](Obj& o, RepoRegistration& m) {
    o.req("name", m.name);
    o.req("url", m.url);
    o.opt("default_branch", m.default_branch);
  });
}

std::string encode(const AgentRegistration& m) {
  return dump({{"name", m.name}, {"labels", m.labels}, {"capacity", m.capacity}});
}

Result<AgentRegistration> decode_agent_registration(std::string_view body) {
  return decode<AgentRegistration>("agent", body, EmptyBody::error,
                                   [](Obj& o, AgentRegistration& m) {
                                     o.req("name", m.name);
                                     o.opt("labels", m.labels);
                                     o.opt("capacity", m.capacity);
                                   });
}

std::string encode(const AgentCredentials& m) {
  return dump({{"id", m.id}, {"token", m.token}});
}

Result<AgentCredentials> decode_agent_credentials(std::string_view body) {
  return decode<AgentCredentials>("agent credentials", body, EmptyBody::error,
                                  [](Obj& o, AgentCredentials& m) {
                                    o.req("id", m.id);
                                    o.req("token", m.token);
                                  });
}

std::string encode(const Created& m) {
  return dump({{"id", m.id}});
}

Result<Created> decode_created(std::string_view body) {
  return decode<Created>("created", body, EmptyBody::error,
                         [](Obj& o, Created& m) { o.req("id", m.id); });
}

std::string encode(const TriggerRequest& m) {
  return dump({{"repo", m.repo},
               {"event", m.event},
               {"to", m.to},
               {"from", m.from},
               {"stack", m.stack},
               {"pipeline", m.pipeline}});
}

// `event` is any string here: whether it is push or manual is the server's rule, not the codec's.
Result<TriggerRequest> decode_trigger_request(std::string_view body) {
  return decode<TriggerRequest>("trigger", body, EmptyBody::empty_object,
                                [](Obj& o, TriggerRequest& m) {
                                  o.opt("repo", m.repo);
                                  o.opt("event", m.event);
                                  o.opt("to", m.to);
                                  o.opt("from", m.from);
                                  o.opt("stack", m.stack);
                                  o.opt("pipeline", m.pipeline);
                                });
}

std::string encode(const TriggerAnswer& m) {
  return dump({{"runs", m.runs}});
}

Result<TriggerAnswer> decode_trigger_answer(std::string_view body) {
  return decode<TriggerAnswer>("trigger answer", body, EmptyBody::error,
                               [](Obj& o, TriggerAnswer& m) { o.req("runs", m.runs); });
}

std::string encode(const ApproveRequest& m) {
  return dump({{"stack", m.stack}, {"approver", m.approver}});
}

Result<ApproveRequest> decode_approve_request(std::string_view body) {
  return decode<ApproveRequest>("approve", body, EmptyBody::error, [](Obj& o, ApproveRequest& m) {
    o.req("stack", m.stack);
    o.req("approver", m.approver);
    if (m.stack.empty()) o.invalid("stack", "expected a stack path");
    if (m.approver.empty()) o.invalid("approver", "expected who approves");
  });
}

std::string encode(const ApproveAnswer& m) {
  return dump({{"job_id", m.job_id}, {"plan_attempt", m.plan_attempt}, {"sha256", m.sha256}});
}

Result<ApproveAnswer> decode_approve_answer(std::string_view body) {
  return decode<ApproveAnswer>("approve answer", body, EmptyBody::error,
                               [](Obj& o, ApproveAnswer& m) {
                                 o.req("job_id", m.job_id);
                                 o.req("plan_attempt", m.plan_attempt);
                                 o.req("sha256", m.sha256);
                               });
}

std::string encode(const CancelRequest& m) {
  return dump({{"force", m.force}});
}

Result<CancelRequest> decode_cancel_request(std::string_view body) {
  return decode<CancelRequest>("cancel", body, EmptyBody::empty_object,
                               [](Obj& o, CancelRequest& m) { o.opt("force", m.force); });
}

std::string encode(const CancelAnswer& m) {
  return dump({{"status", text(m.status)}, {"already_finished", m.already_finished}});
}

Result<CancelAnswer> decode_cancel_answer(std::string_view body) {
  return decode<CancelAnswer>("cancel answer", body, EmptyBody::error, [](Obj& o, CancelAnswer& m) {
    o.req("status", m.status);
    o.req("already_finished", m.already_finished);
  });
}

}  // namespace stackrun::wire
