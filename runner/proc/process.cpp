// The real ProcessRunner, on the agent's side: write the launch file, start the supervisor,
// wait for it (a pidfd, so its exit wakes us at once), pass a stop request on as SIGTERM, read
// the status it left. The step itself is the supervisor's business (supervisor.cpp).
#include "runner/proc/process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "runner/proc/launch.hpp"
#include "runner/proc/proc_table.hpp"
#include "runner/proc/spawn.hpp"
#include "runner/proc/step_files.hpp"

namespace stackrun::proc {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kTick{100};  // how often should_stop() is asked while a step runs
// How long resume() waits for a supervisor that was spawned but has not recorded itself yet.
constexpr milliseconds kRecordWait{2000};

std::string path_in(const StepFiles& f, const char* name) {
  return f.dir + "/" + name;
}

// The PATH that argv[0] is looked up in: the step's own, else ours, else the POSIX default.
std::string search_path(const Launch& launch) {
  if (auto p = find_env(launch.env, "PATH")) return *p;
  if (const char* p = std::getenv("PATH")) return p;
  return "/bin:/usr/bin";
}

// The supervisor we wait for. A child of ours (run) is reaped here; one started by an earlier
// agent (resume) is not ours to reap, and is known by its pid and start time.
class Supervisor {
 public:
  Supervisor(pid_t pid, bool child) : pid_(pid), child_(child) {
    // Why a pidfd: poll() on it wakes the moment the supervisor exits, child or not, and a
    // signal through it cannot reach a process that reused the pid.
    fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  }
  // Reaps a child that already exited; one still running (should_stop threw) is left to run
  // its step to the end, as if the agent had died: resume() finds it.
  ~Supervisor() {
    if (fd_ >= 0) ::close(fd_);
    if (child_ && !reaped_) ::waitpid(pid_, nullptr, WNOHANG);
  }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Waits up to `wait` for the exit; true once it exited.
  bool exited(milliseconds wait) {
    if (fd_ >= 0) {
      pollfd p{fd_, POLLIN, 0};
      return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
    }
    // No pidfd (a kernel before 5.3): look every `wait`.
    std::this_thread::sleep_for(wait);
    if (child_) {
      if (::waitpid(pid_, &status_, WNOHANG) != pid_) return false;
      reaped_ = true;
      return true;
    }
    return ::kill(pid_, 0) != 0;
  }
  void ask_to_stop() const {
    if (fd_ < 0 || ::syscall(SYS_pidfd_send_signal, fd_, SIGTERM, nullptr, 0) != 0)
      ::kill(pid_, SIGTERM);
  }
  // The supervisor's wait status, once it exited (0 when it is not our child).
  int wait_status() {
    if (child_ && !reaped_) {
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
    }
    return status_;
  }

