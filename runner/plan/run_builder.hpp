#pragma once
// The run builder (pure): from the inputs a trigger gathered (pipelines and file lists at the
// commit, diffs, each stack's applied commit) to the runs to create, one per admitted pipeline,
// each with its jobs in tier order and its first log lines. The caller reads git and the store
// (runner/server/run_inputs.cpp) and stores the result; nothing here does I/O.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipelines/model.hpp"
#include "runner/core/result.hpp"
#include "runner/core/status.hpp"
#include "runner/hcl/reads.hpp"

namespace stackrun::plan {

struct PipelineFile {
  std::string file;  // e.g. .stackrun/apply.yml
  std::string yaml;  // its text: the run's snapshot
  pipelines::Pipeline pipeline;
};

struct RunInputs {
  std::string commit;                     // the run's commit (40 hex)
  std::string ref;                        // e.g. refs/heads/master
  std::string before;                     // the commit before the push; "" when there is none
  std::string message;                    // the commit message
  std::vector<PipelineFile> pipelines;    // every valid .stackrun/*.yml at `commit`
  std::vector<std::string> files;         // every file at `commit`
  std::vector<std::string> files_before;  // every file at `before` (empty without one)
  std::optional<std::vector<std::string>> changed;  // before..commit (both paths of a rename)
  std::map<std::string, std::string> applied;       // stack -> last successfully applied commit
  // stack -> the before-commit of the first run that selected it, for stacks never applied
  std::map<std::string, std::string> first_bases;
  // base commit -> paths changed from it to `commit`. A base with no entry is no longer in the
  // history (force push): its stacks count as never applied.
  std::map<std::string, std::vector<std::string>> changed_since;
  // What each stack reads at `commit` (planner.hpp read_configs), for every pipeline's stacks.
  std::map<std::string, hcl::StackConfig> configs;
};

struct RunRequest {
  pipelines::Event event = pipelines::Event::push;
  std::string stack;     // manual re-apply of this stack (repo-relative path or label)
  std::string pipeline;  // only this pipeline (by name); "" = every admitted one
  std::string cron;      // event cron: the schedule that fired
};

struct JobSpec {
  std::string stack, label, tier;
  std::vector<std::string> tier_needs;
  int tier_index = 0, parallelism = 1;
  core::JobKind kind = core::JobKind::apply;
  core::JobStatus status = core::JobStatus::pending;  // pending, or skipped (excluded)
  std::string reason;         // why it was selected ("excluded" for the skipped ones)
  std::string result_reason;  // why it was skipped
  std::vector<std::string> labels;
  std::vector<std::string> needs;  // stacks of the run it starts after (PlannedStack::needs)
};

struct RunSpec {
  std::string pipeline, pipeline_file, pipeline_yaml;
  core::JobKind kind = core::JobKind::apply;
  core::FailurePolicy policy;
  std::vector<JobSpec> jobs;
  std::vector<std::string> lines;  // the run's first log lines
};

// One RunSpec per pipeline the event admits (push: its `when`; manual re-apply: every apply
// pipeline with that stack, the first one only). Each stack diffs from its applied commit,
// else from the first selecting run's baseline, else from `before`. Errors name the pipeline,
// stack or commit: an unknown pipeline name, a stack that does not exist, is excluded or in no
// tier.
Result<std::vector<RunSpec>> build_runs(const RunInputs& in, const RunRequest& req);

// The stack path relative to the discovery root ("stacks/dbaas" -> "dbaas").
std::string label_of(const pipelines::Discovery& d, const std::string& stack);

}  // namespace stackrun::plan
