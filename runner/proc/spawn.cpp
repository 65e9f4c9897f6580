#include "runner/proc/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/pipe.hpp>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "runner/proc/launch.hpp"

namespace stackrun::proc {
namespace {

namespace bp = boost::process;

Error cannot_start(const Launch& launch, const std::string& reason) {
  const std::string argv0 = launch.argv.empty() ? std::string() : launch.argv.front();
  return Error{"cannot start \"" + argv0 + "\": " + reason};
}

std::string errno_text(int err) {
  return std::error_code(err, std::system_category()).message();
}

// The PATH that argv[0] is looked up in: the child's own, else ours, else the POSIX default.
std::string search_path(const Launch& launch) {
  if (auto p = find_env(launch.env, "PATH")) return *p;
  if (const char* p = std::getenv("PATH")) return p;
  return "/bin:/usr/bin";
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// What to execve: argv[0] itself if it has a '/' (execve reports what is wrong with it),
// else the first executable candidate on PATH. Relative candidates are checked against
// launch.cwd because execve runs after the child's chdir.
Result<std::string> resolve_program(const Launch& launch) {
  const std::string& program = launch.argv.front();
  if (program.find('/') != std::string::npos) return program;
  const std::string path = search_path(launch);
  for (const std::string& candidate : program_candidates(program, path)) {
    const bool relative = candidate.front() != '/' && !launch.cwd.empty();
    if (is_executable_file(relative ? launch.cwd + "/" + candidate : candidate)) return candidate;
  }
  return cannot_start(launch, "not found in PATH \"" + path + "\"");
}

// Names are checked because Boost.Process would silently build a wrong entry from them.
Result<bp::environment> make_environment(const Launch& launch) {
  bp::environment env;  // starts empty: the child inherits nothing
  for (const auto& [name, value] : launch.env) {
    if (name.empty() || name.find_first_of(std::string("=\0", 2)) != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return cannot_start(launch, "invalid environment entry \"" + name + "\"");
    }
    env[name] = value;  // a repeated name: the last value wins
  }
  return env;
}

// A pipe whose two ends are close-on-exec and above fd 2. Why close-on-exec: another thread
// of the agent may spawn concurrently, and a child of theirs inheriting our write end would
// keep our step's output open (no EOF) for as long as it lives. Why above 2: dup2(fd, 1) on
// fd 1 itself would not clear close-on-exec, and the step would start without a stdout.
Result<std::pair<int, int>> make_output_pipe(const Launch& launch) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return cannot_start(launch, "cannot create the output pipe: " + errno_text(errno));
  }
  for (int& fd : fds) {
    if (fd > STDERR_FILENO) continue;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    const int err = errno;
    ::close(fd);
    fd = moved;
    if (moved < 0) {
      for (int other : fds) {
        if (other >= 0) ::close(other);
      }
      return cannot_start(launch, "cannot create the output pipe: " + errno_text(err));
    }
  }
  return std::make_pair(fds[0], fds[1]);
}

// Boost.Process extension: exact argv, own process group, clean signal state, checked chdir.
// on_exec_setup runs in the forked child before execve, so it only makes async-signal-safe
// calls on data prepared in the parent.
class GroupLeaderSetup : public bp::extend::handler {
 public:
  GroupLeaderSetup(const char* exe, char* const* argv, const char* cwd, pid_t* failed_pid)
      : exe_(exe), argv_(argv), cwd_(cwd), failed_pid_(failed_pid) {}

  // Runs after Boost built its own command line (builder initializers run first). Why:
  // Boost would pass the resolved path as argv[0]; the child must see launch.argv unchanged.
  template <class Executor>
  void on_setup(Executor& e) const {
    e.exe = exe_;
    e.cmd_line = argv_;
  }

