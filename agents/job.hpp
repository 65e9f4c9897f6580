#pragma once
// A claimed job as the agent sees it (the claim response of schema/protocol.md).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stackrun::agent {

struct ClaimedJob {
  std::int64_t attempt_id = 0, job_id = 0, run_id = 0, epoch = 0, lease_ms = 30'000;
  int n = 1;
  std::string repo_url, commit, ref, stack, label, tier, kind, event, pipeline, pipeline_file, pipeline_yaml,
      message;
};

using Env = std::vector<std::pair<std::string, std::string>>;

// Variables every step gets, Woodpecker's names first (existing scripts read them), then
// stackrun's own. Pure; tested.
Env ci_variables(const ClaimedJob& job);

}  // namespace stackrun::agent