 private:
  pid_t pid_;
  bool child_;
  int fd_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

std::optional<SupervisorRecord> read_record(const StepFiles& f) {
  auto text = read_whole_file(path_in(f, kSupervisorFile));
  if (!text) return std::nullopt;
  auto r = decode_supervisor_record(*text);
  if (!r) return std::nullopt;
  return *r;
}

std::optional<StepStatus> read_status(const StepFiles& f) {
  auto text = read_whole_file(path_in(f, kStatusFile));
  if (!text) return std::nullopt;
  auto s = decode_step_status(*text);
  if (!s) return std::nullopt;
  return *s;
}

// The step of a supervisor that died without a status runs on unsupervised: SIGKILL its group,
// if processes of that group in the supervisor's session are left (so never a stranger's).
void kill_orphaned_group(const StepFiles& f) {
  auto r = read_record(f);
  if (!r || r->step_pid <= 0) return;
  for (const ProcEntry& p : list_processes()) {
    if (p.pgrp == r->step_pid && p.session == r->pid && p.state != 'Z') {
      ::kill(-r->step_pid, SIGKILL);
      return;
    }
  }
}

Result<ExitInfo> outcome(const StepFiles& f, Supervisor& sup) {
  const int wait_status = sup.wait_status();
  if (auto s = read_status(f)) {
    if (!s->error.empty()) return Error{s->error};
    return s->exit;
  }
  kill_orphaned_group(f);
  std::string how = "it was killed or crashed";
  if (WIFEXITED(wait_status) && wait_status != 0)
    how = "exit " + std::to_string(WEXITSTATUS(wait_status));
  else if (WIFSIGNALED(wait_status))
    how = "signal " + std::to_string(WTERMSIG(wait_status));
  return Error{"the step supervisor ended without a status (" + how + "); see " +
               path_in(f, kSupervisorLog)};
}

Result<ExitInfo> wait_for(const StepFiles& f, Supervisor& sup,
                          const std::function<bool()>& should_stop) {
  bool asked = false;
  for (;;) {  // one pass per tick until the supervisor exits (it ends its step, then itself)
    if (!asked && should_stop && should_stop()) {
      sup.ask_to_stop();
      asked = true;
    }
    if (sup.exited(kTick)) break;
  }
  return outcome(f, sup);
}

class SupervisedRunner final : public ProcessRunner {
 public:
  explicit SupervisedRunner(std::vector<std::string> supervisor)
      : supervisor_(std::move(supervisor)) {}

  Result<ExitInfo> run(const Launch& launch, const StepFiles& files,
                       const std::function<bool()>& should_stop) override {
    if (Status ok = check_launch(launch); !ok) return Error{ok.error()};
    std::error_code ec;
    std::filesystem::create_directories(files.dir, ec);
    if (ec) return Error{"cannot create " + files.dir + ": " + ec.message()};
    ::chmod(files.dir.c_str(), 0700);
    std::filesystem::remove(path_in(files, kStatusFile), ec);
    std::filesystem::remove(path_in(files, kSupervisorFile), ec);
    const LaunchFile lf{launch, files.spool, search_path(launch)};
    if (Status w = write_file_atomically(path_in(files, kLaunchFile), encode_launch_file(lf)); !w)
      return Error{w.error()};
    std::vector<std::string> argv = supervisor_;
    argv.push_back(files.dir);
    auto pid = spawn_supervisor(argv, path_in(files, kSupervisorLog));
    if (!pid) return Error{pid.error()};
    Supervisor sup(*pid, /*child=*/true);
    return wait_for(files, sup, should_stop);
  }

  Result<ExitInfo> resume(const StepFiles& files,
                          const std::function<bool()>& should_stop) override {
    std::optional<SupervisorRecord> record = read_record(files);
    // A supervisor spawned just before the agent died may not have recorded itself yet: it
    // does so first thing, so a short wait tells "starting" from "never started".
    for (auto waited = milliseconds(0); !record && waited < kRecordWait; waited += kTick / 2) {
      if (read_status(files)) break;
      std::this_thread::sleep_for(kTick / 2);
      record = read_record(files);
    }
    if (!record) {
      if (auto s = read_status(files)) {
        if (!s->error.empty()) return Error{s->error};
        return s->exit;
      }
      return Error{"no step supervisor ever ran in " + files.dir};
    }
    Supervisor sup(record->pid, /*child=*/false);
    // The pid may belong to someone else by now: the start time tells (checked after the
    // pidfd was opened, so the pidfd is known to be the supervisor's or a dead process's).
    const auto proc = read_process(record->pid);
    if (!proc || proc->start_time != record->start_time) return outcome(files, sup);
    return wait_for(files, sup, should_stop);
  }

 private:
  std::vector<std::string> supervisor_;
};

}  // namespace

std::unique_ptr<ProcessRunner> make_process_runner(std::vector<std::string> supervisor) {
  return std::make_unique<SupervisedRunner>(std::move(supervisor));
}

}  // namespace stackrun::proc
