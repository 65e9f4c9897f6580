#pragma once
// Running steps under a supervisor. The launch is data (argv, env, cwd, timeout, grace); the
// real runner hands it to a small supervisor process (`stackrun supervise DIR`, supervisor.hpp)
// that outlives the agent: it starts the step in its own process group with stdin from
// /dev/null, its stdout and stderr appended to a spool file and every descriptor above 2
// closed; stops it gracefully when asked or when `timeout` passes (SIGINT to the group, wait
// `grace`, SIGTERM, wait `grace`, SIGKILL); after the leader exits, gives the rest of the group
// `grace` to finish and then SIGKILLs it and every orphan it left (the supervisor is their
// subreaper); and writes the outcome to a status file. Nothing ties the step to the agent: an
// agent killed mid-step neither kills it nor SIGPIPEs it, and a restarted agent finds it
// through its files (step_files.hpp) with resume(). Build launches with make_shell_launch()
// (launch.hpp).
#include <functional>
#include <memory>
#include <string>
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
  // Secret values the output must not show (core::Masker: each run of them becomes "***").
  // Empty: the step writes the spool itself. Otherwise it writes a pipe, and the supervisor
  // masks what comes through it before anything reaches the spool, so no value is ever on the
  // agent's disk or shipped, whichever way the output is later cut into chunks.
  std::vector<std::string> mask;
};

struct ExitInfo {
  int exit_code = 0;       // the leader's exit status; 128+signal when killed by a signal
  int signal = 0;          // the leader's terminating signal, 0 if it exited
  bool timed_out = false;  // stopped because `timeout` passed
  bool stopped = false;    // stopped because should_stop() said so
  bool operator==(const ExitInfo&) const = default;
};

// Where one supervised step keeps its files: `dir` (created if missing, mode 0700; the
// launch, supervisor and status files) and `spool`, the file its output is appended to
// (created if missing, mode 0600; an attempt's steps share one).
struct StepFiles {
  std::string dir;
  std::string spool;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Starts `launch` under a supervisor and blocks until the step ended and the supervisor
  // wrote its status. `should_stop` is polled about every 100 ms meanwhile; once it returns
  // true the supervisor is asked for the graceful stop. Fails only if the step could not be
  // started: `cannot start "<argv0>": <reason>` (not found in PATH, missing cwd, exec error;
  // nothing was written to the spool then), or if the supervisor itself failed (the text says
  // so and names its log). If should_stop throws, the exception propagates and the step runs
  // on (resume() finds it). Thread-safe.
  virtual Result<ExitInfo> run(const Launch& launch, const StepFiles& files,
                               const std::function<bool()>& should_stop) = 0;
  // The same wait for a step started earlier under `files`, possibly by a process that has
  // died since (a restarted agent): returns at once if it already ended. Fails if no
  // supervisor ever ran there, or if it died without a status (its step group is then
  // SIGKILLed).
  virtual Result<ExitInfo> resume(const StepFiles& files,
                                  const std::function<bool()>& should_stop) = 0;
};

// The real runner. `supervisor` is the command line of the supervisor before its DIR argument,
// e.g. {"/usr/bin/stackrun", "supervise"}. Stateless; one instance may serve many threads. The
// caller must not set SIGCHLD to SIG_IGN nor reap with waitpid(-1): run() reaps its own.
std::unique_ptr<ProcessRunner> make_process_runner(std::vector<std::string> supervisor);

}  // namespace stackrun::proc
