#pragma once
// `stackrun agent`: N slots, each claiming an offer from the server, confirming it, running the
// job's steps, reporting. All I/O is injected (AgentDeps); runner/cli/cmd_agent.cpp builds the
// real adapters, agents/agent_test.cpp fakes.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>

#include "agents/secrets.hpp"
#include "agents/server_link.hpp"
#include "agents/workspace.hpp"
#include "runner/core/duration.hpp"
#include "runner/proc/launch.hpp"
#include "runner/proc/process.hpp"

namespace stackrun::agent {

// Waits and limits of the protocol; tests shorten them.
struct AgentTimings {
  std::chrono::milliseconds backoff_min{200}, backoff_max{5'000};  // retries while unavailable
  std::chrono::milliseconds log_coalesce{5};      // after output arrives, wait this long for more
  std::chrono::milliseconds log_fallback{1'000};  // look at the spool at least this often
  std::size_t log_batch_bytes = 1024 * 1024;      // spool bytes read for one log request
  std::size_t log_chunk_bytes = 256 * 1024;       // one log chunk (a longer line is split)
  std::chrono::milliseconds drain_limit{std::chrono::minutes(10)};   // deliver the logs
  std::chrono::milliseconds finish_limit{std::chrono::minutes(10)};  // deliver the report
  // Every slot idle this long: the agent gives back memory kept for the next job (the
  // workspace maker's open caches, freed heap). Once per idle spell, so an idle agent still
  // never wakes.
  std::chrono::milliseconds idle_release{1'000};
};

struct AgentOptions {
  std::string name;    // for our own log lines
  int capacity = 1;    // jobs at once (one slot thread each)
  std::string labels;  // comma-separated; sent with each claim
  // jobs/attempt-N: the workspaces; attempts/N: what a restarted agent needs (attempt_dir.hpp).
  // One agent process at a time (it holds a lock on work_dir/agent.lock).
  std::string work_dir;
  core::Duration grace{std::chrono::seconds(10)};  // SIGINT -> SIGTERM -> SIGKILL spacing
  wire::Millis claim_wait_ms = 50'000;             // long-poll length of one claim
  bool keep_workspaces = false;
  // Output shipped per attempt (the spool's first bytes); past it one "[stackrun] output
  // truncated" line and nothing more. The classifier still reads the end of the output.
  std::uint64_t max_output = 128ULL << 20;
  AgentTimings timings;
};

// What the agent does I/O with. Everything here is shared by all slots.
struct AgentDeps {
  LinkFactory links;               // three links per slot: claims+reports, logs, heartbeats
  proc::ProcessRunner& processes;  // must be thread-safe (the real one is)
  WorkspaceMaker& workspaces;      // thread-safe by contract
  proc::EnvList base_env;          // every step's environment before CI_* and the step's env
  std::function<void(const std::string& line)> log;  // the agent's own lines; thread-safe
  SecretSources secrets;  // where a pipeline's `secrets:` values come from (agents/secrets.hpp)
};

inline constexpr int kExitRefused = 1;  // the server refused the token or the protocol (400)

// Serves until `stop` is requested: then claims nothing new (a claim in flight is interrupted
// at once), lets running jobs finish and report, and returns. First it resumes the attempts an
// earlier agent process on the same work dir started and did not report (recover.hpp). Throws
// (cannot continue) when another agent process holds the work dir. Also returns, with kExitRefused,
// when the server refuses this agent's claims or starts for good: 401/403 (token), 400 (e.g. a
// protocol version mismatch, whose text is logged); running jobs still finish first. Else 0.
int run_agent(const AgentOptions& options, const AgentDeps& deps, std::stop_token stop);

}  // namespace stackrun::agent
