#include "runner/wire/plan_json.hpp"

#include <nlohmann/json.hpp>

namespace stackrun::wire {
namespace {

using Json = nlohmann::json;

// The action of one resource change, "" to leave it out, nullopt when unknown.
std::optional<std::string> action_of(const Json& actions) {
  std::vector<std::string> a;
  if (!actions.is_array()) return std::nullopt;
  for (const auto& x : actions) {
    if (!x.is_string()) return std::nullopt;
    a.push_back(x.get<std::string>());
  }
  using V = std::vector<std::string>;
  if (a == V{"create"}) return "create";
  if (a == V{"update"}) return "update";
  if (a == V{"delete"}) return "destroy";
  if (a == V{"delete", "create"} || a == V{"create", "delete"}) return "replace";
  if (a == V{"no-op"} || a == V{"read"} || a == V{"forget"}) return "";
  return std::nullopt;
}

}  // namespace

Result<std::vector<core::PlanChange>> parse_plan_json(std::string_view text) {
  const Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error{"not JSON"};
  if (!doc.is_object()) return Error{"not a JSON object"};
  if (!doc.contains("format_version"))
    return Error{"no \"format_version\": not the output of `terraform show -json PLANFILE`"};
  std::vector<core::PlanChange> out;
  const auto it = doc.find("resource_changes");
  if (it == doc.end() || it->is_null()) return out;  // a plan without changes may omit it
  if (!it->is_array()) return Error{"\"resource_changes\" is not an array"};
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Json& rc = (*it)[i];
    const std::string where = "resource_changes[" + std::to_string(i) + "]";
    if (!rc.is_object() || !rc.contains("address") || !rc["address"].is_string())
      return Error{where + ": no \"address\""};
    const Json* actions = nullptr;
    if (auto c = rc.find("change"); c != rc.end() && c->is_object())
      if (auto a = c->find("actions"); a != c->end()) actions = &*a;
    const auto action = actions ? action_of(*actions) : std::nullopt;
    if (!action)
      return Error{where + " (" + rc["address"].get<std::string>() +
                   "): \"change.actions\" missing or not understood" +
                   (actions ? ": " + actions->dump() : "")};
    if (!action->empty()) out.push_back({rc["address"].get<std::string>(), *action});
  }
  return out;
}

}  // namespace stackrun::wire
