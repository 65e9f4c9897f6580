#pragma once
// What a Terraform plan would do, read from its output: the summary line ("Plan: 1 to add, 2 to
// change, 0 to destroy.", with "N to import, " since Terraform 1.5) or "No changes.", and the
// resource addresses of its "# <address> will be created | updated in-place | destroyed",
// "must be replaced" lines, in order. Refresh notes ("# x has changed" under "Objects have
// changed outside of Terraform") and data sources read during apply are not changes of the plan
// and are left out. Drift runs keep this with the attempt (`show`, the drift report).
#include <optional>

#include "runner/core/normalise.hpp"

namespace stackrun::core {

// PlanSummary and PlanChange (in verdict.hpp, since a verdict carries them) hold the result;
// kMaxPlanChanges and kMaxPlanAddress bound it.

// The last plan in `n` (a step may plan twice; the last one is what it ends with), or nullopt
// when the output holds no "Plan:" summary and no "No changes." line.
std::optional<PlanSummary> parse_plan_summary(const NormalisedOutput& n);

}  // namespace stackrun::core
