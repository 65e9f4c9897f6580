// `stackrun agent`: claim jobs from a server and run them.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <iostream>
#include <unistd.h>

#include "agents/agent.hpp"
#include "runner/cli/commands.hpp"

namespace stackrun::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop = true; }

struct AgentArgs {
  agent::AgentOptions o;
  std::string grace = "10s";
};

int run_agent_cmd(AgentArgs& a) {
  if (a.o.token.empty())
    if (const char* t = std::getenv("STACKRUN_AGENT_TOKEN"); t && *t) a.o.token = t;
  if (a.o.token.empty()) {
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
  // A handler, not a blocked mask: steps inherit the signal mask, and terragrunt must be
  // able to receive the SIGINT of a graceful stop.
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::cerr << "stackrun agent " << a.o.name << ": serving " << a.o.server_url << " with capacity "
            << a.o.capacity << "\n";
  const int rc = agent::run_agent(a.o, g_stop);
  std::cerr << "stackrun agent " << a.o.name << ": stopped\n";
  return rc;
}

}  // namespace

void add_agent(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("agent", "Claim jobs from a server and run them");
  cmd->footer(
      "SIGINT/SIGTERM: stop claiming, let running steps finish, report, exit.\n"
      "Token: --token or STACKRUN_AGENT_TOKEN (prefer the variable: argv is visible to every user).");
  auto a = std::make_shared<AgentArgs>();
  cmd->add_option("--server", a->o.server_url, "Server URL, e.g. http://127.0.0.1:8480")->required();
  cmd->add_option("--token", a->o.token, "This agent's token");
  cmd->add_option("--name", a->o.name, "Name in logs (default host-pid)");
  cmd->add_option("--capacity", a->o.capacity, "Jobs at once")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--labels", a->o.labels, "Comma-separated labels (key=value or key) jobs may require");
  cmd->add_option("--work-dir", a->o.work_dir, "Repo cache and job workspaces (default .stackrun-agent/NAME)");
  cmd->add_option("--grace", a->grace, "Wait between SIGINT, SIGTERM and SIGKILL when stopping a step")
      ->capture_default_str();
  cmd->add_option("--claim-wait-ms", a->o.claim_wait_ms, "Long-poll length of one claim")->capture_default_str();
  cmd->add_flag("--keep-workspaces", a->o.keep_workspaces, "Do not delete job workspaces (debugging)");
  cmd->callback([a, &exit_code] { exit_code = run_agent_cmd(*a); });
}

}  // namespace stackrun::cli
