#include "runner/proc/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <system_error>
#include <vector>

#include "runner/core/mask.hpp"
#include "runner/proc/proc_table.hpp"
#include "runner/proc/spawn.hpp"
#include "runner/proc/step_files.hpp"

namespace stackrun::proc {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kTick{100};          // the longest wait while strays are watched
constexpr milliseconds kMinKillWait{1000};  // after the first SIGKILL, the least we keep at it
constexpr milliseconds kLongest{std::chrono::hours(24 * 365)};  // keeps time_point sums finite

std::string errno_text(int err) {
  return std::error_code(err, std::system_category()).message();
}

// Waits until one of `set` arrives or `until` passes; the signal, or 0.
int wait_signal(const sigset_t& set, Clock::time_point until) {
  const auto left = std::max(until - Clock::now(), Clock::duration::zero());
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  const int sig = ::sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

ExitInfo decode(const siginfo_t& info, ExitInfo out) {
  if (info.si_code == CLD_EXITED) {
    out.exit_code = info.si_status;
  } else {
    out.signal = info.si_status;
    out.exit_code = 128 + info.si_status;
  }
  return out;
}

// The masking relay: a child of the supervisor (not in the step's group, so stopping the step
// never stops it) that copies the step's output from a pipe to the spool through a Masker, and
// exits at end of file, once every process holding the pipe's write end is gone.
struct Relay {
  pid_t pid = 0;
  int write_fd = -1;  // what the step writes to; the supervisor closes it once the step runs
};

// Writes all of `bytes` to `fd`; false on an error other than EINTR.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

[[noreturn]] void relay_main(int read_fd, int spool_fd, const std::vector<std::string>& secrets) {
  core::Masker masker(secrets);
  std::vector<char> buf(64 * 1024);
  bool ok = true;
  for (;;) {  // bounded by the pipe: ends at EOF, when the step's group is gone
    const ssize_t n = ::read(read_fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    // After a write error (a full disk) the pipe is still drained, so the step never blocks.
    if (ok) ok = write_all(spool_fd, masker.feed(std::string_view(buf.data(), n)));
  }
  if (ok) write_all(spool_fd, masker.flush());
  ::_exit(ok ? 0 : 1);
}

// Starts the relay for `secrets`, appending to `spool_fd`. Why a process and not a thread: the
// supervisor waits in sigtimedwait and forks the step; a second process keeps both simple.
Result<Relay> start_relay(int spool_fd, const std::vector<std::string>& secrets) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error{"cannot create the masking pipe: " + errno_text(errno)};
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Error{"cannot start the masking relay: " + errno_text(err)};
  }
  if (pid == 0) {
    ::close(fds[1]);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Why ignored: a stop request to the supervisor's process group must not cut the output.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    relay_main(fds[0], spool_fd, secrets);
  }
  ::close(fds[0]);
  return Relay{pid, fds[1]};
}

// Waits for the relay to drain the pipe and exit; SIGKILLs it if a process that cannot be
// killed still holds the pipe after `limit`.
void await_relay(pid_t relay, const sigset_t& set, milliseconds limit) {
  const auto until = Clock::now() + limit;
  for (;;) {  // bounded by `until`
    const pid_t r = ::waitpid(relay, nullptr, WNOHANG);
    if (r == relay || (r < 0 && errno == ECHILD)) return;
    if (Clock::now() >= until) {
      ::kill(relay, SIGKILL);
      ::waitpid(relay, nullptr, 0);
      return;
    }
    wait_signal(set, std::min(Clock::now() + kTick, until));
  }
}

// The running step: its leader (whose pid is the group id) and the strays it may leave.
class Group {
 public:
  Group(pid_t leader, pid_t relay) : leader_(leader), self_(::getpid()), relay_(relay) {}

  // Why the negative pid: the signal goes to every process in the group. ESRCH is fine.
  void signal(int sig) const { ::kill(-leader_, sig); }

