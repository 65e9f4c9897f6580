#pragma once
// Internal to stackrun_proc: starting processes. The agent (many threads) starts supervisors
// with posix_spawn; a supervisor (one thread) starts its step with fork and exec.
#include <sys/types.h>

#include <string>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/proc/step_files.hpp"

namespace stackrun::proc {

// What can be known wrong about a launch before anything starts: an empty command line, a NUL
// in an argument or in the environment, an invalid environment name. The error reads
// `cannot start "<argv0>": <reason>`.
Status check_launch(const Launch& launch);

// Starts `f.launch` as the leader of a new process group, stdin from /dev/null, stdout and
// stderr on `spool_fd`, no other descriptor, default signal state, in f.launch.cwd. Only in a
// single-threaded process (it forks). On failure nothing is left running or unreaped, and the
// error reads `cannot start "<argv0>": <reason>`.
Result<pid_t> start_step(const LaunchFile& f, int spool_fd);

// Starts `argv` (argv[0] a path) in a new session, with an empty environment (why: the
// supervisor must not load under a step's LD_PRELOAD or LD_LIBRARY_PATH), stdin from
// /dev/null, stdout and stderr appended to `log_path`, no other descriptor. Safe in a
// multi-threaded process. The caller reaps the pid.
Result<pid_t> spawn_supervisor(const std::vector<std::string>& argv, const std::string& log_path);

// Closes (or, where close_range cannot close, marks close-on-exec) every descriptor >= `from`.
void close_descriptors_from(int from);

}  // namespace stackrun::proc
