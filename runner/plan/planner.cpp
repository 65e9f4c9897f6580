// The planner: stack discovery, change selection (direct and shared-file), exclusions and tier
// order, all over plain strings. Paths are repo-relative, '/'-separated, without "./".
#include "runner/plan/planner.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "runner/core/glob.hpp"

namespace stackrun::plan {
namespace {

// "./stacks/" -> "stacks"; "." and "./" -> "" (the repo root).
std::string normalise_dir(std::string_view d) {
  while (d.substr(0, 2) == "./") d.remove_prefix(2);
  while (!d.empty() && d.back() == '/') d.remove_suffix(1);
  if (d == ".") return "";
  return std::string(d);
}

// True if `path` is strictly inside directory `dir` ("" = the repo root holds everything).
bool inside(std::string_view path, std::string_view dir) {
  if (dir.empty()) return !path.empty();
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

// `path` is `dir` itself or inside it.
bool at_or_below(std::string_view path, std::string_view dir) {
  return path == dir || inside(path, dir);
}

std::string_view parent_dir(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

// Stack path relative to the discovery root, as tier/exclude/human_only globs see it.
std::string relative_to_root(const std::string& stack, const std::string& root) {
  return root.empty() ? stack : stack.substr(root.size() + 1);
}

// Index (in list order) of the tier a stack belongs to: first tier with a matching glob,
// else the catch-all tier (no `stacks`), else none.
std::optional<size_t> tier_of(const std::string& rel, const std::vector<pipelines::Tier>& tiers) {
  for (size_t i = 0; i < tiers.size(); ++i)
    for (const auto& g : tiers[i].stacks)
      if (core::glob_match(g, rel)) return i;
  for (size_t i = 0; i < tiers.size(); ++i)
    if (tiers[i].stacks.empty()) return i;
  return std::nullopt;
}

// Execution position of each tier (by list index): topological over `needs`, ties broken by
// list order. Unknown needs are ignored; a cycle (the loader rejects them) falls back to
// list order for the tiers left.
std::vector<int> tier_positions(const std::vector<pipelines::Tier>& tiers) {
  const size_t n = tiers.size();
  std::vector<int> pos(n, -1);
  std::vector<std::vector<size_t>> deps(n);
  for (size_t i = 0; i < n; ++i)
    for (const auto& need : tiers[i].needs)
      for (size_t j = 0; j < n; ++j)
        if (j != i && tiers[j].name == need) deps[i].push_back(j);
  int next = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < n; ++i) {
      if (pos[i] >= 0) continue;
      const bool ready =
          std::all_of(deps[i].begin(), deps[i].end(), [&](size_t j) { return pos[j] >= 0; });
      if (ready) {
        pos[i] = next++;
        progress = true;
        break;  // restart from the first tier: the lowest ready index always goes next
      }
    }
  }
  for (size_t i = 0; i < n; ++i)
    if (pos[i] < 0) pos[i] = next++;
  return pos;
}

// What one base commit's changes mean: direct paths and shared (non-stack) files in the root.
struct ChangeView {
  const std::vector<std::string>* paths = nullptr;
  std::vector<std::string> sorted;         // the paths, sorted: prefix lookups
  std::vector<const std::string*> shared;  // in order; each inside the root, in no stack

