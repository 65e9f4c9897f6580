#pragma once
// Starting stackrun's own child processes (server, agents) for `stackrun up`; supervise.hpp
// waits for them. Steps never go through here: they use runner/proc.
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "runner/core/result.hpp"

namespace stackrun::cli {

// Spawns argv with the current environment plus `extra_env`, in its own process group (so
// a Ctrl-C at the terminal reaches only `up`, which then stops children in order), with
// default signal dispositions and an empty signal mask.
Result<pid_t> spawn_child(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          const std::string& log_path);

// Path of the running executable (/proc/self/exe).
std::string self_exe();

}  // namespace stackrun::cli
