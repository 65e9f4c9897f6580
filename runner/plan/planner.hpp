#pragma once
// The planner (pure): which stacks a run applies, in which tier order, and why.
// Inputs are plain data the caller got from git and the store; no I/O here.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipelines/model.hpp"
#include "runner/hcl/reads.hpp"

namespace stackrun::plan {

struct PlannedStack {
  std::string path;  // repo-relative stack directory, e.g. "stacks/dbaas"
  std::string tier;
  int tier_index = 0;  // position of the tier in execution order
  std::string reason;  // e.g. "changed: stacks/dbaas/terragrunt.hcl"
  // Selected stacks this one depends on (its configuration's dependency/dependencies): it
  // starts after they ended well.
  std::vector<std::string> needs;
};

struct ExcludedStack {
  std::string path;
  std::string reason;  // e.g. "human-only: Tier-0, human-applied via OIDC"
  std::string tier;    // tier it would have run in ("" if none)
};

struct Plan {
  std::vector<PlannedStack> stacks;     // execution order: tier order, then path
  std::vector<std::string> removed;     // stacks that no longer exist at `to`; never applied
  std::vector<ExcludedStack> excluded;  // human-only, excluded, or in no tier
  // Why these stacks cannot run in this order: "dependency cycle: stacks/a -> stacks/b ->
  // stacks/a", "stacks/app (tier platform) depends on stacks/db of the later tier data".
  std::vector<std::string> errors;
};

// Stack directories (repo-relative, sorted, unique) among `files`: a directory holding
// `d.marker` strictly under `d.root` ("." = repo root; "./x/" is read as "x"). A marker
// directly in the root is a parent config that children include, not a stack.
std::vector<std::string> discover_stacks(const std::vector<std::string>& files,
                                         const pipelines::Discovery& d);

// The pipeline used when a repo has none: discovery `d` (select as given), one catch-all
// tier "all". plan_stacks uses synthetic_pipeline(Discovery{}) when given no pipeline.
pipelines::Pipeline synthetic_pipeline(const pipelines::Discovery& d);

// What each stack reads (hcl/reads.hpp) at a commit whose files are `files` (any order) and
// whose texts `read` gives, for stacks whose marker is a Terragrunt file (`*.hcl`); empty for
// any other marker (the shared-file rule applies then).
std::map<std::string, hcl::StackConfig> read_configs(
    const std::vector<std::string>& stacks, const pipelines::Discovery& d,
    const std::vector<std::string>& files,
    const std::function<std::optional<std::string>(const std::string&)>& read);

struct PlanInput {
  const pipelines::Pipeline* pipeline = nullptr;
  std::vector<std::string> stacks_at_to;       // discover_stacks at the new commit
  std::vector<std::string> previously_known;   // stacks at the base(s) or with state
  std::map<std::string, std::string> base_of;  // stack -> commit to diff from
  std::map<std::string, std::vector<std::string>> changed_since;  // base commit -> changed paths
  bool select_all = false;                                        // force select: all
  // What each stack reads (read_configs); null or a stack without an entry: the shared-file
  // rule instead.
  const std::map<std::string, hcl::StackConfig>* configs = nullptr;
};

// Applies select (changed|all), what each stack reads, exclusions, human-only and tiers.
// Only stacks in `stacks_at_to` are considered. With select changed, a stack runs if a path in
// changed_since[base_of[stack]] is inside its directory ("changed: <first such path>"); else,
// with its configuration read (`configs`), if a changed path is a file it reads or lies in a
// module directory it deploys ("via include -> _envcommon/mysql.hcl", "via terraform.source ->
// modules/k8s-app/main.tf"), or if anything changed and its configuration could not be fully
// resolved ("configuration not fully resolved, selected to be safe: <file:line:col: why>"); a
// file no stack reads selects nothing. Without a configuration: if a path inside the discovery
// root but in no stack directory sits in the stack's directory or an ancestor of it ("shared
// file changed: <path>"). Pass both paths of a rename.
// A stack with no (or an empty) base commit gets "no previous apply recorded"; a base with no
// changed_since entry gets "no diff available from <base>" (selected: the safe side).
// With stacks.include_dependents, the stacks depending on a selected one are selected too
// ("depends on <stack>"). Selected stacks matching stacks.exclude, human_only (in that order)
// or no tier go to `excluded` (sorted by path); unselected ones are not reported at all. Globs
// see the stack path relative to the discovery root. Each planned stack `needs` the planned
// stacks it depends on; a cycle among them, or a dependency in a later tier, is in `errors`.
Plan plan_stacks(const PlanInput& in);

}  // namespace stackrun::plan
