#include "tests/e2e/harness.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runner/http/http.hpp"

extern char** environ;

namespace stackrun::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
const std::string kSrc = STACKRUN_SOURCE_DIR;
const std::string kBin = STACKRUN_BIN;

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& log) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);  // own group: killing it never reaches the test runner
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void stop(pid_t pid, int sig) {
  if (pid <= 0) return;
  kill(pid, sig);
  for (int i = 0; i < 200; ++i) {  // bounded: 20 s
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

std::string random_token() {
  std::random_device rd;
  std::ostringstream s;
  for (int i = 0; i < 4; ++i) s << std::hex << rd();
  return "sr_test_" + s.str();
}

std::string git(const std::string& repo, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", repo};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = testing::run_command(argv);
  if (r.exit_code != 0) throw std::runtime_error("git failed: " + r.err);
  return r.out;
}

}  // namespace

const char* const kOneStepApply =
    R"YAML(# Push-apply: apply every stack changed since it was last applied, platform tier first.
version: 1
name: apply
kind: apply
when:
  - event: push
    branch: [master, main]
    path: {include: ["stacks/**", "modules/**"], exclude: ["**/*.md"]}
  - event: manual
stacks:
  root: stacks
  marker: terragrunt.hcl
  select: changed
  human_only:
    vault: Tier-0, human-applied via OIDC
tiers:
  - name: platform
    stacks: [infra, cnpg, dbaas, vault, external-secrets]
    parallelism: 1
  - name: apps
    parallelism: 4
steps:
  - name: apply
    command: terragrunt apply --non-interactive -auto-approve -lock-timeout=${TG_LOCK_TIMEOUT:-1m}
    env: {VAULT_ADDR: "http://vault-active.vault.svc.cluster.local:8200"}
    timeout: 30m
on_failure:
  lock: {wait: 5m, poll: 10s, then: skip}
  transient: {attempts: 3, backoff: 15s, max_backoff: 2m}
classify:
  transient: ["pq: (?:unexpected EOF|connection reset by peer)"]
)YAML";

Cluster::Cluster(const std::string& apply_yaml, const std::string& drift_yaml) {
  root_ = dir_.path().string();
  repo_ = root_ + "/infra";
  stub_state_ = root_ + "/tfstate";
  db_ = root_ + "/stackrun.db";
  token_ = random_token();
  fs::create_directories(stub_state_);
  auto made = testing::run_command({kSrc + "/examples/make-sample-repo", repo_});
  if (made.exit_code != 0) throw std::runtime_error("make-sample-repo: " + made.err);
  if (!apply_yaml.empty()) commit_file(".stackrun/apply.yml", apply_yaml, "test apply pipeline");
  if (!drift_yaml.empty()) commit_file(".stackrun/drift.yml", drift_yaml, "test drift pipeline");
  const char* path = std::getenv("PATH");
  base_env_ = {{"PATH", kSrc + "/examples/bin:" + (path ? path : "/usr/bin:/bin")},
               {"STACKRUN_STUB_STATE", stub_state_},
               {"STACKRUN_STUB_APPLY_SECONDS", "0.3"},
               {"STACKRUN_STUB_PLAN_SECONDS", "0.1"}};
}

Cluster::~Cluster() {
  for (auto& [name, pid] : agents_) stop(pid, SIGTERM);
  stop(server_, SIGTERM);
  if (::testing::Test::HasFailure()) dir_.keep();
}

