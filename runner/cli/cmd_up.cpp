// `stackrun up`: the embedded default. Starts a server and N agents as child processes on
// 127.0.0.1 with a SQLite file under the state dir, registers the repo and the agents, writes
// <state-dir>/client.json and up.json, then sleeps until Ctrl-C (or a child exits). On
// SIGINT/SIGTERM it stops the agents (letting running steps finish), then the server; if `up`
// itself is killed, its children get SIGTERM from the kernel (spawn.hpp).
// The state dir is private: mode 0700, its files 0600 (set again on an existing one), the
// server runs with umask 077 (its database, WAL and port file), each agent's token is a 0600
// file (never argv or the environment). Agents keep the operator's umask, for their steps.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "runner/cli/commands.hpp"
#include "runner/cli/io.hpp"
#include "runner/cli/spawn.hpp"
#include "runner/cli/supervise.hpp"
#include "runner/client/api.hpp"
#include "runner/client/client_config.hpp"
#include "runner/git/repo.hpp"
#include "runner/proc/launch.hpp"
#include "runner/server/tokens.hpp"
#include "runner/wire/cli_formats.hpp"

namespace stackrun::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

struct UpArgs {
  std::string repo, state_dir, branch, lease = "30s", grace = "10s", secrets_dir;
  std::vector<std::string> pass_env;  // passed on to each agent
  int agents = 2, capacity = 2, port = 0;
};

struct Children {
  pid_t server = -1;
  std::vector<std::pair<std::string, pid_t>> agents;  // name, pid; in start order
  std::vector<pid_t> agent_pids() const {
    std::vector<pid_t> out;
    for (const auto& a : agents) out.push_back(a.second);
    return out;
  }
};

std::string detect_branch(const std::string& repo_dir) {
  auto repo = git::open_repo(repo_dir);
  if (!repo) return "master";
  if (!(*repo)->resolve("refs/heads/master") && (*repo)->resolve("refs/heads/main")) return "main";
  return "master";
}

// Stops everything in order. Agents all get SIGTERM first and are then waited for together:
// they stop claiming and let running steps finish (an apply is never cut short), so the wait is
// long; only what is left after it gets SIGKILL. The server goes last, so agents can report.
void stop_all(ChildSignals& signals, const Children& c) {
  const std::vector<pid_t> agents = c.agent_pids();
  signal_all(agents, SIGTERM);
  auto left = wait_children(signals, agents, Clock::now() + seconds(120));
  signal_all(left, SIGKILL);
  wait_children(signals, left, Clock::now() + seconds(2));
  if (c.server <= 0) return;
  signal_all({c.server}, SIGTERM);
  if (!wait_children(signals, {c.server}, Clock::now() + seconds(10)).empty()) {
    signal_all({c.server}, SIGKILL);
    wait_children(signals, {c.server}, Clock::now() + seconds(2));
  }
}

enum class Startup { ready, died, interrupted, timed_out };

// Waits for the server to write its port file, checking every 100 ms for at most 30 s, and
// returning early if the server exits or SIGINT/SIGTERM arrives.
Startup wait_for_port(ChildSignals& signals, const std::string& port_file, pid_t server,
                      int& port) {
  for (int i = 0; i < 300; ++i) {
    if (auto text = read_file(port_file); text && std::atoi(text->c_str()) > 0) {
      port = std::atoi(text->c_str());
      return Startup::ready;
    }
    const int sig = signals.wait_until(Clock::now() + std::chrono::milliseconds(100));
    if (sig == SIGINT || sig == SIGTERM) return Startup::interrupted;
    if (waitpid(server, nullptr, WNOHANG) == server) return Startup::died;
  }
  return Startup::timed_out;
}

std::vector<std::string> agent_argv(const UpArgs& a, const std::string& server_url,
                                    const std::string& name, const fs::path& state,
                                    const std::string& token_file) {
  std::vector<std::string> argv = {self_exe(),     "agent",
                                   "--server",     server_url,
                                   "--name",       name,
                                   "--capacity",   std::to_string(a.capacity),
                                   "--work-dir",   (state / "agents" / name).string(),
                                   "--grace",      a.grace,
                                   "--token-file", token_file};
  for (const std::string& p : a.pass_env) argv.insert(argv.end(), {"--pass-env", p});
  if (!a.secrets_dir.empty())
    argv.insert(argv.end(), {"--secrets-dir", fs::absolute(a.secrets_dir).string()});
  return argv;
}

