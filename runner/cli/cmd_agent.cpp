// `stackrun agent`: claim jobs from a server and run them. The composition root: parses flags,
// builds the real adapters (HTTP link, libgit2 workspaces, Boost.Process runner), turns
// SIGINT/SIGTERM into a stop request, runs agent::run_agent.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <stop_token>
#include <thread>

#include "agents/agent.hpp"
#include "agents/http_server_link.hpp"
#include "runner/cli/commands.hpp"

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
  std::string server_url, token;
  std::string grace = "10s";
};

int run_agent_cmd(AgentArgs& a) {
  if (a.token.empty())
    if (const char* t = std::getenv("STACKRUN_AGENT_TOKEN"); t && *t) a.token = t;
  if (a.token.empty()) {
    std::cerr << "stackrun agent: no token: pass --token or set STACKRUN_AGENT_TOKEN\n";
    return 2;
  }
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

  const std::string name = a.o.name;
  auto runner = proc::make_process_runner();
  agent::GitWorkspaceMaker workspaces((std::filesystem::path(a.o.work_dir) / "cache").string());
  const agent::AgentDeps deps{
      [url = a.server_url, token = a.token] {
        return std::make_unique<agent::HttpServerLink>(url, token);
      },
      *runner,
      workspaces,
      proc::current_environment(),
      // One fprintf per line: stdio locks the stream per call, so slots' lines never mix.
      [name](const std::string& line) {
        std::fprintf(stderr, "stackrun agent %s: %s\n", name.c_str(), line.c_str());
      },
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
      "Token: --token or STACKRUN_AGENT_TOKEN (prefer the variable: argv is visible to every "
      "user).");
  auto a = std::make_shared<AgentArgs>();
  cmd->add_option("--server", a->server_url, "Server URL, e.g. http://127.0.0.1:8480")->required();
  cmd->add_option("--token", a->token, "This agent's token");
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
                "Do not delete job workspaces (debugging)");
  cmd->callback([a, &exit_code] { exit_code = run_agent_cmd(*a); });
}

}  // namespace stackrun::cli
