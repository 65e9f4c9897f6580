#pragma once
// How `stackrun up` watches its children (server, agents) without polling: SIGINT, SIGTERM and
// SIGCHLD are blocked and taken synchronously with sigwaitinfo/sigtimedwait, so an idle `up`
// sleeps in the kernel until someone presses Ctrl-C or a child exits. `up` is single-threaded;
// construct ChildSignals before starting any child so that no SIGCHLD is missed.
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <vector>

namespace stackrun::cli {

class ChildSignals {
 public:
  // Blocks SIGINT, SIGTERM and SIGCHLD in this thread, and resets SIGCHLD to SIG_DFL: an
  // inherited SIG_IGN would make the kernel reap children itself and never signal their exit.
  ChildSignals();
  // Drains whatever is still pending, then restores the signal mask and SIGCHLD's disposition.
  ~ChildSignals();
  ChildSignals(const ChildSignals&) = delete;
  ChildSignals& operator=(const ChildSignals&) = delete;

  // Blocks until one of the three arrives and returns it; no timeout, no periodic wake-up.
  int wait();
  // As wait(), but returns 0 once `deadline` passes.
  int wait_until(std::chrono::steady_clock::time_point deadline);

 private:
  sigset_t set_{}, old_mask_{};
  struct sigaction old_chld_ {};
};

struct ExitedChild {
  pid_t pid = 0;
  int status = 0;  // as waitpid reports it
};

// Reaps every child that has exited, without blocking.
std::vector<ExitedChild> reap_children();

// Waits until every pid in `pids` has exited (reaping them) or `deadline` passes; returns the
// pids still running. SIGINT/SIGTERM meanwhile are taken and ignored: a second Ctrl-C does not
// cut short a stop that lets running steps finish.
std::vector<pid_t> wait_children(ChildSignals& signals, std::vector<pid_t> pids,
                                 std::chrono::steady_clock::time_point deadline);

// Sends `sig` to each pid (one already gone is skipped silently).
void signal_all(const std::vector<pid_t>& pids, int sig);

}  // namespace stackrun::cli
