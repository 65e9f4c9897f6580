// `stackrun agent`: claim jobs from a server and run them. The composition root: parses flags,
// reads the token and the secret variables and takes them out of its environment, builds the
// steps' base environment (an allow-list), the real adapters (HTTP link, libgit2 workspaces,
// Boost.Process runner), turns SIGINT/SIGTERM into a stop request, runs agent::run_agent.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <stop_token>
#include <thread>

#include "agents/agent.hpp"
#include "agents/http_server_link.hpp"
#include "agents/secrets.hpp"
#include "runner/cli/commands.hpp"
#include "runner/cli/spawn.hpp"
#include "runner/client/client_config.hpp"
#include "runner/git/credentials.hpp"

namespace stackrun::cli {
namespace {

// Write end of the stop pipe, for the signal handler (a lock-free atomic: signal-safe).
std::atomic<int> g_stop_fd{-1};

extern "C" void on_stop_signal(int) {
  // write() is async-signal-safe; the write end is non-blocking, so a full pipe (a storm of
  // signals) drops the byte instead of hanging the handler; one byte is enough to stop.
  const int saved = errno;
  const char byte = 's';
  [[maybe_unused]] const ssize_t n = write(g_stop_fd.load(), &byte, 1);
  errno = saved;
}

// Turns SIGINT/SIGTERM into stop.request_stop() without polling: the handler writes a byte to a
// pipe; a thread blocked in read() on it requests the stop, whose callbacks interrupt every
// parked claim at once.
// Why a handler and not a blocked signal mask: children inherit the mask, and a step must be
// able to receive the SIGINT of a graceful stop.
class StopOnSignal {
 public:
  explicit StopOnSignal(std::stop_source& stop) {
    // Why O_CLOEXEC: steps must not inherit the pipe (a step holding the write end could stop
    // the agent; one holding the read end could swallow a stop).
    if (pipe2(fds_, O_CLOEXEC) != 0) throw std::runtime_error("stackrun agent: pipe2 failed");
    fcntl(fds_[1], F_SETFL, O_NONBLOCK);
    g_stop_fd = fds_[1];
    waiter_ = std::thread([this, &stop] {
      char byte = 0;
      ssize_t n = 0;
      do n = read(fds_[0], &byte, 1);
      while (n < 0 && errno == EINTR);
      stop.request_stop();
    });
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    // Why SA_RESTART: the signal lands on any thread; other threads' blocking calls resume
    // instead of failing with EINTR.
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
  }
  // Restores the default dispositions and ends the waiter (a byte of our own wakes it).
  ~StopOnSignal() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    on_stop_signal(0);
    waiter_.join();
    g_stop_fd = -1;
    close(fds_[0]);
    close(fds_[1]);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  int fds_[2] = {-1, -1};
  std::thread waiter_;
};

struct AgentArgs {
  agent::AgentOptions o;
  std::string server_url, token, token_file, secrets_dir;
  std::string git_token_file, git_user, git_ssh_key;  // forge credentials for remote repo URLs
  std::vector<std::string> pass_env;
  std::string grace = "10s";
};

// The token from --token, --token-file or STACKRUN_AGENT_TOKEN (in that order), or "" after
// printing why not. The variable is removed from this process's environment whatever the
// source, so that no child (step, git helper) ever inherits it. Single-threaded: unsetenv is
// not safe once other threads read the environment.
std::string take_token(const AgentArgs& a) {
  const char* var = std::getenv("STACKRUN_AGENT_TOKEN");
  std::string token = a.token.empty() && var ? var : a.token;
  ::unsetenv("STACKRUN_AGENT_TOKEN");
  if (!a.token_file.empty()) {
    std::string loose;
    auto t = client::read_token_file(a.token_file, loose);
    if (!t) {
      std::cerr << "stackrun agent: --token-file: " << t.error() << "\n";
      return "";
    }
    if (!loose.empty()) std::cerr << "stackrun agent: warning: " << loose << "\n";
    token = *t;
  }
  if (token.empty())
    std::cerr << "stackrun agent: no token: pass --token-file FILE or set STACKRUN_AGENT_TOKEN\n";
  return token;
}

// The STACKRUN_SECRET_* variables, removed from this process's environment (single-threaded,
// as above): from now on a step gets a secret only through its pipeline's `secrets:`.
proc::EnvList take_secret_variables() {
  proc::EnvList secrets = agent::secret_variables(proc::current_environment());
  for (const auto& kv : secrets) ::unsetenv(kv.first.c_str());
  return secrets;
}

// The credentials for fetching remote repos: --git-token-file (as the password of --git-user)
// or --git-ssh-key; none when neither is given. False after printing why not.
bool git_credentials(const AgentArgs& a, git::Credentials& out) {
  if (!a.git_token_file.empty()) {
    std::string loose;
    auto t = client::read_token_file(a.git_token_file, loose);
    if (!t) {
      std::cerr << "stackrun agent: --git-token-file: " << t.error() << "\n";
      return false;
    }
    if (!loose.empty()) std::cerr << "stackrun agent: warning: " << loose << "\n";
    out = git::Credentials::token(*t, a.git_user);
  } else if (!a.git_ssh_key.empty()) {
    if (::access(a.git_ssh_key.c_str(), R_OK) != 0) {
      std::cerr << "stackrun agent: --git-ssh-key " << a.git_ssh_key << ": " << std::strerror(errno)
                << "\n";
      return false;
    }
    out = git::Credentials::ssh_key(a.git_ssh_key, a.git_user.empty() ? "git" : a.git_user);
  }
  return true;
}

// Checks the flags that need more than CLI11 can check; prints why not and returns false.
bool check_args(const AgentArgs& a) {
  for (const std::string& p : a.pass_env) {
    if (auto err = proc::env_pattern_error(p)) {
      std::cerr << "stackrun agent: --pass-env: " << *err << "\n";
      return false;
    }
  }
  std::error_code ec;
  if (!a.secrets_dir.empty() && !std::filesystem::is_directory(a.secrets_dir, ec)) {
    std::cerr << "stackrun agent: --secrets-dir " << a.secrets_dir << ": not a directory\n";
    return false;
  }
  return true;
}

// Creates the work dir with mode 0700, and sets that mode on an existing one. Why: it holds
// checkouts, repo caches and step output before it is masked and shipped; what lies inside
// keeps ordinary modes (steps run with the operator's umask), and this directory guards it all.
bool make_private_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || ::chmod(dir.c_str(), 0700) != 0) {
    std::cerr << "stackrun agent: --work-dir " << dir << ": cannot create it with mode 0700"
              << (ec ? ": " + ec.message() : std::string()) << "\n";
    return false;
  }
  return true;
}

