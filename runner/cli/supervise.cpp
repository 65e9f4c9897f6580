#include "runner/cli/supervise.hpp"

#include <pthread.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace stackrun::cli {

ChildSignals::ChildSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGCHLD, &dfl, &old_chld_);
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &set_, &old_mask_);
}

ChildSignals::~ChildSignals() {
  timespec zero{0, 0};
  while (sigtimedwait(&set_, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  sigaction(SIGCHLD, &old_chld_, nullptr);
}

int ChildSignals::wait() {
  for (;;) {  // only EINTR (a signal outside the set, e.g. SIGSTOP/SIGCONT) loops
    const int sig = sigwaitinfo(&set_, nullptr);
    if (sig > 0) return sig;
    if (errno != EINTR) return 0;
  }
}

int ChildSignals::wait_until(std::chrono::steady_clock::time_point deadline) {
  for (;;) {  // bounded by `deadline`
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return 0;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
    const int sig = sigtimedwait(&set_, nullptr, &ts);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return 0;
  }
}

std::vector<ExitedChild> reap_children() {
  std::vector<ExitedChild> out;
  int status = 0;
  for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) out.push_back({pid, status});
  return out;
}

std::vector<pid_t> wait_children(ChildSignals& signals, std::vector<pid_t> pids,
                                 std::chrono::steady_clock::time_point deadline) {
  for (;;) {  // bounded by `deadline`: each pass reaps, or waits for a signal until then
    for (const ExitedChild& e : reap_children()) std::erase(pids, e.pid);
    if (pids.empty() || signals.wait_until(deadline) == 0) break;
  }
  for (const ExitedChild& e : reap_children()) std::erase(pids, e.pid);
  return pids;
}

void signal_all(const std::vector<pid_t>& pids, int sig) {
  for (const pid_t pid : pids) ::kill(pid, sig);
}

}  // namespace stackrun::cli
