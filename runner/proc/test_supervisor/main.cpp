// `stackrun supervise DIR` without the rest of stackrun: the supervisor proc_tests run steps
// under (the real one is runner/cli/cmd_supervise.cpp, which calls the same function).
#include <cstdio>

#include "runner/proc/supervisor.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  return stackrun::proc::run_supervisor(argv[1]);
}
