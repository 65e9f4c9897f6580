#pragma once
// Starting stackrun's own child processes (server, agents) for `stackrun up`; supervise.hpp
// waits for them. Steps never go through here: they use runner/proc.
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runner/core/result.hpp"

namespace stackrun::cli {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is a path (not looked up in PATH)
  std::vector<std::pair<std::string, std::string>> extra_env;  // set on top of ours
  std::string log_path;         // stdout and stderr appended here (mode 0600); "" = ours
  std::optional<mode_t> umask;  // the child's umask; nullopt = ours
};

// Spawns `spec` with the current environment plus `extra_env`:
// - in its own process group (so a Ctrl-C at the terminal reaches only `up`, which then stops
//   children in order), with default SIGINT/SIGTERM/SIGPIPE dispositions and an empty mask;
// - with SIGTERM as its parent-death signal: when this process dies, even by SIGKILL, the
//   child gets SIGTERM and stops as after a Ctrl-C (a child whose parent died before it could
//   arrange that exits at once);
// - with stdin from /dev/null and no other descriptor of ours (our sockets to the server, our
//   files) beyond 0-2.
// Must be called from the thread that lives as long as the child should (the parent-death
// signal follows the thread that forked, not the process): `up`'s main thread. The Error
// names argv[0] and the reason, including a failed exec.
Result<pid_t> spawn_child(const ChildSpec& spec);

// Path of the running executable (/proc/self/exe).
std::string self_exe();

// What the agent starts steps under: `stackrun-supervise` beside this executable when it is
// there and executable (a small binary: each job pays its start), else `<self> supervise`.
std::vector<std::string> supervisor_command();

}  // namespace stackrun::cli
