#include "runner/core/destroy_guard.hpp"

#include <algorithm>

namespace stackrun::core {

std::string_view to_string(DestroyGuard g) {
  switch (g) {
    case DestroyGuard::refuse:
      return "refuse";
    case DestroyGuard::approve:
      return "approve";
    case DestroyGuard::allow:
      return "allow";
  }
  return "approve";
}

std::optional<DestroyGuard> parse_destroy_guard(std::string_view s) {
  for (DestroyGuard g : {DestroyGuard::refuse, DestroyGuard::approve, DestroyGuard::allow})
    if (to_string(g) == s) return g;
  return std::nullopt;
}

std::vector<PlanChange> destroying(const std::vector<PlanChange>& changes) {
  std::vector<PlanChange> out;
  std::copy_if(changes.begin(), changes.end(), std::back_inserter(out),
               [](const PlanChange& c) { return c.action == "destroy" || c.action == "replace"; });
  return out;
}

std::optional<GuardStop> check_destroys(DestroyGuard guard, std::vector<PlanChange> destroys,
                                        int unlisted, std::string_view source) {
  if (guard == DestroyGuard::allow || (destroys.empty() && unlisted <= 0)) return std::nullopt;
  return GuardStop{guard, std::move(destroys), std::max(0, unlisted), std::string(source)};
}

std::optional<GuardStop> check_summary(DestroyGuard guard, const PlanSummary& plan) {
  auto destroys = destroying(plan.changes);
  // The "Plan:" line counts a replace as one add and one destroy, like a destroy.
  const int unlisted = plan.destroy - static_cast<int>(destroys.size());
  return check_destroys(guard, std::move(destroys), unlisted, kFromSummary);
}

std::string describe_destroys(const GuardStop& stop) {
  const std::size_t total = stop.destroys.size() + static_cast<std::size_t>(stop.unlisted);
  std::string text =
      "the plan destroys " + std::to_string(total) + (total == 1 ? " resource" : " resources");
  const std::size_t shown = std::min(stop.destroys.size(), kListedDestroys);
  for (std::size_t i = 0; i < shown; ++i)
    text += (i == 0 ? ": " : ", ") + stop.destroys[i].action + " " + stop.destroys[i].address;
  const std::size_t rest = total - shown;
  if (rest > 0)
    text += shown == 0 ? " (addresses not shown)" : " and " + std::to_string(rest) + " more";
  return text + " (from " + stop.source + ")";
}

}  // namespace stackrun::core
