// `stackrun up`: the embedded default. Starts a server and N agents as child processes on
// 127.0.0.1 with a SQLite file under the state dir, registers the repo, writes
// <state-dir>/client.json, and on Ctrl-C stops agents (letting running steps finish), then
// the server.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "runner/cli/api_client.hpp"
#include "runner/cli/commands.hpp"
#include "runner/cli/io.hpp"
#include "runner/cli/signals.hpp"
#include "runner/cli/spawn.hpp"
#include "runner/git/repo.hpp"
#include "runner/server/tokens.hpp"

namespace stackrun::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct UpArgs {
  std::string repo, state_dir, branch, lease = "30s", grace = "10s";
  int agents = 2, capacity = 2, port = 0;
};

std::string detect_branch(const std::string& repo_dir) {
  auto repo = git::open_repo(repo_dir);
  if (!repo) return "master";
  if (!(*repo)->resolve("refs/heads/master") && (*repo)->resolve("refs/heads/main")) return "main";
  return "master";
}

int wait_for_port(const std::string& port_file, pid_t server) {
  for (int i = 0; i < 300; ++i) {  // bounded: 30 s
    if (auto text = read_file(port_file)) {
      const int port = std::atoi(text->c_str());
      if (port > 0) return port;
    }
    if (waitpid(server, nullptr, WNOHANG) == server) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

int run_up(const UpArgs& a) {
  const fs::path state = fs::absolute(default_state_dir(a.state_dir));
  std::error_code ec;
  fs::create_directories(state / "agents", ec);
  if (ec) {
    std::cerr << "stackrun up: cannot create " << state << ": " << ec.message() << "\n";
    return 2;
  }
  std::string repo_dir;
  if (!a.repo.empty()) {
    repo_dir = fs::absolute(a.repo).lexically_normal().string();
    if (!repo_dir.empty() && repo_dir.back() == '/') repo_dir.pop_back();
    if (auto r = git::open_repo(repo_dir); !r) {
      std::cerr << "stackrun up: --repo " << a.repo << ": " << r.error() << "\n";
      return 2;
    }
  }
  BlockedSignals signals;
  const std::string exe = self_exe();
  const std::string token = server::new_token();
  const std::string port_file = (state / "server.port").string();
  fs::remove(port_file, ec);
  auto server = spawn_child({exe, "server", "--db", (state / "stackrun.db").string(), "--listen",
                             "127.0.0.1:" + std::to_string(a.port), "--port-file", port_file, "--lease", a.lease},
                            {{"STACKRUN_BOOTSTRAP_TOKEN", token}}, (state / "server.log").string());
  if (!server) {
    std::cerr << "stackrun up: " << server.error() << "\n";
    return 1;
  }
  const int port = wait_for_port(port_file, *server);
  if (port < 0) {
    std::cerr << "stackrun up: the server did not start; see " << (state / "server.log").string() << "\n";
    stop_child(*server, SIGKILL, 2000);
    return 1;
  }
  const ClientConfig client{"http://127.0.0.1:" + std::to_string(port), token};
  if (auto w = write_client_json(state.string(), client); !w) {
    std::cerr << "stackrun up: " << w.error() << "\n";
    stop_child(*server, SIGTERM, 5000);
    return 1;
  }
  std::vector<std::pair<std::string, pid_t>> agents;
  auto stop_all = [&](bool force) {
    for (auto& [name, pid] : agents)
      if (!stop_child(pid, force ? SIGKILL : SIGTERM, force ? 2000 : 0)) {}
    for (auto& [name, pid] : agents) {
      if (!stop_child(pid, SIGTERM, 120'000)) stop_child(pid, SIGKILL, 2000);
    }
    if (!stop_child(*server, SIGTERM, 10'000)) stop_child(*server, SIGKILL, 2000);
  };
  std::string repo_name;
  if (!repo_dir.empty()) {
    repo_name = fs::path(repo_dir).filename().string();
    const std::string branch = a.branch.empty() ? detect_branch(repo_dir) : a.branch;
    auto r = api_call(client, "POST", "/api/v1/repos",
                      json{{"name", repo_name}, {"url", repo_dir}, {"default_branch", branch}}.dump());
    if (!r) {
      std::cerr << "stackrun up: registering " << repo_dir << ": " << r.error() << "\n";
      stop_all(false);
      return 1;
    }
  }
  for (int i = 1; i <= a.agents; ++i) {
    const std::string name = "agent-" + std::to_string(i);
    auto r = api_call(client, "POST", "/api/v1/agents", json{{"name", name}, {"capacity", a.capacity}}.dump());
    if (!r) {
      std::cerr << "stackrun up: registering " << name << ": " << r.error() << "\n";
      stop_all(false);
      return 1;
    }
    const std::string agent_token = json::parse(r->body).value("token", "");
    auto pid = spawn_child({exe, "agent", "--server", client.server, "--name", name, "--capacity",
                            std::to_string(a.capacity), "--work-dir", (state / "agents" / name).string(), "--grace",
                            a.grace},
                           {{"STACKRUN_AGENT_TOKEN", agent_token}}, (state / "agents" / (name + ".log")).string());
    if (!pid) {
      std::cerr << "stackrun up: " << pid.error() << "\n";
      stop_all(false);
      return 1;
    }
    agents.push_back({name, *pid});
  }
  json pids{{"server", *server}, {"agents", json::object()}};
  for (const auto& [name, pid] : agents) pids["agents"][name] = pid;
  std::ofstream(state / "up.json") << pids.dump(2) << "\n";

  std::cout << "stackrun up: server " << client.server << ", " << a.agents << " agent(s) x " << a.capacity
            << " slot(s), state in " << state.string() << "\n";
  if (!repo_name.empty()) std::cout << "stackrun up: repo \"" << repo_name << "\" -> " << repo_dir << "\n";
  std::cout << "stackrun up: CLI config in " << (state / "client.json").string()
            << "; try `stackrun trigger push`, `stackrun runs`. Ctrl-C stops everything.\n"
            << std::flush;

  // Supervise: a signal stops everything in order; a dead server stops everything too.
  for (;;) {
    timespec tick{0, 200'000'000};
    const int sig = sigtimedwait(&signals.set(), nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      std::cout << "stackrun up: stopping agents (running steps finish first), then the server\n" << std::flush;
      stop_all(false);
      std::cout << "stackrun up: stopped\n";
      return 0;
    }
    if (waitpid(*server, nullptr, WNOHANG) == *server) {
      std::cerr << "stackrun up: the server exited unexpectedly; see " << (state / "server.log").string() << "\n";
      for (auto& [name, pid] : agents) stop_child(pid, SIGTERM, 10'000);
      return 1;
    }
    for (auto& [name, pid] : agents) {
      if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == pid) {
        std::cerr << "stackrun up: " << name << " exited; see " << (state / "agents" / (name + ".log")).string()
                  << "\n";
        pid = -1;
      }
    }
    std::erase_if(agents, [](const auto& p) { return p.second < 0; });
  }
}

}  // namespace

void add_up(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("up", "Start a server and agents on 127.0.0.1 (the embedded default)");
  cmd->footer("Writes <state-dir>/client.json (mode 0600) so other subcommands find the server.");
  auto a = std::make_shared<UpArgs>();
  cmd->add_option("--repo", a->repo, "Infra repo (a local git repo) to register");
  cmd->add_option("--agents", a->agents, "Agent processes")->check(CLI::Range(1, 32))->capture_default_str();
  cmd->add_option("--capacity", a->capacity, "Job slots per agent")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--state-dir", a->state_dir, "SQLite file, logs, client.json (default ./.stackrun-state)");
  cmd->add_option("--port", a->port, "Server port on 127.0.0.1 (default: a free one)");
  cmd->add_option("--branch", a->branch, "The repo's default branch (default: master, or main if only that exists)");
  cmd->add_option("--lease", a->lease, "Attempt lease")->capture_default_str();
  cmd->add_option("--grace", a->grace, "Agents' SIGINT->SIGTERM->SIGKILL spacing")->capture_default_str();
  cmd->callback([a, &exit_code] { exit_code = run_up(*a); });
}

}  // namespace stackrun::cli
