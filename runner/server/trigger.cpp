#include "runner/server/trigger.hpp"

#include <algorithm>
#include <set>

#include "pipelines/loader.hpp"
#include "pipelines/trigger_match.hpp"
#include "runner/git/repo.hpp"
#include "runner/plan/planner.hpp"

namespace stackrun::server {
namespace {

struct LoadedPipeline {
  std::string file, yaml;
  pipelines::Pipeline pipeline;
};

Result<std::vector<LoadedPipeline>> load_pipelines(const git::Repo& repo, const std::string& commit) {
  auto files = repo.list_files(commit);
  if (!files) return Error{files.error()};
  std::vector<LoadedPipeline> out;
  std::string problems;
  for (const auto& f : *files) {
    if (f.rfind(".stackrun/", 0) != 0 || f.find('/', 10) != std::string::npos) continue;
    if (!(f.ends_with(".yml") || f.ends_with(".yaml"))) continue;
    auto text = repo.read_file(commit, f);
    if (!text) return Error{text.error()};
    auto loaded = pipelines::load_pipeline(*text, f);
    for (const auto& d : loaded.diagnostics) problems += d.str() + "\n";
    if (loaded.pipeline) out.push_back({f, *text, std::move(*loaded.pipeline)});
  }
  if (!problems.empty())
    return Error{"invalid pipeline at " + commit.substr(0, 12) + ":\n" + problems.substr(0, problems.size() - 1)};
  return out;
}

std::string branch_of(const std::string& ref) {
  const std::string prefix = "refs/heads/";
  return ref.rfind(prefix, 0) == 0 ? ref.substr(prefix.size()) : ref;
}

std::vector<std::string> tier_needs(const pipelines::Pipeline& p, const std::string& tier) {
  for (const auto& t : p.tiers)
    if (t.name == tier) return t.needs;
  return {};
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// Every path a diff touches; a rename counts both its old and its new path.
std::vector<std::string> touched_paths(const std::vector<git::ChangedPath>& diff) {
  std::vector<std::string> out;
  for (const auto& c : diff) {
    out.push_back(c.path);
    if (c.old_path != c.path) out.push_back(c.old_path);
  }
  return out;
}

std::string label_of(const pipelines::Discovery& d, const std::string& stack) {
  if (d.root.empty() || d.root == ".") return stack;
  const std::string prefix = d.root + "/";
  return stack.rfind(prefix, 0) == 0 ? stack.substr(prefix.size()) : stack;
}

}  // namespace

Result<std::vector<Id>> create_runs(store::Store& store, Coordinator& coordinator, const TriggerRequest& req,
                                    Millis now) {
  std::optional<store::RepoRow> repo_row;
  if (req.repo.empty()) {
    const auto all = store.repos();
    if (all.size() != 1)
      return Error{all.empty() ? "no repo registered (start with `stackrun up --repo DIR`)"
                               : "several repos registered: name one with --repo"};
    repo_row = all.front();
  } else {
    repo_row = store.repo_by_name(req.repo);
  }
  if (!repo_row) return Error{"unknown repo \"" + req.repo + "\" (register it first, e.g. with `stackrun up --repo DIR`)"};
  auto repo = git::open_repo(repo_row->url);
  if (!repo) return Error{repo.error()};
  const std::string to_rev = req.to.empty() ? repo_row->default_branch : req.to;
  auto to = (*repo)->resolve(to_rev);
  if (!to) return Error{to.error()};
  std::string ref = "refs/heads/" + repo_row->default_branch;
  if (!req.to.empty() && (*repo)->resolve("refs/heads/" + req.to)) ref = "refs/heads/" + req.to;
  std::string before;
  if (!req.from.empty()) {
    auto from = (*repo)->resolve(req.from);
    if (!from) return Error{from.error()};
    before = *from;
  } else if (auto parent = (*repo)->resolve(*to + "^")) {
    before = *parent;
  }
  auto info = (*repo)->commit_info(*to);
  if (!info) return Error{info.error()};
  auto pipelines_at = load_pipelines(**repo, *to);
  if (!pipelines_at) return Error{pipelines_at.error()};

  pipelines::EventFacts facts;
  facts.event = req.event == "manual" ? pipelines::Event::manual : pipelines::Event::push;
  facts.branch = branch_of(ref);
  if (!before.empty()) {
    auto diff = (*repo)->diff(before, *to);
    if (!diff) return Error{diff.error()};
    facts.changed = touched_paths(*diff);
  }

  auto files_to = (*repo)->list_files(*to);
  if (!files_to) return Error{files_to.error()};
  std::vector<Id> run_ids;
  bool named_found = req.pipeline.empty();
  for (const auto& lp : *pipelines_at) {
    const auto& p = lp.pipeline;
    if (!req.pipeline.empty() && p.name != req.pipeline) continue;
    named_found = true;
    if (!req.stack.empty()) {
      if (p.kind != pipelines::Kind::apply) continue;
    } else if (!pipelines::pipeline_matches(p, facts)) {
      continue;
    }
    // Plan: each stack diffs from its last applied commit. A stack never applied successfully
    // diffs from the commit before the first run that selected it (so a failed first apply is
    // picked up again by the next push), and a stack no run has selected yet from `before`.
    plan::PlanInput in;
    in.pipeline = &p;
    in.stacks_at_to = plan::discover_stacks(*files_to, p.stacks);
    const auto applied = store.applied_commits(repo_row->id);
    const auto baselines = store.first_selected_bases(repo_row->id);
    std::set<std::string> known;
    for (const auto& [stack, commit] : applied) known.insert(stack);
    if (!before.empty()) {
      if (auto files_before = (*repo)->list_files(before))
        for (const auto& s : plan::discover_stacks(*files_before, p.stacks)) known.insert(s);
    }
    in.previously_known.assign(known.begin(), known.end());
    for (const auto& s : in.stacks_at_to) {
      std::string base = before;
      if (auto it = applied.find(s); it != applied.end()) base = it->second;
      else if (auto first = baselines.find(s); first != baselines.end()) base = first->second;
      if (base.empty()) continue;
      in.base_of[s] = base;
      if (!in.changed_since.count(base)) {
        auto d = (*repo)->diff(base, *to);
        if (!d) {
          in.base_of.erase(s);  // base no longer in history (force push): treat as never applied
          continue;
        }
        in.changed_since[base] = touched_paths(*d);
      }
    }
    plan::Plan planned = plan::plan_stacks(in);

    store::NewRun run;
    run.repo_id = repo_row->id;
    run.pipeline = p.name;
    run.pipeline_file = lp.file;
    run.pipeline_yaml = lp.yaml;
    run.kind = p.kind == pipelines::Kind::apply ? "apply" : "plan";
    run.event = req.event;
    run.ref = ref;
    run.before_commit = before;
    run.commit_sha = *to;
    run.message = info->message;
    const std::string labels = join(p.labels);
    auto tier_parallelism = [&](const std::string& tier) {
      for (const auto& t : p.tiers)
        if (t.name == tier) return t.parallelism;
      return 1;
    };
    auto requested = [&](const std::string& path) {
      return path == req.stack || label_of(p.stacks, path) == req.stack;
    };
    auto add_job = [&](const plan::PlannedStack& s) {
      store::NewJob j;
      j.stack = s.path;
      j.label = label_of(p.stacks, s.path);
      j.tier = s.tier;
      j.tier_index = s.tier_index;
      j.tier_needs = join(tier_needs(p, s.tier));
      j.parallelism = tier_parallelism(s.tier);
      j.kind = run.kind;
      j.status = "pending";
      j.reason = s.reason;
      j.labels = labels;
      run.jobs.push_back(std::move(j));
    };
    for (const auto& s : planned.stacks)
      if (req.stack.empty() || requested(s.path)) add_job(s);
    if (!req.stack.empty()) {
      // A manual re-apply runs the stack whether or not it changed.
      if (run.jobs.empty()) {
        bool exists = false;
        for (const auto& s : in.stacks_at_to) exists |= requested(s);
        if (!exists) return Error{"no stack \"" + req.stack + "\" at " + to->substr(0, 12) + " in pipeline " + lp.file};
        plan::PlanInput all = in;
        all.select_all = true;
        for (const auto& s : plan::plan_stacks(all).stacks)
          if (requested(s.path)) add_job(s);
        if (run.jobs.empty()) {
          for (const auto& e : planned.excluded)
            if (requested(e.path))
              return Error{"stack \"" + req.stack + "\" is not applied by stackrun: " + e.reason};
          return Error{"stack \"" + req.stack + "\" is in no tier of " + lp.file};
        }
      }
      for (auto& j : run.jobs) j.reason = "manual re-apply";
    } else {
      for (const auto& e : planned.excluded) {
        store::NewJob j;
        j.stack = e.path;
        j.label = label_of(p.stacks, e.path);
        j.tier = e.tier;
        j.kind = run.kind;
        j.status = "skipped";
        j.result_reason = e.reason;
        j.reason = "excluded";
        run.jobs.push_back(std::move(j));
      }
    }
    auto tx = store.begin();
    const Id run_id = store.insert_run(run, now);
    store.insert_sys_line(run_id, std::nullopt,
                          "run " + std::to_string(run_id) + ": " + p.name + " (" + run.kind + ") at " +
                              to->substr(0, 12) + " on " + ref + ", " + std::to_string(planned.stacks.size()) +
                              " stack(s) selected",
                          now);
    if (!planned.removed.empty() && req.stack.empty())
      store.insert_sys_line(run_id, std::nullopt, "removed stacks (reported, never applied): " + join(planned.removed), now);
    coordinator.settle_run(run_id, now);
    tx.commit();
    run_ids.push_back(run_id);
    if (!req.stack.empty()) break;
  }
  if (!named_found) return Error{"no pipeline named \"" + req.pipeline + "\" in .stackrun/ at " + to->substr(0, 12)};
  return run_ids;
}

}  // namespace stackrun::server