// Makes the state dir private: 0700 for it and agents/, 0600 for each file in them (the
// database, its WAL, logs, tokens, client.json), also when an older `up` left them open.
// Returns false after printing why.
bool make_state_private(const fs::path& state) {
  for (const fs::path& dir : {state, state / "agents"}) {
    if (::chmod(dir.c_str(), 0700) != 0) {
      std::cerr << "stackrun up: cannot make " << dir.string()
                << " private (mode 0700): " << std::strerror(errno) << "\n";
      return false;
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::error_code ignored;
      if (e.is_regular_file(ignored) && !e.is_symlink(ignored)) ::chmod(e.path().c_str(), 0600);
    }
  }
  return true;
}

// Registers the repo (if any) and each agent, starting each agent with its fresh token.
// Returns false after printing why.
bool register_and_start(client::OperatorClient& api, const UpArgs& a, const fs::path& state,
                        const std::string& server_url, const std::string& repo_dir,
                        Children& children) {
  if (!repo_dir.empty()) {
    const std::string branch = a.branch.empty() ? detect_branch(repo_dir) : a.branch;
    auto r = api.register_repo({fs::path(repo_dir).filename().string(), repo_dir, branch});
    if (!r) {
      std::cerr << "stackrun up: registering " << repo_dir << ": " << r.error().message << "\n";
      return false;
    }
  }
  for (int i = 1; i <= a.agents; ++i) {
    const std::string name = "agent-" + std::to_string(i);
    auto creds = api.register_agent({name, "", a.capacity});
    if (!creds) {
      std::cerr << "stackrun up: registering " << name << ": " << creds.error().message << "\n";
      return false;
    }
    // Why a file: a token in argv is visible to every user, and one in the environment would
    // be inherited by whatever the agent starts before it could remove it.
    const std::string token_file = (state / "agents" / (name + ".token")).string();
    if (auto w = client::write_private_file(token_file, creds->token + "\n"); !w) {
      std::cerr << "stackrun up: " << w.error() << "\n";
      return false;
    }
    auto pid = spawn_child({agent_argv(a, server_url, name, state, token_file),
                            {},
                            (state / "agents" / (name + ".log")).string(),
                            std::nullopt});
    if (!pid) {
      std::cerr << "stackrun up: " << pid.error() << "\n";
      return false;
    }
    children.agents.push_back({name, *pid});
  }
  return true;
}

// Sleeps until a signal. SIGINT/SIGTERM: stop everything (exit 0). A child's exit: an agent is
// reported and forgotten; the server's takes the agents down (exit 1).
int supervise(ChildSignals& signals, Children& c, const fs::path& state) {
  for (;;) {  // one pass per signal; ends on a stop or the server's exit
    const int sig = signals.wait();
    if (sig == SIGINT || sig == SIGTERM) {
      std::cout << "stackrun up: stopping agents (running steps finish first), then the server\n"
                << std::flush;
      stop_all(signals, c);
      std::cout << "stackrun up: stopped\n";
      return 0;
    }
    for (const ExitedChild& e : reap_children()) {
      if (e.pid == c.server) {
        std::cerr << "stackrun up: the server exited unexpectedly; see "
                  << (state / "server.log").string() << "\n";
        const std::vector<pid_t> agents = c.agent_pids();
        signal_all(agents, SIGTERM);
        wait_children(signals, agents, Clock::now() + seconds(10));
        return 1;
      }
      for (const auto& [name, pid] : c.agents) {
        if (pid == e.pid)
          std::cerr << "stackrun up: " << name << " exited; see "
                    << (state / "agents" / (name + ".log")).string() << "\n";
      }
      std::erase_if(c.agents, [&](const auto& p) { return p.second == e.pid; });
    }
  }
}

