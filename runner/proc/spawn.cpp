#include "runner/proc/spawn.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "runner/proc/launch.hpp"

namespace stackrun::proc {
namespace {

Error cannot_start(const Launch& launch, const std::string& reason) {
  const std::string argv0 = launch.argv.empty() ? std::string() : launch.argv.front();
  return Error{"cannot start \"" + argv0 + "\": " + reason};
}

std::string errno_text(int err) {
  return std::error_code(err, std::system_category()).message();
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// What to execve: argv[0] itself if it has a '/' (execve reports what is wrong with it),
// else the first executable candidate on the search path. Relative candidates are checked
// against launch.cwd because execve runs after the child's chdir.
Result<std::string> resolve_program(const LaunchFile& f) {
  const std::string& program = f.launch.argv.front();
  if (program.find('/') != std::string::npos) return program;
  for (const std::string& candidate : program_candidates(program, f.search_path)) {
    const bool relative = candidate.front() != '/' && !f.launch.cwd.empty();
    if (is_executable_file(relative ? f.launch.cwd + "/" + candidate : candidate)) return candidate;
  }
  return cannot_start(f.launch, "not found in PATH \"" + f.search_path + "\"");
}

Status check_cwd(const Launch& launch) {
  if (launch.cwd.empty()) return ok_status();
  struct stat st {};
  if (::stat(launch.cwd.c_str(), &st) != 0)
    return cannot_start(launch, "working directory \"" + launch.cwd + "\": " + errno_text(errno));
  if (!S_ISDIR(st.st_mode))
    return cannot_start(launch, "working directory \"" + launch.cwd + "\" is not a directory");
  return ok_status();
}

// Applies `op` to every open descriptor >= `from`, listed from /proc/self/fd, else (no /proc)
// to every number up to the descriptor limit.
template <class Op>
void each_descriptor_from(int from, Op op) {
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    const int own = ::dirfd(dir);
    std::vector<int> fds;
    while (const dirent* d = ::readdir(dir)) {
      const int fd = std::atoi(d->d_name);
      if (fd >= from && fd != own) fds.push_back(fd);
    }
    ::closedir(dir);
    for (int fd : fds) op(fd);
    return;
  }
  const long limit = std::min(::sysconf(_SC_OPEN_MAX), 65536L);
  for (int fd = from; fd < limit; ++fd) op(fd);
}

// Why CLOEXEC rather than close in the step's child: the pipe that reports an exec failure
// must stay open until execve succeeds, and then close by itself.
void mark_cloexec_from(int from) {
  if (::syscall(SYS_close_range, static_cast<unsigned>(from), ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
  each_descriptor_from(from, [](int fd) { ::fcntl(fd, F_SETFD, FD_CLOEXEC); });
}

// In the forked child: async-signal-safe calls only, although the supervisor that forked is
// single-threaded, so the child may not rely on any lock held at fork time.
[[noreturn]] void exec_child(const LaunchFile& f, const char* exe, char* const* argv,
                             char* const* envp, int spool_fd, int report_fd) {
  auto fail = [report_fd](int err) {
    [[maybe_unused]] const ssize_t n = ::write(report_fd, &err, sizeof err);
    ::_exit(127);
  };
  // Why a process group of its own: graceful stop signals go to kill(-pgid) so they reach
  // terragrunt's terraform/helm children too. The parent sets it as well, so no signal can be
  // sent before it holds.
  if (::setpgid(0, 0) != 0) fail(errno);
  // Why reset dispositions and the mask: ignored signals and the blocked mask survive execve,
  // and the supervisor blocks the signals it waits for; a step must hear our graceful stop
  // (and `cmd | head` must get its SIGPIPE).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Why stdin from /dev/null: a step must never block on a prompt; a read gets EOF at once.
  // Why stdout and stderr on the one spool: the log shows their lines in exactly the order the
  // step wrote them, and a file (unlike a pipe to the agent) never SIGPIPEs nor blocks it.
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0) fail(errno);
  if (::dup2(spool_fd, STDOUT_FILENO) < 0 || ::dup2(spool_fd, STDERR_FILENO) < 0) fail(errno);
  // Why: a step sees no descriptor of ours above 2 (the agent's sockets to the server once
  // leaked into steps this way).
  mark_cloexec_from(STDERR_FILENO + 1);
  if (!f.launch.cwd.empty() && ::chdir(f.launch.cwd.c_str()) != 0) fail(errno);
  ::execve(exe, argv, envp);
  fail(errno);
  ::_exit(127);  // not reached
}

}  // namespace

Status check_launch(const Launch& launch) {
  if (launch.argv.empty()) return cannot_start(launch, "the command line is empty");
  for (const std::string& arg : launch.argv)
    if (arg.find('\0') != std::string::npos)
      return cannot_start(launch, "an argument contains a NUL byte");
  for (const auto& [name, value] : launch.env) {
    if (name.empty() || name.find_first_of(std::string("=\0", 2)) != std::string::npos ||
        value.find('\0') != std::string::npos)
      return cannot_start(launch, "invalid environment entry \"" + name + "\"");
  }
  if (launch.cwd.find('\0') != std::string::npos)
    return cannot_start(launch, "the working directory contains a NUL byte");
  return ok_status();
}

Result<pid_t> start_step(const LaunchFile& f, int spool_fd) {
  if (Status ok = check_launch(f.launch); !ok) return Error{ok.error()};
  if (Status ok = check_cwd(f.launch); !ok) return Error{ok.error()};
  auto exe = resolve_program(f);
  if (!exe) return Error{exe.error()};

  std::vector<std::string> args = f.launch.argv;  // owned copies: execve wants char* const*
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // A repeated name: the last value wins (Launch::env), so only that one is passed.
  const EnvList merged = merge_env({}, f.launch.env);
  std::vector<std::string> entries;
  for (const auto& [k, v] : merged) entries.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : entries) envp.push_back(e.data());
  envp.push_back(nullptr);

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    return cannot_start(f.launch, "cannot create a pipe: " + errno_text(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return cannot_start(f.launch, "fork: " + errno_text(err));
  }
  if (pid == 0) {
    ::close(report[0]);
    exec_child(f, exe->c_str(), argv.data(), envp.data(), spool_fd, report[1]);
  }
  ::close(report[1]);
  ::setpgid(pid, pid);  // the child does it too; whichever runs first, it holds before we signal
  int err = 0;
  ssize_t n;
  while ((n = ::read(report[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n == 0) return pid;  // EOF: execve closed the pipe, the step runs
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  return cannot_start(f.launch, errno_text(n == sizeof err ? err : EIO));
}

Result<pid_t> spawn_supervisor(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) return Error{"cannot start the step supervisor: no command"};
  std::vector<std::string> store = argv;
  std::vector<char*> args;
  for (auto& s : store) args.push_back(s.data());
  args.push_back(nullptr);
  char* envp[] = {nullptr};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  // Why: the agent's sockets and files are none of the supervisor's business, and it lives on
  // after the agent; it also closes them itself at start (close_descriptors_from).
  posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  // Why a new session: the supervisor must outlive the agent; a Ctrl-C at the agent's
  // terminal, a hangup or a kill of the agent's process group must not reach it or its step.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &fa, &attr, args.data(), envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return Error{"cannot start the step supervisor \"" + argv[0] + "\": " + errno_text(rc)};
  return pid;
}

void close_descriptors_from(int from) {
  if (::syscall(SYS_close_range, static_cast<unsigned>(from), ~0U, 0U) == 0) return;
  each_descriptor_from(from, [](int fd) { ::close(fd); });
}

}  // namespace stackrun::proc
