#pragma once
// Gathering what a trigger needs to plan its runs: the repo and its stacks' applied commits
// from the store, the commit, its pipelines, file lists and diffs from git. Runs on the
// run-creation worker (run_worker.hpp), never on the io thread: git can take as long as it
// likes there. The decisions are plan::build_runs's.
#include <optional>
#include <string>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/core/schedule.hpp"
#include "runner/git/repo.hpp"
#include "runner/plan/run_builder.hpp"
#include "runner/server/repo_fetch.hpp"
#include "runner/store/store.hpp"

namespace stackrun::server {

// A request to create runs, from the operator API (and later webhooks and cron).
struct TriggerRequest {
  std::string repo;            // registered repo name; "" = the only one
  std::string event = "push";  // push | manual | cron
  std::string to;              // rev; default: the repo's default branch
  std::string from;            // base for never-applied stacks; default: first parent of `to`
  std::string stack;           // manual re-apply of one stack (repo-relative or label)
  std::string pipeline;        // only this pipeline (by name)
  // event "cron": the schedule that fired (declared by `pipeline`) and the due time claimed
  // with the run (RunWorker sets NewRun's schedule fields from these).
  struct Fire {
    store::Id schedule_id = 0;
    std::string name, cron, timezone;
    store::Millis due = 0;
  };
  std::optional<Fire> fire;
};

struct Gathered {
  store::RepoRow repo;
  plan::RunInputs inputs;
  plan::RunRequest request;
};

// Reads through `reader` (a read-only connection of the worker's own) and the repository that
// `open` opens at the repo's URL, or at its mirror after `fetch` brought the revision from the
// forge (repo_fetch.hpp; the default fetches nothing). Errors name the repo, revision or
// pipeline file, e.g. `invalid pipeline at 1a2b3c4d5e6f:\n.stackrun/x.yml:3:1: ...`, an
// oversize pipeline, or a failed fetch (`repo infra: authentication failed for <url>: ...`).
Result<Gathered> gather_inputs(store::Store& reader, const git::RepoOpener& open,
                               const TriggerRequest& req, const RepoFetch& fetch = {});

// The schedules the pipelines on a repo's default branch declare, read as gather_inputs
// reads a trigger's commit.
struct DeclaredSchedules {
  store::RepoRow repo;
  std::string commit;  // the default branch's head
  std::vector<core::DeclaredSchedule> schedules;
};
Result<DeclaredSchedules> read_schedules(store::Store& reader, const git::RepoOpener& open,
                                         const std::string& repo, const RepoFetch& fetch = {});

}  // namespace stackrun::server
