#pragma once
// Creating runs: read the pipelines at the commit, pick those the event admits, plan the
// stacks against each stack's last applied commit, and store the run with a snapshot of its
// pipeline (a run's inputs never change after this).
#include <string>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/server/coordinator.hpp"

namespace stackrun::server {

struct TriggerRequest {
  std::string repo;                  // registered repo name
  std::string event = "push";        // push | manual
  std::string to;                    // rev; default: the repo's default branch
  std::string from;                  // base for never-applied stacks; default: first parent of `to`
  std::string stack;                 // manual re-apply of one stack (repo-relative or label)
  std::string pipeline;              // only this pipeline (by name)
};

// Returns the new run ids (possibly none when no pipeline matches). Errors name the repo,
// rev or pipeline file (with its located diagnostics).
Result<std::vector<Id>> create_runs(store::Store& store, Coordinator& coordinator, const TriggerRequest& req,
                                    Millis now);

}  // namespace stackrun::server