int run_agent_cmd(AgentArgs& a) {
  if (!check_args(a)) return 2;
  a.token = take_token(a);
  if (a.token.empty()) return 2;
  git::Credentials git_creds;
  if (!git_credentials(a, git_creds)) return 2;
  agent::SecretSources secrets{take_secret_variables(), a.secrets_dir};
  auto grace = core::parse_duration(a.grace);
  if (!grace) {
    std::cerr << "stackrun agent: --grace: " << grace.error() << "\n";
    return 2;
  }
  a.o.grace = *grace;
  if (a.o.name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    a.o.name = std::string(host) + "-" + std::to_string(getpid());
  }
  if (a.o.work_dir.empty()) a.o.work_dir = ".stackrun-agent/" + a.o.name;
  if (!make_private_dir(a.o.work_dir)) return 2;

  const std::string name = a.o.name;
  // Steps run under `stackrun-supervise DIR` (runner/proc/supervisor.hpp) beside this
  // executable, or `stackrun supervise DIR` when it is missing.
  auto runner = proc::make_process_runner(supervisor_command());
  agent::GitWorkspaceMaker workspaces((std::filesystem::path(a.o.work_dir) / "cache").string(),
                                      std::move(git_creds));
  const agent::AgentDeps deps{
      [url = a.server_url, token = a.token] {
        return std::make_unique<agent::HttpServerLink>(url, token);
      },
      *runner,
      workspaces,
      // Computed once: the environment does not change after this point.
      proc::step_environment(proc::current_environment(), a.pass_env),
      // One fprintf per line: stdio locks the stream per call, so slots' lines never mix.
      [name](const std::string& line) {
        std::fprintf(stderr, "stackrun agent %s: %s\n", name.c_str(), line.c_str());
      },
      std::move(secrets),
  };
  std::stop_source stop;
  int rc = 0;
  {
    StopOnSignal signals(stop);
    deps.log("serving " + a.server_url + " with capacity " + std::to_string(a.o.capacity));
    rc = agent::run_agent(a.o, deps, stop.get_token());
  }
  deps.log("stopped");
  return rc;
}

}  // namespace

