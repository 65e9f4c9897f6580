#include "runner/plan/run_builder.hpp"

#include <set>

#include "pipelines/trigger_match.hpp"
#include "runner/plan/planner.hpp"

namespace stackrun::plan {
namespace {

std::string branch_of(const std::string& ref) {
  const std::string prefix = "refs/heads/";
  return ref.rfind(prefix, 0) == 0 ? ref.substr(prefix.size()) : ref;
}

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

const pipelines::Tier* tier_named(const pipelines::Pipeline& p, const std::string& name) {
  for (const auto& t : p.tiers)
    if (t.name == name) return &t;
  return nullptr;
}

// Each stack diffs from its last applied commit; a stack never applied from the baseline of the
// first run that selected it (so a failed first apply is picked up by the next push), and a
// stack no run has selected yet from `before`.
PlanInput plan_input(const RunInputs& in, const pipelines::Pipeline& p) {
  PlanInput pi;
  pi.pipeline = &p;
  pi.stacks_at_to = discover_stacks(in.files, p.stacks);
  pi.configs = &in.configs;
  std::set<std::string> known;
  for (const auto& [stack, commit] : in.applied) known.insert(stack);
  if (!in.before.empty())
    for (const auto& s : discover_stacks(in.files_before, p.stacks)) known.insert(s);
  pi.previously_known.assign(known.begin(), known.end());
  for (const auto& s : pi.stacks_at_to) {
    std::string base = in.before;
    if (auto it = in.applied.find(s); it != in.applied.end())
      base = it->second;
    else if (auto first = in.first_bases.find(s); first != in.first_bases.end())
      base = first->second;
    if (base.empty()) continue;
    auto diff = in.changed_since.find(base);
    if (diff == in.changed_since.end()) continue;  // base gone (force push): never applied
    pi.base_of[s] = base;
    pi.changed_since[base] = diff->second;
  }
  return pi;
}

JobSpec job_of(const pipelines::Pipeline& p, const PlannedStack& s) {
  JobSpec j;
  j.stack = s.path;
  j.label = label_of(p.stacks, s.path);
  j.tier = s.tier;
  j.tier_index = s.tier_index;
  if (const auto* t = tier_named(p, s.tier)) {
    j.tier_needs = t->needs;
    j.parallelism = t->parallelism;
  }
  j.kind = p.kind == pipelines::Kind::apply ? core::JobKind::apply : core::JobKind::plan;
  j.reason = s.reason;
  j.labels = p.labels;
  // Applies wait for the stacks they depend on; plans do not: a plan reads its dependencies'
  // outputs from their state, whatever their own plan says, and a drift run must plan every
  // stack even when one of them cannot be planned.
  if (p.kind == pipelines::Kind::apply) j.needs = s.needs;
  return j;
}

JobSpec excluded_job(const pipelines::Pipeline& p, const ExcludedStack& e) {
  JobSpec j;
  j.stack = e.path;
  j.label = label_of(p.stacks, e.path);
  j.tier = e.tier;
  j.kind = p.kind == pipelines::Kind::apply ? core::JobKind::apply : core::JobKind::plan;
  j.status = core::JobStatus::skipped;
  j.reason = "excluded";
  j.result_reason = e.reason;
  return j;
}

// A manual re-apply runs the stack whether or not it changed.
Result<std::vector<JobSpec>> reapply_jobs(const RunInputs& in, const PipelineFile& lp,
                                          const PlanInput& pi, const Plan& planned,
                                          const std::string& stack) {
  const auto& p = lp.pipeline;
  auto requested = [&](const std::string& path) {
    return path == stack || label_of(p.stacks, path) == stack;
  };
  std::vector<JobSpec> jobs;
  for (const auto& s : planned.stacks)
    if (requested(s.path)) jobs.push_back(job_of(p, s));
  if (jobs.empty()) {
    bool exists = false;
    for (const auto& s : pi.stacks_at_to) exists |= requested(s);
    if (!exists)
      return Error{"no stack \"" + stack + "\" at " + in.commit.substr(0, 12) + " in pipeline " +
                   lp.file};
    PlanInput all = pi;
    all.select_all = true;
    const Plan every = plan_stacks(all);
    for (const auto& s : every.stacks)
      if (requested(s.path)) jobs.push_back(job_of(p, s));
    if (jobs.empty()) {
      for (const auto& e : every.excluded)
        if (requested(e.path))
          return Error{"stack \"" + stack + "\" is not applied by stackrun: " + e.reason};
      return Error{"stack \"" + stack + "\" is in no tier of " + lp.file};
    }
  }
  for (auto& j : jobs) j.reason = "manual re-apply";
  return jobs;
}

}  // namespace

std::string label_of(const pipelines::Discovery& d, const std::string& stack) {
  if (d.root.empty() || d.root == ".") return stack;
  const std::string prefix = d.root + "/";
  return stack.rfind(prefix, 0) == 0 ? stack.substr(prefix.size()) : stack;
}

Result<std::vector<RunSpec>> build_runs(const RunInputs& in, const RunRequest& req) {
  pipelines::EventFacts facts;
  facts.event = req.event;
  facts.branch = branch_of(in.ref);
  facts.changed = in.changed;
  facts.cron = req.cron;
  std::vector<RunSpec> runs;
  bool named_found = req.pipeline.empty();
  for (const auto& lp : in.pipelines) {
    const auto& p = lp.pipeline;
    if (!req.pipeline.empty() && p.name != req.pipeline) continue;
    named_found = true;
    const bool reapply = !req.stack.empty();
    if (reapply ? p.kind != pipelines::Kind::apply : !pipelines::pipeline_matches(p, facts))
      continue;
    const PlanInput pi = plan_input(in, p);
    const Plan planned = plan_stacks(pi);
    if (!planned.errors.empty() && p.kind == pipelines::Kind::apply)
      return Error{"pipeline " + p.name + " at " + in.commit.substr(0, 12) +
                   " cannot order its stacks: " + join(planned.errors, "; ")};
    RunSpec run;
    run.pipeline = p.name;
    run.pipeline_file = lp.file;
    run.pipeline_yaml = lp.yaml;
    run.kind = p.kind == pipelines::Kind::apply ? core::JobKind::apply : core::JobKind::plan;
    run.policy = p.on_failure;
    if (reapply) {
      auto jobs = reapply_jobs(in, lp, pi, planned, req.stack);
      if (!jobs) return Error{jobs.error()};
      run.jobs = std::move(*jobs);
    } else {
      for (const auto& s : planned.stacks) run.jobs.push_back(job_of(p, s));
      for (const auto& e : planned.excluded) run.jobs.push_back(excluded_job(p, e));
    }
    const std::size_t selected = reapply ? run.jobs.size() : planned.stacks.size();
    run.lines.push_back(p.name + " (" + std::string(core::to_string(run.kind)) + ") at " +
                        in.commit.substr(0, 12) + " on " + in.ref + ", " +
                        std::to_string(selected) + " stack(s) selected");
    if (!planned.removed.empty() && !reapply)
      run.lines.push_back("removed stacks (reported, never applied): " + join(planned.removed));
    runs.push_back(std::move(run));
    if (reapply) break;
  }
  if (!named_found)
    return Error{"no pipeline named \"" + req.pipeline + "\" in .stackrun/ at " +
                 in.commit.substr(0, 12)};
  // A pipeline asked for by name that its `when` keeps out says so, not "nothing matched".
  if (runs.empty() && !req.pipeline.empty() && req.stack.empty())
    return Error{"pipeline \"" + req.pipeline + "\" does not run on " +
                 std::string(pipelines::to_string(req.event)) + " events at " +
                 in.commit.substr(0, 12) + " (its `when` admits none" +
                 (req.event == pipelines::Event::manual ? "; add `- event: manual`" : "") +
                 ", or its conditions exclude this one)"};
  return runs;
}

}  // namespace stackrun::plan