  // The first changed path (in sorted order) equal to `path`, or under it when `dir`.
  const std::string* find(const std::string& path, bool dir) const {
    if (!dir) {
      auto it = std::lower_bound(sorted.begin(), sorted.end(), path);
      return it != sorted.end() && *it == path ? &*it : nullptr;
    }
    const std::string prefix = path.empty() ? "" : path + "/";
    auto it = std::lower_bound(sorted.begin(), sorted.end(), prefix);
    return it != sorted.end() && it->starts_with(prefix) ? &*it : nullptr;
  }
};

ChangeView view_of(const std::vector<std::string>& paths, const std::set<std::string>& stacks,
                   const std::string& root) {
  ChangeView v{&paths, paths, {}};
  std::sort(v.sorted.begin(), v.sorted.end());
  for (const auto& p : paths) {
    if (!root.empty() && !inside(p, root)) continue;  // outside the root: selects nothing
    bool in_stack = false;
    for (std::string_view dir = parent_dir(p); !dir.empty() && !in_stack; dir = parent_dir(dir))
      in_stack = stacks.count(std::string(dir)) > 0;
    if (!in_stack) v.shared.push_back(&p);
  }
  return v;
}

// Why `stack` runs, or nullopt if nothing selects it. A direct change wins over what it reads,
// and that over an unresolved configuration; without a configuration, over a shared file.
std::optional<std::string> change_reason(const std::string& stack, const ChangeView& v,
                                         const hcl::StackConfig* config) {
  for (const auto& p : *v.paths)
    if (inside(p, stack)) return "changed: " + p;
  if (config) {
    for (const auto& r : config->reads)
      if (const std::string* p = v.find(r.path, r.dir)) return "via " + r.via + " -> " + *p;
    if (!config->unresolved.empty() && !v.paths->empty())
      return "configuration not fully resolved, selected to be safe: " + config->unresolved[0];
    return std::nullopt;
  }
  for (const std::string* p : v.shared)
    if (at_or_below(stack, parent_dir(*p))) return "shared file changed: " + *p;
  return std::nullopt;
}

// Fills each planned stack's `needs` (the planned stacks it depends on) and reports cycles
// among them and dependencies on a later tier.
void order_by_dependencies(
    Plan& plan, const std::function<const std::vector<std::string>*(const std::string&)>& deps_of) {
  std::map<std::string, const PlannedStack*> planned;
  for (const auto& s : plan.stacks) planned[s.path] = &s;
  for (auto& s : plan.stacks) {
    const auto* deps = deps_of(s.path);
    if (!deps) continue;
    for (const auto& d : *deps) {
      auto it = planned.find(d);
      if (it == planned.end() || d == s.path) continue;
      s.needs.push_back(d);
      if (it->second->tier_index > s.tier_index)
        plan.errors.push_back(s.path + " (tier " + s.tier + ") depends on " + d +
                              " of the later tier " + it->second->tier);
    }
  }
  // Cycles: a depth-first walk over `needs`; each stack is finished once.
  std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
  std::vector<std::string> path;
  std::map<std::string, const PlannedStack*> by_path;
  for (const auto& s : plan.stacks) by_path[s.path] = &s;
  std::function<void(const std::string&)> visit = [&](const std::string& at) {
    state[at] = 1;
    path.push_back(at);
    for (const auto& d : by_path[at]->needs) {
      if (state[d] == 1) {
        std::string cycle;
        for (auto it = std::find(path.begin(), path.end(), d); it != path.end(); ++it)
          cycle += *it + " -> ";
        plan.errors.push_back("dependency cycle: " + cycle + d);
      } else if (state[d] == 0) {
        visit(d);
      }
    }
    path.pop_back();
    state[at] = 2;
  };
  for (const auto& s : plan.stacks)
    if (state[s.path] == 0) visit(s.path);
}

}  // namespace

pipelines::Pipeline synthetic_pipeline(const pipelines::Discovery& d) {
  pipelines::Pipeline p;
  p.name = "plan-stacks";
  p.kind = pipelines::Kind::apply;
  p.stacks = d;
  p.tiers.push_back(pipelines::Tier{"all", {}, 1, {}, {}});
  return p;
}

std::vector<std::string> discover_stacks(const std::vector<std::string>& files,
                                         const pipelines::Discovery& d) {
  const std::string root = normalise_dir(d.root);
  const std::string suffix = "/" + d.marker;
  std::set<std::string> stacks;
  for (const auto& f : files) {
    if (f.size() <= suffix.size() ||
        f.compare(f.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string dir = f.substr(0, f.size() - suffix.size());
    if (inside(dir, root))
      stacks.insert(std::move(dir));  // a marker in the root itself is a parent
  }
  return {stacks.begin(), stacks.end()};
}

std::map<std::string, hcl::StackConfig> read_configs(
    const std::vector<std::string>& stacks, const pipelines::Discovery& d,
    const std::vector<std::string>& files,
    const std::function<std::optional<std::string>(const std::string&)>& read) {
  std::map<std::string, hcl::StackConfig> out;
  if (!d.marker.ends_with(".hcl") || stacks.empty()) return out;
  std::vector<std::string> sorted = files;
  std::sort(sorted.begin(), sorted.end());
  const hcl::RepoTree repo{&sorted, read};
  hcl::ParseCache cache;
  for (const auto& s : stacks) out[s] = hcl::analyse_stack(s + "/" + d.marker, repo, cache);
  return out;
}

Plan plan_stacks(const PlanInput& in) {
  static const pipelines::Pipeline fallback = synthetic_pipeline(pipelines::Discovery{});
  const pipelines::Pipeline& p = in.pipeline ? *in.pipeline : fallback;
  const std::string root = normalise_dir(p.stacks.root);
  const std::set<std::string> at_to(in.stacks_at_to.begin(), in.stacks_at_to.end());
  const bool all = in.select_all || p.stacks.select == pipelines::Discovery::Select::all;
  const std::vector<int> positions = tier_positions(p.tiers);

  std::map<std::string, ChangeView> views;  // per base commit, computed once
  auto reason_for = [&](const std::string& stack) -> std::optional<std::string> {
    if (all) return std::string("select: all");
    const auto base = in.base_of.find(stack);
    if (base == in.base_of.end() || base->second.empty())
      return std::string("no previous apply recorded");
    const auto changes = in.changed_since.find(base->second);
    if (changes == in.changed_since.end()) return "no diff available from " + base->second;
    auto v = views.find(base->second);
    if (v == views.end())
      v = views.emplace(base->second, view_of(changes->second, at_to, root)).first;
    const hcl::StackConfig* config = nullptr;
    if (in.configs)
      if (auto c = in.configs->find(stack); c != in.configs->end()) config = &c->second;
    return change_reason(stack, v->second, config);
  };

  auto deps_of = [&](const std::string& stack) -> const std::vector<std::string>* {
    if (!in.configs) return nullptr;
    auto it = in.configs->find(stack);
    return it == in.configs->end() ? nullptr : &it->second.dependencies;
  };
  std::map<std::string, std::string> reasons;
  for (const auto& stack : at_to)
    if (auto reason = reason_for(stack)) reasons.emplace(stack, std::move(*reason));
  if (p.stacks.include_dependents && !all) {
    // Dependents of selected stacks, transitively (bounded: each stack is added once).
    std::vector<std::string> todo;
    for (const auto& [s, r] : reasons) todo.push_back(s);
    while (!todo.empty()) {
      const std::string dep = todo.back();
      todo.pop_back();
      for (const auto& stack : at_to) {
        const auto* deps = deps_of(stack);
        if (reasons.count(stack) || !deps ||
            std::find(deps->begin(), deps->end(), dep) == deps->end())
          continue;
        reasons.emplace(stack, "depends on " + dep);
        todo.push_back(stack);
      }
    }
  }

  Plan plan;
  for (auto& [stack, reason_text] : reasons) {
    std::optional<std::string> reason = std::move(reason_text);
    const std::string rel = inside(stack, root) ? relative_to_root(stack, root) : stack;
    const auto tier = tier_of(rel, p.tiers);
    const std::string tier_name = tier ? p.tiers[*tier].name : "";
    auto excluded_by = [&]() -> std::optional<std::string> {
      for (const auto& g : p.stacks.exclude)
        if (core::glob_match(g, rel)) return "excluded by stacks.exclude (" + g + ")";
      for (const auto& [g, why] : p.stacks.human_only)
        if (core::glob_match(g, rel)) return "human-only: " + why;
      if (!tier) return std::string("in no tier");
      return std::nullopt;
    }();
    if (excluded_by) {
      plan.excluded.push_back({stack, *excluded_by, tier_name});
      continue;
    }
    plan.stacks.push_back({stack, tier_name, positions[*tier], std::move(*reason), {}});
  }
  std::stable_sort(plan.stacks.begin(), plan.stacks.end(),
                   [](const PlannedStack& a, const PlannedStack& b) {
                     return std::tie(a.tier_index, a.path) < std::tie(b.tier_index, b.path);
                   });
  order_by_dependencies(plan, deps_of);
  const std::set<std::string> known(in.previously_known.begin(), in.previously_known.end());
  for (const auto& s : known)
    if (!at_to.count(s)) plan.removed.push_back(s);
  return plan;
}

}  // namespace stackrun::plan