void add_agent(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("agent", "Claim jobs from a server and run them");
  cmd->footer(
      "SIGINT/SIGTERM: stop claiming at once, let running steps finish, report, exit.\n"
      "Exit: 0 after a stop, 1 if the server refuses the token or the protocol, 2 usage.\n"
      "Token: --token-file, or STACKRUN_AGENT_TOKEN (removed from the environment once read).\n"
      "--token works too, but argv is visible to every user on the machine.\n"
      "Steps see PATH, HOME, USER, LOGNAME, LANG, LANGUAGE, LC_*, TZ, TERM, TMPDIR and the proxy\n"
      "variables of this environment, what --pass-env names, the job's CI_*/STACKRUN_* variables\n"
      "and the pipeline's env and secrets; never a token or a STACKRUN_SECRET_* variable.\n"
      "Remote repo URLs (https://, ssh://, git@host:path) are fetched with --git-token-file or\n"
      "--git-ssh-key (a token only over https, or http to loopback); local paths use neither.");
  auto a = std::make_shared<AgentArgs>();
  cmd->add_option("--server", a->server_url, "Server URL, e.g. http://127.0.0.1:8480")->required();
  auto* token = cmd->add_option("--token", a->token,
                                "This agent's token (visible in the process list: prefer "
                                "--token-file or STACKRUN_AGENT_TOKEN)");
  cmd->add_option("--token-file", a->token_file,
                  "File holding this agent's token (a trailing newline is ignored)")
      ->excludes(token);
  auto* git_token = cmd->add_option(
      "--git-token-file", a->git_token_file,
      "File holding a forge token for fetching remote repo URLs (https basic auth, as the "
      "password of --git-user)");
  cmd->add_option("--git-user", a->git_user,
                  "User presented with --git-token-file (default x-access-token) or "
                  "--git-ssh-key (default git, unless the URL names one)");
  cmd->add_option("--git-ssh-key", a->git_ssh_key,
                  "Private key file (no passphrase) for fetching ssh:// and git@host:path repos")
      ->excludes(git_token);
  cmd->add_option("--pass-env", a->pass_env,
                  "Also give steps this variable of the agent's environment; * matches any "
                  "run of characters (repeatable)");
  cmd->add_option("--secrets-dir", a->secrets_dir,
                  "Directory with one file per secret a pipeline's `secrets:` may name "
                  "(STACKRUN_SECRET_<name> variables take precedence)");
  cmd->add_option("--name", a->o.name, "Name in logs (default host-pid)");
  cmd->add_option("--capacity", a->o.capacity, "Jobs at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--labels", a->o.labels,
                  "Comma-separated labels (key=value or key) jobs may require");
  cmd->add_option("--work-dir", a->o.work_dir,
                  "Repo cache and job workspaces (default .stackrun-agent/NAME)");
  cmd->add_option("--grace", a->grace,
                  "Wait between SIGINT, SIGTERM and SIGKILL when stopping a step")
      ->capture_default_str();
  cmd->add_option("--claim-wait-ms", a->o.claim_wait_ms, "Long-poll length of one claim")
      ->check(CLI::Range(1'000, 120'000))
      ->capture_default_str();
  cmd->add_flag("--keep-workspaces", a->o.keep_workspaces,
                "Leave each job's workspace where it ran, not reused (debugging)");
  cmd->add_option("--max-output", a->o.max_output,
                  "Output shipped per attempt, e.g. 128MiB; past it one \"output truncated\" "
                  "line (the end still decides the verdict)")
      ->transform(CLI::AsSizeValue(false))
      ->envname("STACKRUN_MAX_OUTPUT")
      ->capture_default_str();
  cmd->callback([a, &exit_code] { exit_code = run_agent_cmd(*a); });
}

}  // namespace stackrun::cli
