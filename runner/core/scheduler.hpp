#pragma once
// Pure scheduling decisions over plain job views: which queued job an agent may take, which
// pending jobs a run releases, a run's outcome. The lifecycle (lifecycle.hpp) composes them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runner/core/status.hpp"

namespace stackrun::core {

struct JobView {
  std::int64_t id = 0, run_id = 0, repo_id = 0;
  std::string stack, tier;
  std::vector<std::string> tier_needs;  // tiers that must be finished before this one starts
  int parallelism = 1;
  JobKind kind = JobKind::apply;
  JobStatus status = JobStatus::pending;
  std::vector<std::string> labels;  // agent labels the job requires
  // Stacks of the same run that must end well (success or drift) before this job starts: its
  // `dependency`/`dependencies` among the run's stacks. A stack the run lacks is no constraint.
  std::vector<std::string> needs;
};

// The first of `claimable` (already in claim order) that may start now on an agent with
// `agent_labels`: its (repo, stack) has no running job anywhere and no unfinished job in an
// older run (so a stack's commits are applied in run order), its run+tier is below the tier's
// parallelism, and the agent has every label the job needs. Applies go before plans on a
// stack: an apply is not held back by an older run's plan that has not started, and a plan
// waits while an apply of its stack is queued in any run (a drift plan must not delay a push,
// and plans what the apply left). `unfinished` holds every pending, queued and running job.
// nullopt if none.
std::optional<std::size_t> pick_job(const std::vector<JobView>& claimable,
                                    const std::vector<JobView>& unfinished,
                                    const std::vector<std::string>& agent_labels);

// Ids of `pending` jobs of one run whose tier's needs are all finished (every job of each
// needed tier is terminal) and whose needed stacks all ended well. A tier that needs a tier
// with no jobs is ready.
std::vector<std::int64_t> jobs_to_release(const std::vector<JobView>& run_jobs);

// `pending` jobs of one run that can never start because a stack they need ended otherwise
// (failed, interrupted, skipped, cancelled, superseded), with the reason to skip them:
// "dependency stacks/vpc failed".
std::vector<std::pair<std::int64_t, std::string>> jobs_to_skip(
    const std::vector<JobView>& run_jobs);

// A run's final status once every job is terminal, else nullopt: failed if any job failed,
// was interrupted or refused, else cancelled if any was cancelled, else superseded if any was
// superseded (a newer run took it over), else drift if any found drift, else success. A failure
// stays red whatever else.
std::optional<RunStatus> run_outcome(const std::vector<JobView>& run_jobs);

// Splits "a,b,c" (empty items dropped).
std::vector<std::string> split_csv(const std::string& s);

}  // namespace stackrun::core
