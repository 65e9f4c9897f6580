#pragma once
// The pipeline model: what a `.stackrun/*.yml` file says, after validation.
// Produced by load_pipeline (loader.hpp); consumed by the planner, scheduler and CLI.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/destroy_guard.hpp"
#include "runner/core/duration.hpp"
#include "runner/core/policy.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::pipelines {

// 1-based position in a pipeline file.
struct Location {
  std::string file;
  int line = 0;
  int col = 0;
};

// A located message. str() is the interface text: "file:line:col: message".
struct Diagnostic {
  Location loc;
  std::string message;
  std::string str() const;
};

enum class Event { push, cron, manual };
// "push", "cron", "manual": the names `when[].event` takes and messages use.
std::string_view to_string(Event e);
enum class Kind { apply, plan };  // apply jobs are never blindly re-run; plan jobs may be

// One `when:` entry; a run is admitted if any condition matches (OR), and a condition
// matches if all its set filters match (AND). Empty filter = no constraint.
struct Condition {
  std::vector<Event> events;
  std::vector<std::string> branches;      // doublestar globs
  std::vector<std::string> path_include;  // doublestar globs over changed paths
  std::vector<std::string> path_exclude;
  std::vector<std::string> crons;  // schedule names, only with event cron
  Location loc;
};

struct Schedule {
  std::string name;
  std::string cron;  // 5-field expression or @descriptor
  std::string timezone = "UTC";
  // Dead-man window: alert when no run of the pipeline completed for this long (0 = none).
  core::Duration deadman{0};
  Location loc;
};

struct Discovery {
  std::string root = ".";                 // repo-relative directory searched for stacks
  std::string marker = "terragrunt.hcl";  // a directory holding this file is a stack
  enum class Select { changed, all } select = Select::changed;
  std::vector<std::string> exclude;  // globs of stack paths (relative to root) never run
  std::map<std::string, std::string> human_only;  // stack glob -> reason; skipped, never failed
  // Select also the stacks that depend (Terragrunt `dependency`/`dependencies`, transitively)
  // on a selected stack. Off: a dependent runs only when it changed itself.
  bool include_dependents = false;
};

struct Tier {
  std::string name;
  std::vector<std::string> stacks;  // globs relative to root; empty = every other stack
  int parallelism = 1;
  std::vector<std::string> needs;  // tier names; default: the previous tier
  Location loc;
};

// A secret a step receives: the variable `env` holds the value of the secret `name`, which
// the agent takes from its own environment (STACKRUN_SECRET_<name>) or its --secrets-dir
// (agents/secrets.hpp) and masks in the output. The pipeline names secrets, never holds them.
struct SecretRef {
  std::string env;   // [A-Za-z_][A-Za-z0-9_]*
  std::string name;  // [A-Za-z_][A-Za-z0-9_]*
  Location loc;
};

// A step that writes a Terraform saved plan (`plan -out=FILE`) for a later step to apply. The
// agent reads what it deletes from `json` (the step's own `show -json FILE > JSON`) when given,
// else from the plan summary in the step's output, and applies the destroy guard before the
// next step. Paths are relative to the step's directory.
struct SavedPlan {
  std::string file;
  std::string json;  // "" = use the plan summary
  Location loc;
};

struct Step {
  std::string name;
  std::string command;  // run by /bin/sh -ec in the stack directory
  std::vector<std::pair<std::string, std::string>> env;  // in file order
  std::vector<SecretRef> secrets;                        // in file order; names unique in env
  core::Duration timeout{std::chrono::hours(1)};
  std::string dir;                        // relative to the stack directory; "" = stack dir
  std::map<int, core::Class> exit_codes;  // e.g. {2: drift}; other non-zero codes classify
  std::optional<SavedPlan> saved_plan;    // at most one step; never the last
  Location loc;
};

// An extra classification rule from the pipeline; extends the built-ins.
struct Rule {
  core::Class cls = core::Class::fatal;  // lock, transient or fatal
  std::string id;                        // "pipeline.<class>[<index>]" unless given
  std::string pattern;                   // RE2
  Location loc;
};

// The index of the step that saves a plan, if any.
std::optional<std::size_t> saved_plan_step(const std::vector<Step>& steps);

struct Pipeline {
  int version = 1;
  std::string name;
  Kind kind = Kind::apply;
  std::vector<Condition> when;
  std::vector<Schedule> schedules;
  Discovery stacks;
  std::vector<Tier> tiers;
  std::vector<Step> steps;
  core::FailurePolicy on_failure;
  std::vector<Rule> rules;
  std::vector<std::string> labels;  // agent labels a job needs (key=value or key)
  // `guards.destroy`: what a saved plan that deletes resources does (apply pipelines; takes
  // effect only with a step that has `saved_plan`).
  core::DestroyGuard destroy_guard = core::DestroyGuard::approve;
  std::string file;  // where it was loaded from
};

}  // namespace stackrun::pipelines
