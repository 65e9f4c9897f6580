// `stackrun plan-stacks --repo DIR [--from SHA] --to SHA [--json] [--pipeline NAME]
// [--root DIR --marker FILE]`: what a push from --from to --to would apply, in order, and why.
// A dry run over the repo's own history: no server, no state store (every stack's base is
// --from).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "pipelines/loader.hpp"
#include "runner/cli/commands.hpp"
#include "runner/cli/stack_order.hpp"
#include "runner/git/repo.hpp"
#include "runner/plan/planner.hpp"
#include "runner/wire/cli_formats.hpp"

namespace stackrun::cli {
namespace {

struct PlanStacksArgs {
  std::string repo, from, to, pipeline, root, marker;
  bool json = false;
};

// An apply pipeline that a push admits (when: empty, or some condition allows event push).
// Branch and path filters are not evaluated: plan-stacks has no branch, and the push's own
// paths are not what selects stacks.
bool is_push_apply(const pipelines::Pipeline& p) {
  if (p.kind != pipelines::Kind::apply) return false;
  if (p.when.empty()) return true;
  return std::any_of(p.when.begin(), p.when.end(), [](const pipelines::Condition& c) {
    return c.events.empty() ||
           std::find(c.events.begin(), c.events.end(), pipelines::Event::push) != c.events.end();
  });
}

struct Chosen {
  std::optional<pipelines::Pipeline> pipeline;  // unset: none found, use the synthetic one
  int exit_code = 0;                            // non-zero: stop with it (message printed)
};

// Loads every .stackrun/*.yml|yaml at `to` (sorted) and picks the first push-apply pipeline,
// or the one named `name`. Any invalid file fails the command: its kind cannot be known.
Chosen choose_pipeline(const git::Repo& repo, const std::string& to,
                       const std::vector<std::string>& files, const std::string& name) {
  const std::string at = "@" + to.substr(0, 7);
  std::vector<pipelines::Pipeline> loaded;
  bool invalid = false;
  for (const auto& f : files) {
    if (!is_pipeline_file(f)) continue;
    auto text = repo.read_file(to, f);
    if (!text) {
      std::cerr << "stackrun plan-stacks: " << text.error() << "\n";
      return {std::nullopt, 2};
    }
    auto r = pipelines::load_pipeline(*text, f + at);
    for (const auto& d : r.diagnostics) std::cerr << d.str() << "\n";
    if (r.pipeline)
      loaded.push_back(std::move(*r.pipeline));
    else
      invalid = true;
  }
  if (invalid) return {std::nullopt, 1};
  std::vector<std::string> names;
  for (auto& p : loaded) {
    if (name.empty() ? is_push_apply(p) : p.name == name) return {std::move(p), 0};
    names.push_back(p.name);
  }
  if (!name.empty()) {
    std::string found;
    for (const auto& n : names) found += (found.empty() ? "" : ", ") + n;
    std::cerr << "stackrun plan-stacks: no pipeline named \"" << name << "\" in " << kPipelineDir
              << " at " << to.substr(0, 7) << " (found: " << (found.empty() ? "none" : found)
              << ")\n";
    return {std::nullopt, 2};
  }
  return {};
}

void print_text(const plan::Plan& plan) {
  for (const auto& s : plan.stacks)
    std::cout << s.tier << "\t" << s.path << "\t" << s.reason << "\n";
  for (const auto& s : plan.excluded)
    std::cout << "excluded\t" << s.path << "\t" << s.reason << "\n";
  for (const auto& s : plan.removed) std::cout << "removed\t" << s << "\n";
}

void print_json(const plan::Plan& plan) {
  wire::StackPlan out;
  for (const auto& s : plan.stacks) out.stacks.push_back({s.path, s.tier, s.reason});
  out.removed = plan.removed;
  for (const auto& s : plan.excluded) out.excluded.push_back({s.path, s.reason});
  std::cout << wire::encode(out) << "\n";
}

int run_plan_stacks(const PlanStacksArgs& a) {
  auto fail = [](const std::string& msg) {
    std::cerr << "stackrun plan-stacks: " << msg << "\n";
    return 2;
  };
  auto repo = git::open_repo(a.repo);
  if (!repo) return fail(repo.error());
  const git::Repo& r = **repo;
  auto to = r.resolve(a.to);
  if (!to) return fail(to.error());
  std::optional<std::string> from;
  if (!a.from.empty()) {
    auto f = r.resolve(a.from);
    if (!f) return fail(f.error());
    from = *f;
  }
  auto files_to = r.list_files(*to);
  if (!files_to) return fail(files_to.error());

  pipelines::Pipeline pipeline;
  if (!a.root.empty() || !a.marker.empty()) {
    pipelines::Discovery d;
    if (!a.root.empty()) d.root = a.root;
    if (!a.marker.empty()) d.marker = a.marker;
    pipeline = plan::synthetic_pipeline(d);
  } else {
    Chosen chosen = choose_pipeline(r, *to, *files_to, a.pipeline);
    if (chosen.exit_code != 0) return chosen.exit_code;
    if (chosen.pipeline) {
      pipeline = std::move(*chosen.pipeline);
    } else {
      pipeline = plan::synthetic_pipeline(pipelines::Discovery{});
      std::cerr << "stackrun plan-stacks: no push apply pipeline in " << kPipelineDir << " at "
                << to->substr(0, 7) << "; using --root . --marker " << pipeline.stacks.marker
                << "\n";
    }
  }

  plan::PlanInput in;
  in.pipeline = &pipeline;
  in.stacks_at_to = plan::discover_stacks(*files_to, pipeline.stacks);
  if (from) {
    auto diff = r.diff(*from, *to);
    if (!diff) return fail(diff.error());
    in.previously_known =
        plan::discover_stacks(git::files_before(*files_to, *diff), pipeline.stacks);
    in.changed_since[*from] = git::touched_paths(*diff);
    for (const auto& s : in.stacks_at_to) in.base_of[s] = *from;
  }
  const auto configs = plan::read_configs(in.stacks_at_to, pipeline.stacks, *files_to,
                                          [&](const std::string& f) -> std::optional<std::string> {
                                            auto text = r.read_file(*to, f);
                                            if (!text) return std::nullopt;
                                            return std::move(*text);
                                          });
  in.configs = &configs;
  const plan::Plan plan = plan::plan_stacks(in);
  if (!plan.errors.empty()) {
    for (const auto& e : plan.errors) std::cerr << "stackrun plan-stacks: " << e << "\n";
    return 1;
  }
  if (a.json)
    print_json(plan);
  else
    print_text(plan);
  return 0;
}

}  // namespace

void add_plan_stacks(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("plan-stacks", "Show which stacks a push would apply, in order, and why");
  cmd->footer(
      "Reads the push apply pipeline from .stackrun/ at --to (or uses --root/--marker).\n"
      "Prints `<tier>\\t<path>\\t<reason>` per stack in execution order, then\n"
      "`excluded\\t<path>\\t<reason>` and `removed\\t<path>` lines.\n"
      "Exit status: 0 ok; 1 invalid pipeline file, or stacks that cannot be ordered (a dependency\n"
      "cycle, a dependency in a later tier); 2 usage error, bad --repo or unknown revision.");
  auto a = std::make_shared<PlanStacksArgs>();
  cmd->add_option("--repo", a->repo, "Git repository (work tree or bare)")->required();
  cmd->add_option("--from", a->from,
                  "Base revision every stack was last applied at (default: none)");
  cmd->add_option("--to", a->to, "Revision being pushed")->required();
  cmd->add_flag("--json", a->json, "Print one JSON object");
  auto* pl =
      cmd->add_option("--pipeline", a->pipeline, "Use the .stackrun/ pipeline whose name: is NAME");
  auto* root =
      cmd->add_option("--root", a->root, "Ignore pipeline files; discover stacks under DIR");
  auto* marker = cmd->add_option(
      "--marker", a->marker, "Ignore pipeline files; a stack holds FILE (default terragrunt.hcl)");
  pl->excludes(root)->excludes(marker);
  cmd->callback([a, &exit_code] { exit_code = run_plan_stacks(*a); });
}

}  // namespace stackrun::cli
