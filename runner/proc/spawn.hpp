#pragma once
// Internal to stackrun_proc: starting one Launch as the leader of a new process group.
// The only file that includes Boost.Process; process.cpp supervises what this starts.
#include <sys/types.h>

#include "runner/core/result.hpp"
#include "runner/proc/process.hpp"

namespace stackrun::proc {

struct Spawned {
  pid_t pid = -1;      // also the process group id; the caller must reap it
  int output_fd = -1;  // read end of the merged stdout+stderr pipe; the caller closes it
};

// Starts `launch` (see Launch for PATH, env and cwd rules). On failure nothing is left
// running or unreaped, and the error reads `cannot start "<argv0>": <reason>`.
Result<Spawned> spawn_group_leader(const Launch& launch);

}  // namespace stackrun::proc
