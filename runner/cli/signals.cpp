#include "runner/cli/signals.hpp"

#include <pthread.h>
#include <unistd.h>

#include <ctime>

namespace stackrun::cli {

BlockedSignals::BlockedSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
}

BlockedSignals::~BlockedSignals() {
  // Drain anything still pending (e.g. the SIGUSR1 of release_waiter) before unblocking, so
  // its default action cannot kill the process on the way out.
  timespec zero{0, 0};
  while (sigtimedwait(&set_, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

int BlockedSignals::wait() {
  int sig = 0;
  if (sigwait(&set_, &sig) != 0) return 0;
  return sig == SIGUSR1 ? 0 : sig;
}

void BlockedSignals::release_waiter() {
  kill(getpid(), SIGUSR1);
}

}  // namespace stackrun::cli
