// The real ProcessRunner: spawn (spawn.cpp), then supervise on the calling thread: stream the
// output, watch the timeout and should_stop(), escalate signals, clean up the group, reap.
#include "runner/proc/process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include "runner/proc/spawn.hpp"

namespace stackrun::proc {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kTick{100};          // the longest we block without looking around
constexpr milliseconds kMinKillWait{1000};  // after a SIGKILL, the least we wait for EOF
constexpr milliseconds kLongest{std::chrono::hours(24 * 365)};  // keeps time_point sums finite
constexpr std::size_t kChunk = 64 * 1024;                       // one pipe buffer's worth

// The running group, owned until its leader is reaped. If run() unwinds early (a callback
// threw), the destructor SIGKILLs the group and reaps the leader: no step outlives run().
class Group {
 public:
  explicit Group(const Spawned& s) : pid_(s.pid), fd_(s.output_fd) {}
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  ~Group() {
    close_output();
    if (!reaped_) {
      signal(SIGKILL);
      (void)reap();
    }
  }

  // Why the negative pid: the signal goes to every process in the group, not just the leader.
  // ESRCH (nobody left) is fine.
  void signal(int sig) const { ::kill(-pid_, sig); }

  // Why WNOWAIT: the leader stays a zombie, so its pid (the group id) cannot be reused by an
  // unrelated process while we still send signals to the group; reap() collects it at the end.
  bool leader_exited() {
    if (exited_) return true;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      exited_ = errno != EINTR;  // ECHILD: someone else reaped it (see make_process_runner)
    } else {
      exited_ = info.si_pid != 0;
    }
    return exited_;
  }

  // The leader's wait status, or -1 if it was lost to someone else's waitpid.
  int reap() {
    reaped_ = true;
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
    return r == pid_ ? status : -1;
  }

  bool output_open() const { return fd_ >= 0; }
  int output_fd() const { return fd_; }
  void close_output() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  pid_t pid_;
  int fd_;
  bool exited_ = false;
  bool reaped_ = false;
};

// Waits up to `wait` for output and hands one chunk to `on_output`; closes the fd at EOF.
void pump_output(Group& group, milliseconds wait, std::vector<char>& buf,
                 const std::function<void(std::string_view)>& on_output) {
  pollfd pfd{group.output_fd(), POLLIN, 0};
  const int n = ::poll(&pfd, 1, static_cast<int>(wait.count()));
  if (n <= 0) return;  // timeout, or EINTR: the caller loops
  const ssize_t got = ::read(group.output_fd(), buf.data(), buf.size());
  if (got > 0) {
    if (on_output) on_output(std::string_view(buf.data(), static_cast<std::size_t>(got)));
  } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
    group.close_output();  // EOF: every writer (the leader and anything it started) is gone
  }
}

ExitInfo decode(int status, ExitInfo info) {
  if (status == -1) {
    info.exit_code = -1;
  } else if (WIFSIGNALED(status)) {
    info.signal = WTERMSIG(status);
    info.exit_code = 128 + info.signal;
  } else if (WIFEXITED(status)) {
    info.exit_code = WEXITSTATUS(status);
  }
  return info;
}

class BoostProcessRunner final : public ProcessRunner {
 public:
  Result<ExitInfo> run(const Launch& launch, const std::function<void(std::string_view)>& on_output,
                       const std::function<bool()>& should_stop) override {
    auto spawned = spawn_group_leader(launch);
    if (!spawned) return Error{spawned.error()};
    Group group(*spawned);
    const milliseconds grace = std::clamp<milliseconds>(launch.grace, milliseconds(0), kLongest);
    const auto start = Clock::now();
    const auto deadline =
        start + std::clamp<milliseconds>(launch.timeout, milliseconds(0), kLongest);

    // Why SIGINT, then SIGTERM, then SIGKILL: terragrunt and terraform treat SIGINT as
    // Ctrl-C and release the state lock before exiting; SIGTERM catches tools that only
    // handle that; SIGKILL cannot be refused. Why SIGCONT after each: a stopped member (e.g.
    // SIGTTIN from reading /dev/tty) acts on the signal only once continued.
    static constexpr int kEscalation[] = {SIGINT, SIGTERM, SIGKILL};
    int sent = 0;  // how many of kEscalation have been sent
    bool stopping = false;
    Clock::time_point next_signal{};  // when kEscalation[sent] is due, once stopping
    Clock::time_point next_stop_check = start;
    bool leader_gone = false;
    bool drain_killed = false;
    Clock::time_point drain_until{};  // after the leader exits: until when we wait for EOF
    milliseconds idle{1};             // backoff while only waiting for the leader to exit
    std::vector<char> buf(kChunk);
    ExitInfo info;

    for (;;) {
      const auto now = Clock::now();
      Clock::time_point wake = now + kTick;
      if (!leader_gone) {
        if (!stopping && now >= deadline) {
          info.timed_out = stopping = true;
        } else if (!stopping && now >= next_stop_check) {
          next_stop_check = now + kTick;
          if (should_stop && should_stop()) info.stopped = stopping = true;
        }
        if (stopping && sent == 0) next_signal = now;
        if (stopping && sent < 3 && now >= next_signal) {
          group.signal(kEscalation[sent]);
          if (kEscalation[sent] != SIGKILL) group.signal(SIGCONT);
          ++sent;
          next_signal = now + grace;
        }
        wake = std::min(
            wake, stopping ? (sent < 3 ? next_signal : wake) : std::min(deadline, next_stop_check));
      } else if (group.output_open()) {
        // Why: the leader is gone but something it started still holds the output (say a
        // backgrounded `sleep 30 &`). It gets `grace` to finish; then the group is killed, so
        // such a grandchild cannot hang the agent. One that left the group (setsid) is
        // abandoned after the last wait: we close our end and stop reading.
        if (now >= drain_until) {
          if (drain_killed) break;
          group.signal(SIGKILL);
          drain_killed = true;
          drain_until = now + std::max(grace, kMinKillWait);
        }
        wake = std::min(wake, drain_until);
      } else {
        break;  // leader exited and output closed
      }

      auto wait = std::chrono::duration_cast<milliseconds>(wake - now);
      wait = std::clamp(wait, milliseconds(0), kTick);
      if (group.output_open()) {
        pump_output(group, wait, buf, on_output);
      } else {
        // The child closed its output but lives on: no fd to wait on, so back off from 1 ms
        // (the usual case is an exit a moment after EOF) up to the tick.
        ::poll(nullptr, 0, static_cast<int>(std::min(wait, idle).count()));
        idle = std::min(idle * 2, kTick);
      }
      if (!leader_gone && group.leader_exited()) {
        leader_gone = true;
        drain_until = Clock::now() + grace;
      }
    }
    // Why SIGKILL the group even after a clean exit: a member that let go of the output
    // (`daemon >/dev/null &`) must not outlive its step on a shared agent.
    group.signal(SIGKILL);
    group.close_output();
    return decode(group.reap(), info);
  }
};

}  // namespace

std::unique_ptr<ProcessRunner> make_process_runner() {
  return std::make_unique<BoostProcessRunner>();
}

}  // namespace stackrun::proc
