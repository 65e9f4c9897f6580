// The webhook delivery list (GET /api/v1/deliveries): see protocol.cpp for the rules.
#include "runner/wire/json_fields.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::wire {
namespace {

using detail::Json;
using detail::Obj;

Json delivery_json(const DeliverySummary& d) {
  return {{"id", d.id},
          {"source", d.source},
          {"repo", d.repo},
          {"delivery", d.delivery},
          {"received_at", d.received_at},
          {"event", d.event},
          {"ref", d.ref},
          {"after", d.after},
          {"sender_id", d.sender_id},
          {"sender_login", d.sender_login},
          {"outcome", d.outcome},
          {"reason", d.reason},
          {"run", detail::nullable(d.run)},
          {"error", d.error}};
}

void delivery_fields(Obj& o, DeliverySummary& d) {
  o.req("id", d.id);
  o.req("source", d.source);
  o.req("repo", d.repo);
  o.req("delivery", d.delivery);
  o.req("received_at", d.received_at);
  o.req("event", d.event);
  o.req("ref", d.ref);
  o.req("after", d.after);
  o.req("sender_id", d.sender_id);
  o.req("sender_login", d.sender_login);
  o.req("outcome", d.outcome);
  o.req("reason", d.reason);
  o.opt("run", d.run);
  o.req("error", d.error);
}

}  // namespace

std::string encode(const DeliveryList& m) {
  Json list = Json::array();
  for (const DeliverySummary& d : m.deliveries) list.push_back(delivery_json(d));
  return detail::dump({{"deliveries", std::move(list)}});
}

Result<DeliveryList> decode_delivery_list(std::string_view body) {
  return detail::decode<DeliveryList>(
      "delivery list", body, detail::EmptyBody::error,
      [](Obj& o, DeliveryList& m) { o.req_objects("deliveries", m.deliveries, delivery_fields); });
}

}  // namespace stackrun::wire