  // The leader's exit, once it exited; it stays a zombie (WNOWAIT). Why: its pid is the group
  // id, which no unrelated process can take while the zombie exists, so signals to the group
  // never reach a stranger. Orphans found dead on the way are reaped.
  std::optional<siginfo_t> leader_exit() {
    // The leader first, by pid: a dead relay (await_relay reaps it) must not hide it.
    siginfo_t mine{};
    if (::waitid(P_PID, static_cast<id_t>(leader_), &mine, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        mine.si_pid == leader_)
      return mine;
    for (;;) {  // bounded: each pass reaps one dead orphan
      siginfo_t info{};
      if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0)
        return std::nullopt;
      if (info.si_pid == leader_) return info;
      if (info.si_pid == relay_) return std::nullopt;  // await_relay reaps it
      ::waitpid(info.si_pid, nullptr, WNOHANG);
    }
  }

  // Live processes of the group and live orphans we inherited (subreaper), the leader and
  // ourselves excepted; our dead orphans are reaped on the way.
  std::vector<pid_t> live_strays() const {
    // Fast path, no scan of every process (one per step, on a machine that may run thousands):
    // with no child left but the leader and the relay, nothing of the step lives. Why: the
    // group's members are the leader's descendants (our own session holds nothing else), and
    // the topmost live one among them lost its parent, so it was reparented to us (subreaper):
    // it would be our child, alive or a zombie to reap.
    if (const auto children = own_children()) {
      if (std::all_of(children->begin(), children->end(),
                      [&](pid_t c) { return c == leader_ || c == relay_; }))
        return {};
    }
    std::vector<pid_t> out;
    for (const ProcEntry& p : list_processes()) {
      if (p.pid == leader_ || p.pid == self_ || p.pid == relay_) continue;
      const bool ours = p.ppid == self_;
      if (ours && (p.state == 'Z' || p.state == 'X')) {
        ::waitpid(p.pid, nullptr, WNOHANG);
        continue;
      }
      if ((ours || p.pgrp == leader_) && p.state != 'Z' && p.state != 'X') out.push_back(p.pid);
    }
    return out;
  }