  template <class Executor>
  void on_exec_setup(Executor& e) const {
    // Why a process group of its own: graceful stop signals go to kill(-pgid) so they reach
    // terragrunt's terraform/helm children too, and a Ctrl-C at the agent's terminal goes to
    // the foreground group only, not straight into a running step. The parent learns of
    // the exec (or failure) before returning, so no signal can be sent before this ran.
    if (::setpgid(0, 0) != 0) fail(e, "setpgid");
    // Why reset dispositions and the mask: ignored signals and the blocked mask survive
    // execve, so an agent that ignores SIGPIPE or blocks SIGINT/SIGTERM for a signal thread
    // would otherwise hand a step deaf to our graceful stop (and broken `cmd | head`).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < 32; ++sig) {  // the standard signals
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Why not bp::start_dir: Boost 1.74 ignores its chdir() failure, which would run the
    // step (say `terragrunt apply`) in the agent's directory instead of failing it.
    if (cwd_ != nullptr && ::chdir(cwd_) != 0) fail(e, "chdir");
  }

  // Why: on a failed exec Boost returns without reaping the forked child; we do it.
  template <class Executor>
  void on_error(Executor& e, const std::error_code&) const {
    if (e.pid > 0) *failed_pid_ = e.pid;
  }

 private:
  // Reports errno through Boost's error pipe (the parent's `ec`), then exits: Boost's
  // set_error alone would let the child go on to execve.
  template <class Executor>
  static void fail(Executor& e, const char* what) {
    e.set_error(std::error_code(errno, std::system_category()), what);
    ::_exit(127);
  }

  const char* exe_;
  char* const* argv_;
  const char* cwd_;
  pid_t* failed_pid_;
};

// Why SIGKILL first: Boost reports some child-side errors (a failed dup2) and still lets
// that child execve; a child we report as "not started" must not run.
void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<Spawned> spawn_group_leader(const Launch& launch) {
  if (launch.argv.empty()) return cannot_start(launch, "the command line is empty");
  for (const std::string& arg : launch.argv) {
    if (arg.find('\0') != std::string::npos) {
      return cannot_start(launch, "an argument contains a NUL byte");
    }
  }
  if (!launch.cwd.empty()) {
    struct stat st {};
    if (::stat(launch.cwd.c_str(), &st) != 0) {
      return cannot_start(launch, "working directory \"" + launch.cwd + "\": " + errno_text(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
      return cannot_start(launch, "working directory \"" + launch.cwd + "\" is not a directory");
    }
  }
  auto exe = resolve_program(launch);
  if (!exe) return Error{exe.error()};
  auto env = make_environment(launch);
  if (!env) return Error{env.error()};
  auto fds = make_output_pipe(launch);
  if (!fds) return Error{fds.error()};

  std::vector<std::string> args = launch.argv;  // owned copies: execve wants char* const*
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  bp::pipe output(fds->first, fds->second);  // owns both ends from here on
  pid_t failed_pid = -1;
  GroupLeaderSetup setup(exe->c_str(), argv.data(),
                         launch.cwd.empty() ? nullptr : launch.cwd.c_str(), &failed_pid);
  std::error_code ec;
  pid_t pid = -1;
  try {
    // Why stdin from /dev/null: a step must never block on a prompt; a read gets EOF at once
    // and the tool fails with its own message. Why one pipe for stdout and stderr: the log
    // shows their lines in exactly the order the child wrote them. (Boost closes our write
    // end once the child has it.)
    bp::child child(bp::exe = *exe, *env, (bp::std_in < bp::null),
                    ((bp::std_out & bp::std_err) > output), setup, ec);
    if (!ec) {
      pid = child.id();
      child.detach();  // why: run() reaps with waitpid itself; ~child must not touch the pid
    }
  } catch (const std::exception& e) {  // Boost still throws for a few setup failures
    if (failed_pid > 0) kill_and_reap(failed_pid);
    return cannot_start(launch, e.what());
  }
  if (ec) {
    if (failed_pid > 0) kill_and_reap(failed_pid);
    return cannot_start(launch, ec.message());
  }
  Spawned spawned;
  spawned.pid = pid;
  spawned.output_fd = output.native_source();
  output.assign_source(-1);
  return spawned;
}

}  // namespace stackrun::proc