int run_up(const UpArgs& a) {
  const fs::path state = fs::absolute(client::default_state_dir(a.state_dir));
  for (const std::string& p : a.pass_env) {
    if (auto err = proc::env_pattern_error(p)) {
      std::cerr << "stackrun up: --pass-env: " << *err << "\n";
      return 2;
    }
  }
  std::error_code ec;
  fs::create_directories(state / "agents", ec);
  if (ec) {
    std::cerr << "stackrun up: cannot create " << state << ": " << ec.message() << "\n";
    return 2;
  }
  if (!make_state_private(state)) return 2;
  std::string repo_dir;
  if (!a.repo.empty()) {
    repo_dir = fs::absolute(a.repo).lexically_normal().string();
    if (!repo_dir.empty() && repo_dir.back() == '/') repo_dir.pop_back();
    if (auto r = git::open_repo(repo_dir); !r) {
      std::cerr << "stackrun up: --repo " << a.repo << ": " << r.error() << "\n";
      return 2;
    }
  }
  ChildSignals signals;  // before the first child, so that no exit goes unseen
  const std::string token = server::new_token();
  const std::string port_file = (state / "server.port").string();
  fs::remove(port_file, ec);
  Children children;
  // Why umask 077 for the server: SQLite creates the database, its -wal and -shm with mode
  // 0644 less the umask, and they hold every log line and pipeline of the repo.
  auto server = spawn_child(
      {{self_exe(), "server", "--db", (state / "stackrun.db").string(), "--listen",
        "127.0.0.1:" + std::to_string(a.port), "--port-file", port_file, "--lease", a.lease},
       {{"STACKRUN_BOOTSTRAP_TOKEN", token}},
       (state / "server.log").string(),
       mode_t{077}});
  if (!server) {
    std::cerr << "stackrun up: " << server.error() << "\n";
    return 1;
  }
  children.server = *server;
  int port = 0;
  switch (wait_for_port(signals, port_file, *server, port)) {
    case Startup::ready:
      break;
    case Startup::interrupted:
      stop_all(signals, children);
      std::cout << "stackrun up: stopped\n";
      return 0;
    case Startup::died:
    case Startup::timed_out:
      std::cerr << "stackrun up: the server did not start; see " << (state / "server.log").string()
                << "\n";
      if (waitpid(*server, nullptr, WNOHANG) == 0) {  // still there (timed out): not reaped yet
        signal_all({*server}, SIGKILL);
        wait_children(signals, {*server}, Clock::now() + seconds(2));
      }
      return 1;
  }
  const client::ClientConfig config{"http://127.0.0.1:" + std::to_string(port), token};
  client::OperatorClient api(config);
  if (!register_and_start(api, a, state, config.server, repo_dir, children)) {
    stop_all(signals, children);
    return 1;
  }
  // Written once the repo and agents are registered: a script that waits for client.json can
  // trigger at once.
  if (auto w = client::write_client_json(state.string(), config); !w) {
    std::cerr << "stackrun up: " << w.error() << "\n";
    stop_all(signals, children);
    return 1;
  }
  wire::UpFile up{children.server, {}};
  for (const auto& [name, pid] : children.agents) up.agents.emplace_back(name, pid);
  if (auto w = client::write_private_file((state / "up.json").string(), wire::encode(up) + "\n");
      !w)
    std::cerr << "stackrun up: " << w.error() << "\n";  // only scripts read it: go on

  std::cout << "stackrun up: server " << config.server << ", " << a.agents << " agent(s) x "
            << a.capacity << " slot(s), state in " << state.string() << "\n";
  if (!repo_dir.empty())
    std::cout << "stackrun up: repo \"" << fs::path(repo_dir).filename().string() << "\" -> "
              << repo_dir << "\n";
  std::cout << "stackrun up: CLI config in " << (state / "client.json").string()
            << "; try `stackrun trigger push`, `stackrun runs`. Ctrl-C stops everything.\n"
            << std::flush;
  return supervise(signals, children, state);
}

}  // namespace

void add_up(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("up", "Start a server and agents on 127.0.0.1 (the embedded default)");
  cmd->footer(
      "Writes <state-dir>/client.json (mode 0600) so other subcommands find the server.\n"
      "The state dir is made private (0700, its files 0600). If `up` is killed, its server\n"
      "and agents get SIGTERM. Steps see only an allow-list of this environment (see\n"
      "`stackrun agent --help`) and what --pass-env names.\n"
      "Exit status: 0 after a clean stop (Ctrl-C/SIGTERM), 1 a child failed to start or the\n"
      "server died, 2 usage.");
  auto a = std::make_shared<UpArgs>();
  cmd->add_option("--repo", a->repo, "Infra repo (a local git repo) to register");
  cmd->add_option("--agents", a->agents, "Agent processes")
      ->check(CLI::Range(1, 32))
      ->capture_default_str();
  cmd->add_option("--capacity", a->capacity, "Job slots per agent")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--state-dir", a->state_dir,
                  "SQLite file, logs, client.json (default ./.stackrun-state)");
  cmd->add_option("--port", a->port, "Server port on 127.0.0.1 (default: a free one)");
  cmd->add_option("--branch", a->branch,
                  "The repo's default branch (default: master, or main if only that exists)");
  cmd->add_option("--lease", a->lease, "Attempt lease")->capture_default_str();
  cmd->add_option("--grace", a->grace, "Agents' SIGINT->SIGTERM->SIGKILL spacing")
      ->capture_default_str();
  cmd->add_option("--pass-env", a->pass_env,
                  "Also give steps this variable of up's environment; * matches any run of "
                  "characters, e.g. 'STACKRUN_STUB_*' (repeatable; passed to each agent)");
  cmd->add_option("--secrets-dir", a->secrets_dir,
                  "Agents' directory of secret files (see `stackrun agent --help`)");
  cmd->callback([a, &exit_code] { exit_code = run_up(*a); });
}

}  // namespace stackrun::cli
