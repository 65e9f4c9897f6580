#pragma once
// `stackrun agent`: N slots, each long-polling the server for a job, running it, reporting.
#include <atomic>
#include <string>

#include "runner/core/duration.hpp"

namespace stackrun::agent {

struct AgentOptions {
  std::string server_url;                     // e.g. http://127.0.0.1:8080
  std::string token;                          // this agent's bearer token
  std::string name;                           // for our own log lines
  int capacity = 1;                           // jobs at once
  std::string labels;                         // comma-separated; sent with each claim
  std::string work_dir;                       // cache/ (bare clones) and jobs/ (workspaces)
  core::Duration grace{std::chrono::seconds(10)};  // SIGINT -> SIGTERM -> SIGKILL spacing
  int claim_wait_ms = 20'000;
  bool keep_workspaces = false;
};

// Serves until `stop` becomes true; then claims nothing new and returns once running jobs
// ended. Returns a process exit code (0, or 1 if the server rejected the token for good).
int run_agent(const AgentOptions& options, const std::atomic<bool>& stop);

}  // namespace stackrun::agent
