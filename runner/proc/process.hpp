#pragma once
// Running child processes for steps. The launch is data (argv, env, cwd, timeout, grace);
// the runner spawns it in its own process group with stdin from /dev/null, streams the
// merged stdout+stderr in order, and stops it gracefully: SIGINT to the group, wait `grace`,
// SIGTERM, wait `grace`, SIGKILL. After the leader exits, group members still holding the
// output get `grace` to finish; then the whole group is SIGKILLed (also members that let go
// of the output), and the leader is reaped before run() returns. A descendant that left the
// group (setsid) is out of reach: if it keeps the output open past that, it is abandoned.
// Build launches with make_shell_launch() (launch.hpp).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runner/core/duration.hpp"
#include "runner/core/result.hpp"

namespace stackrun::proc {

struct Launch {
  // argv[0] without '/' is looked up in the PATH entry of `env` (the agent's PATH if `env`
  // has none); with '/', it is used as is, relative to `cwd`. The child sees argv unchanged.
  std::vector<std::string> argv;
  // The complete environment: nothing is inherited. For a repeated name the last entry wins.
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;                                 // empty: the agent's cwd
  core::Duration timeout{std::chrono::hours(1)};   // from start; then graceful stop
  core::Duration grace{std::chrono::seconds(10)};  // between each escalation step
};

struct ExitInfo {
  int exit_code = 0;       // the leader's exit status; 128+signal when killed by a signal
  int signal = 0;          // the leader's terminating signal, 0 if it exited
  bool timed_out = false;  // stopped because `timeout` passed
  bool stopped = false;    // stopped because should_stop() said so
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs to completion on the calling thread. `on_output` gets output bytes in order as they
  // arrive (never concurrently). `should_stop` is polled about every 100 ms while the leader
  // runs; once it returns true the graceful stop begins. Fails only if the process could not
  // be started: `cannot start "<argv0>": <reason>` (not found in PATH, missing cwd, exec
  // error); nothing was written to `on_output` then. If a callback throws, the group is
  // SIGKILLed and the leader reaped before the exception propagates.
  virtual Result<ExitInfo> run(const Launch& launch,
                               const std::function<void(std::string_view)>& on_output,
                               const std::function<bool()>& should_stop) = 0;
};

// The real runner (Boost.Process). Stateless; one instance may serve many threads at once.
// The agent must not set SIGCHLD to SIG_IGN nor reap with waitpid(-1): run() reaps its own.
std::unique_ptr<ProcessRunner> make_process_runner();

}  // namespace stackrun::proc