  // Reaps the leader and every dead child; live ones (unkillable) are left to init.
  void reap() const {
    while (::waitpid(leader_, nullptr, 0) < 0 && errno == EINTR) {
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

 private:
  pid_t leader_, self_, relay_;
};

// Until the leader exits: the timeout, stop requests, the signal escalation.
ExitInfo until_leader_exits(Group& group, const Launch& launch, const sigset_t& set) {
  const milliseconds grace = std::clamp<milliseconds>(launch.grace, milliseconds(0), kLongest);
  const auto deadline =
      Clock::now() + std::clamp<milliseconds>(launch.timeout, milliseconds(0), kLongest);
  // Why SIGINT, then SIGTERM, then SIGKILL: terragrunt and terraform treat SIGINT as Ctrl-C and
  // release the state lock before exiting; SIGTERM catches tools that only handle that;
  // SIGKILL cannot be refused. Why SIGCONT after each: a stopped member (e.g. SIGTTIN) acts on
  // the signal only once continued.
  static constexpr int kEscalation[] = {SIGINT, SIGTERM, SIGKILL};
  int sent = 0;
  bool stop_asked = false, stopping = false;
  Clock::time_point next_signal{};
  ExitInfo info;
  for (;;) {  // one pass per signal received or deadline reached
    if (auto exited = group.leader_exit()) return decode(*exited, info);
    const auto now = Clock::now();
    if (!stopping && (stop_asked || now >= deadline)) {
      stopping = true;
      (stop_asked ? info.stopped : info.timed_out) = true;
      next_signal = now;
    }
    if (stopping && sent < 3 && now >= next_signal) {
      group.signal(kEscalation[sent]);
      if (kEscalation[sent] != SIGKILL) group.signal(SIGCONT);
      ++sent;
      next_signal = now + grace;
    }
    const auto wake = !stopping ? deadline : sent < 3 ? next_signal : now + kTick;
    const int sig = wait_signal(set, wake);
    if (sig == SIGTERM || sig == SIGINT) stop_asked = true;
  }
}

// After the leader exited: strays get `grace`, then SIGKILL until none is left.
void end_strays(const Group& group, const Launch& launch, const sigset_t& set) {
  const milliseconds grace = std::clamp<milliseconds>(launch.grace, milliseconds(0), kLongest);
  auto until = Clock::now() + grace;
  bool killing = false;
  milliseconds idle{1};
  for (;;) {  // bounded: grace, then max(grace, 1 s) of killing
    const std::vector<pid_t> strays = group.live_strays();
    if (strays.empty()) return;
    const auto now = Clock::now();
    if (now >= until) {
      if (killing) return;  // unkillable (say, stuck in the kernel): left to init
      killing = true;
      until = now + std::max(grace, kMinKillWait);
    }
    if (killing) {
      // Why every round: killing a member reparents its children to us; they are found on the
      // next scan and killed in turn, also those that left the group with setsid.
      group.signal(SIGKILL);
      for (pid_t p : strays) ::kill(p, SIGKILL);
    }
    // Strays are watched by scanning /proc: backing off from 1 ms (most end at once) to a tick.
    wait_signal(set, std::min(now + idle, until));
    idle = std::min(idle * 2, kTick);
  }
}

int write_status(const std::string& dir, const StepStatus& status) {
  if (Status w = write_file_atomically(dir + "/" + kStatusFile, encode_step_status(status)); !w) {
    std::fprintf(stderr, "stackrun supervise: %s\n", w.error().c_str());
    return 1;
  }
  return 0;
}

Status write_record(const std::string& dir, const SupervisorRecord& r) {
  return write_file_atomically(dir + "/" + kSupervisorFile, encode_supervisor_record(r));
}

}  // namespace

int run_supervisor(const std::string& dir) {
  close_descriptors_from(STDERR_FILENO + 1);
  // Why blocked: they are taken synchronously with sigtimedwait, so the supervisor sleeps in
  // the kernel between events and never runs code in a signal handler.
  sigset_t set;
  ::sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT}) ::sigaddset(&set, sig);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGHUP, SIG_IGN);  // no terminal of ours may end a step
  // Why a subreaper: the step's orphans become our children instead of init's, so none can
  // outlive the step unseen (even one that left the group with setsid).
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  const std::string launch_path = dir + "/" + kLaunchFile;
  auto text = read_whole_file(launch_path);
  ::unlink(launch_path.c_str());  // why at once: it may hold secrets
  if (!text) return write_status(dir, {{}, "the step supervisor: " + text.error()});
  auto f = decode_launch_file(*text);
  if (!f) return write_status(dir, {{}, "the step supervisor: " + f.error()});
  SupervisorRecord record{::getpid(), 0, 0};
  if (auto self = read_process(record.pid)) record.start_time = self->start_time;
  if (Status w = write_record(dir, record); !w)
    return write_status(dir, {{}, "the step supervisor: " + w.error()});
  const int spool = ::open(f->spool.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (spool < 0)
    return write_status(dir, {{}, "cannot open the spool " + f->spool + ": " + errno_text(errno)});
  Relay relay;
  if (!f->launch.mask.empty()) {
    auto r = start_relay(spool, f->launch.mask);
    if (!r) {
      ::close(spool);
      return write_status(dir, {{}, r.error()});
    }
    relay = *r;
  }
  auto started = start_step(*f, relay.pid ? relay.write_fd : spool);
  ::close(spool);  // the step (or the relay) has its own copies
  if (relay.pid) ::close(relay.write_fd);
  if (!started) {
    if (relay.pid) await_relay(relay.pid, set, kMinKillWait);
    return write_status(dir, {{}, started.error()});
  }
  record.step_pid = *started;
  if (Status w = write_record(dir, record); !w)
    std::fprintf(stderr, "stackrun supervise: %s\n", w.error().c_str());
  Group group(*started, relay.pid);
  const ExitInfo info = until_leader_exits(group, f->launch, set);
  end_strays(group, f->launch, set);
  // Before the status: a reader that sees the status finds all of the output in the spool.
  if (relay.pid) await_relay(relay.pid, set, kMinKillWait * 5);
  group.reap();
  return write_status(dir, {info, ""});
}

}  // namespace stackrun::proc
