#pragma once
// The destroy guard: what an apply pipeline does when the plan it saved would delete or replace
// resources. Pure: the agent finds the plan's changes (the saved plan's `show -json`, else the
// plan summary in the step's output) and asks check_destroys whether the job stops; the
// lifecycle turns a stop into `needs_approval` or `refused`.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/verdict.hpp"

namespace stackrun::core {

// `guards: {destroy: ...}`. refuse: the job ends refused; approve: it waits for
// `stackrun approve`; allow: the saved plan is applied whatever it deletes.
enum class DestroyGuard { refuse, approve, allow };
std::string_view to_string(DestroyGuard g);
std::optional<DestroyGuard> parse_destroy_guard(std::string_view s);

// Where the changes came from: the saved plan's machine-readable form, or (fallback) the
// "# x will be destroyed" lines and the "Plan:" summary of the step's output.
inline constexpr std::string_view kFromPlanJson = "show -json";
inline constexpr std::string_view kFromSummary = "plan summary";

// Why a job stopped before applying its saved plan.
struct GuardStop {
  DestroyGuard guard = DestroyGuard::approve;  // approve or refuse, never allow
  std::vector<PlanChange> destroys;            // destroy | replace, in plan order
  int unlisted = 0;    // deletions counted by the summary whose address was not shown
  std::string source;  // kFromPlanJson or kFromSummary
  bool operator==(const GuardStop&) const = default;
};

// The changes of `changes` that delete something: destroy and replace.
std::vector<PlanChange> destroying(const std::vector<PlanChange>& changes);

// The stop `guard` calls for when a plan deletes `destroys` (+ `unlisted` more), or nullopt:
// nothing is deleted, or the guard allows it.
std::optional<GuardStop> check_destroys(DestroyGuard guard, std::vector<PlanChange> destroys,
                                        int unlisted, std::string_view source);

// The same from a plan summary (the fallback): its destroy and replace lines, and as unlisted
// the deletions its "Plan:" line counts beyond them.
std::optional<GuardStop> check_summary(DestroyGuard guard, const PlanSummary& plan);

// "the plan destroys 2 resources: destroy kubernetes_secret.legacy, replace helm_release.this
// (from show -json)"; at most kListedDestroys addresses, then "and N more".
inline constexpr std::size_t kListedDestroys = 10;
std::string describe_destroys(const GuardStop& stop);

}  // namespace stackrun::core
