#pragma once
// SIGINT/SIGTERM handling for long-running subcommands: block them in every thread (create
// this before starting threads) and receive them synchronously with wait().
#include <csignal>

namespace stackrun::cli {

class BlockedSignals {
 public:
  BlockedSignals();
  ~BlockedSignals();
  // Blocks until SIGINT or SIGTERM arrives (or release_waiter() is called: returns 0).
  int wait();
  // Wakes a thread blocked in wait() (sends SIGUSR1 to this process, also in the set).
  void release_waiter();
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_{}, old_{};
};

}  // namespace stackrun::cli
