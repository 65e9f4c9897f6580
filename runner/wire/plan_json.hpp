#pragma once
// Terraform's machine-readable plan (`terraform show -json PLANFILE`, format_version 1.x): the
// resource changes the destroy guard judges. Only "resource_changes[].address" and
// ".change.actions" are read; everything else in the document is ignored.
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::wire {

// The plan's changes in document order as core::PlanChange actions: ["create"] create,
// ["update"] update, ["delete"] destroy, ["delete","create"] or ["create","delete"] replace;
// no-op, read and forget (removed from state, not destroyed) are left out. An Error names what
// is wrong: not JSON, not an object, no "format_version" (not a plan), a change without an
// address or with actions it does not know (never guessed: the guard must not pass a destroy
// it cannot read).
Result<std::vector<core::PlanChange>> parse_plan_json(std::string_view text);

}  // namespace stackrun::wire