std::string Cluster::server_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void Cluster::start_server(const std::string& lease) {
  const std::string port_file = root_ + "/server.port";
  fs::remove(port_file);
  // The same port on a restart, so agents reconnect to the URL they know.
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::vector<std::string> argv = {
        kBin,          "server",  "--db",    db_,  "--listen", "127.0.0.1:" + std::to_string(port_),
        "--port-file", port_file, "--lease", lease};
    argv.insert(argv.end(), server_args_.begin(), server_args_.end());
    auto env = server_env_;
    env["STACKRUN_BOOTSTRAP_TOKEN"] = token_;
    server_ = spawn(argv, env, root_ + "/server.log");
    for (int i = 0; i < 100; ++i) {  // bounded: 10 s
      std::ifstream f(port_file);
      int p = 0;
      if (f >> p && p > 0) {
        port_ = p;
        http::Client c(server_url());
        if (auto r = c.request("GET", "/api/v1/health"); r && r->status == 200) {
          http::Client op(server_url(), token_);
          auto reg = op.request(
              "POST", "/api/v1/repos",
              json{{"name", "infra"}, {"url", repo_}, {"default_branch", "master"}}.dump());
          // 503: a store that cannot be written yet (a fault test); the repo is registered already.
          if (!reg || (reg->status != 200 && reg->status != 503))
            throw std::runtime_error("cannot register the repo");
          return;
        }
      }
      if (waitpid(server_, nullptr, WNOHANG) == server_) break;  // e.g. port still in use
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    stop(server_, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw std::runtime_error("server did not start; see " + root_ + "/server.log");
}

bool Cluster::wait_server_exit(std::chrono::seconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (server_ > 0 && waitpid(server_, nullptr, WNOHANG) == server_) {
      server_ = -1;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void Cluster::kill_server(int sig) {
  stop(server_, sig);
  server_ = -1;
}

pid_t Cluster::start_agent(const std::string& name, int capacity, const std::string& grace) {
  if (!agent_tokens_.count(name)) {
    http::Client c(server_url(), token_);
    auto r =
        c.request("POST", "/api/v1/agents", json{{"name", name}, {"capacity", capacity}}.dump());
    if (!r || r->status != 200) throw std::runtime_error("cannot register agent " + name);
    agent_tokens_[name] = json::parse(r->body).value("token", "");
  }
  auto env = base_env_;
  env["STACKRUN_AGENT_TOKEN"] = agent_tokens_[name];
  std::vector<std::string> argv = {kBin, "agent", "--server", server_url(), "--name", name};
  argv.insert(argv.end(), {"--capacity", std::to_string(capacity), "--work-dir",
                           root_ + "/agents/" + name, "--grace", grace, "--claim-wait-ms", "2000"});
  // Steps see only an allow-list of the agent's environment: pass what the tests set for them.
  for (const auto& [k, v] : base_env_) argv.insert(argv.end(), {"--pass-env", k});
  argv.insert(argv.end(), agent_args_.begin(), agent_args_.end());
  const pid_t pid = spawn(argv, env, root_ + "/agent-" + name + ".log");
  agents_[name] = pid;
  return pid;
}

void Cluster::kill_agent(const std::string& name, int sig) {
  auto it = agents_.find(name);
  if (it == agents_.end()) return;
  stop(it->second, sig);
  agents_.erase(it);
}

int Cluster::stop_agent(const std::string& name, int sig, std::chrono::seconds timeout) {
  auto it = agents_.find(name);
  if (it == agents_.end()) return -1;
  const pid_t pid = it->second;
  agents_.erase(it);
  kill(pid, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

std::string Cluster::use_server_config(const std::string& name, const std::string& clone_url,
                                       const std::string& repo_keys,
                                       const std::string& source_keys) {
  const std::string config = root_ + "/server.yml";
  testing::write_file(root_ + "/hook-secret", "s3cret\n");
  testing::write_file(config, "version: 1\nrepos:\n  - name: " + name +
                                  "\n    default_branch: master\n" + repo_keys +
                                  "    sources:\n      - name: infra-forgejo\n"
                                  "        kind: forgejo\n        clone_url: " +
                                  clone_url + "\n        secrets: [{file: hook-secret}]\n" +
                                  source_keys);
  server_args_ = {"--config", config};
  return config;
}

testing::CommandResult Cluster::cli(const std::vector<std::string>& args,
                                    std::chrono::seconds timeout) {
  std::vector<std::string> argv = {kBin};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::run_command(argv, "", timeout,
                              {{"STACKRUN_SERVER", server_url()}, {"STACKRUN_TOKEN", token_}});
}

std::string Cluster::commit_change(const std::vector<std::string>& files,
                                   const std::string& message) {
  static int counter = 0;
  for (const auto& f : files) {
    std::ofstream out(repo_ + "/" + f, std::ios::app);
    out << "# change " << ++counter << "\n";
  }
  git(repo_, {"add", "-A"});
  git(repo_, {"commit", "-q", "-m", message});
  std::string sha = git(repo_, {"rev-parse", "HEAD"});
  return sha.substr(0, sha.find('\n'));
}

std::string Cluster::commit_file(const std::string& path, const std::string& content,
                                 const std::string& message) {
  testing::write_file(repo_ + "/" + path, content);
  git(repo_, {"add", "-A"});
  git(repo_, {"commit", "-q", "-m", message});
  std::string sha = git(repo_, {"rev-parse", "HEAD"});
  return sha.substr(0, sha.find('\n'));
}

long long Cluster::trigger_push() {
  auto r = cli({"trigger", "push"});
  if (r.exit_code != 0 || r.out.empty()) throw std::runtime_error("trigger push failed: " + r.err);
  return std::stoll(r.out);
}

json Cluster::show(long long run) {
  auto r = cli({"show", std::to_string(run), "--json"});
  if (r.exit_code != 0) throw std::runtime_error("show failed: " + r.err);
  return json::parse(r.out);
}

json Cluster::wait_run(long long run, std::chrono::seconds timeout) {
  json last;
  wait_until(
      run,
      [&](const json& j) {
        last = j;
        const std::string s = j.value("status", "");
        return s != "queued" && s != "running";
      },
      timeout);
  return last;
}

bool Cluster::wait_until(long long run, const std::function<bool(const json&)>& pred,
                         std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = cli({"show", std::to_string(run), "--json"}, std::chrono::seconds(10));
    if (r.exit_code == 0 && pred(json::parse(r.out))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

void Cluster::add_fault(const std::string& stack, const std::string& fault) {
  // The stub names state files with '/' -> '__'.
  std::string file;
  for (char c : stack) file += c == '/' ? std::string("__") : std::string(1, c);
  fs::create_directories(stub_state_ + "/faults");
  std::ofstream(stub_state_ + "/faults/" + file, std::ios::app) << fault << "\n";
}

std::vector<Cluster::LockEvent> Cluster::lock_log() const {
  std::vector<LockEvent> out;
  std::ifstream f(stub_state_ + "/lock.log");
  LockEvent e;
  while (f >> e.what >> e.stack >> e.pid >> e.ns) out.push_back(e);
  return out;
}

void Cluster::expect_no_overlap() const {
  std::map<std::string, long long> holder;  // stack -> pid holding it
  for (const auto& e : lock_log()) {
    if (e.what == "acquire") {
      EXPECT_EQ(holder.count(e.stack), 0u)
          << "two holders of " << e.stack << ": pid " << holder[e.stack] << " and " << e.pid;
      holder[e.stack] = e.pid;
    } else if (e.what == "release") {
      holder.erase(e.stack);
    }
  }
}

const json& job_of(const json& run, const std::string& label) {
  for (const auto& j : run["jobs"])
    if (j.value("label", "") == label) return j;
  throw std::runtime_error("no job " + label + " in run " + run.dump());
}

}  // namespace stackrun::e2e
