#include "runner/cli/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace stackrun::cli {
namespace {

// Everything the child needs, prepared before fork(): after it, the child of a process that
// may have other threads (libcurl's resolver) may call only async-signal-safe functions, so no
// allocation happens there.
struct Prepared {
  std::vector<std::string> env_store, argv_store;
  std::vector<char*> envp, args;
  int max_fd = 1024;  // highest descriptor to mark close-on-exec if close_range is missing
};

Prepared prepare(const ChildSpec& spec) {
  Prepared p;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    bool overridden = false;
    for (const auto& [k, v] : spec.extra_env) overridden |= kv.rfind(k + "=", 0) == 0;
    if (!overridden) p.env_store.push_back(kv);
  }
  for (const auto& [k, v] : spec.extra_env) p.env_store.push_back(k + "=" + v);
  for (auto& s : p.env_store) p.envp.push_back(s.data());
  p.envp.push_back(nullptr);
  p.argv_store = spec.argv;
  for (auto& s : p.argv_store) p.args.push_back(s.data());
  p.args.push_back(nullptr);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    p.max_fd = static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
  return p;
}

// Reports `err` to the parent through the error pipe and exits; async-signal-safe.
[[noreturn]] void child_fail(int pipe_fd, int err) {
  [[maybe_unused]] const ssize_t n = write(pipe_fd, &err, sizeof err);
  _exit(127);
}

// The child between fork and exec; async-signal-safe calls only.
[[noreturn]] void run_child(const ChildSpec& spec, const Prepared& p, pid_t parent, int err_fd) {
  // Why first: a Ctrl-C at the terminal must reach `up` only; `up` stops children in order.
  setpgid(0, 0);
  // Why defaults and an empty mask: `up` blocks SIGINT/SIGTERM/SIGCHLD to take them with
  // sigwaitinfo, and a shell may start it with SIGINT ignored (`up &`); exec keeps both.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD}) sigaction(sig, &dfl, nullptr);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  // Why a parent-death signal: `kill -9` of `up` must not leave its server and agents running
  // unseen. SIGTERM lets them stop as after a Ctrl-C. The check after it closes the race where
  // `up` died between fork() and prctl(): then we were already re-parented, and stop here.
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) child_fail(err_fd, errno);
  if (getppid() != parent) _exit(0);
  if (spec.umask) umask(*spec.umask);
  const int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, 0) < 0) child_fail(err_fd, errno);
  if (!spec.log_path.empty()) {
    // Why 0600 and fchmod: the logs name attempts, stacks and errors of private infra; an
    // existing log from an older `up` keeps its mode through O_APPEND unless fixed here.
    const int fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
      child_fail(err_fd, errno);
  }
  // Why: `up` holds sockets to the server (its API client) and files; a child must not keep
  // them open. Marking them close-on-exec (rather than closing) keeps the error pipe usable
  // until the exec succeeds.
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < p.max_fd; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  execve(p.args[0], p.args.data(), p.envp.data());
  child_fail(err_fd, errno);
}

}  // namespace

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "stackrun";
}

std::vector<std::string> supervisor_command() {
  const std::string self = self_exe();
  const std::string small =
      (std::filesystem::path(self).parent_path() / "stackrun-supervise").string();
  if (access(small.c_str(), X_OK) == 0) return {small};
  return {self, "supervise"};
}

Result<pid_t> spawn_child(const ChildSpec& spec) {
  if (spec.argv.empty()) return Error{"cannot start a child without argv"};
  const Prepared p = prepare(spec);
  // The exec's outcome comes back through a close-on-exec pipe: EOF means exec succeeded, an
  // int is the errno of the step that failed.
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0)
    return Error{"cannot start " + spec.argv[0] + ": " + std::strerror(errno)};
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(err_pipe[0]);
    close(err_pipe[1]);
    return Error{"cannot start " + spec.argv[0] + ": " + std::strerror(e)};
  }
  if (pid == 0) {
    close(err_pipe[0]);
    run_child(spec, p, parent, err_pipe[1]);
  }
  close(err_pipe[1]);
  int child_errno = 0;
  ssize_t n = 0;
  do n = read(err_pipe[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close(err_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    // The child has exited (or is about to): the caller's SIGCHLD handling reaps it.
    return Error{"cannot start " + spec.argv[0] + ": " + std::strerror(child_errno)};
  }
  return pid;
}

}  // namespace stackrun::cli
