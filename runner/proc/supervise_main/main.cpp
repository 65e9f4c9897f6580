// `stackrun-supervise DIR`: the per-step supervisor the agent starts, one process per step
// (runner/proc/supervisor.hpp), as an executable of its own beside `stackrun`. Why its own: the
// agent starts one per job, and `stackrun` links ~45 shared libraries (curl, libgit2, ...)
// whose loading costs ~25 ms of page faults per start on a VM; this links what the supervisor
// uses and nothing else. `stackrun supervise DIR` (runner/cli/cmd_supervise.cpp) calls the same
// function and stays the fallback when this file is missing.
#include <cstdio>

#include "runner/proc/supervisor.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  return stackrun::proc::run_supervisor(argv[1]);
}
