#pragma once
// What the benchmarks that drive a real `stackrun up` share: starting and stopping it, reading
// a process's figures from /proc, triggering a run. Header-only, bench code only.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runner/http/http.hpp"
#include "runner/wire/cli_formats.hpp"
#include "runner/wire/protocol.hpp"
#include "tests/support/run_command.hpp"

namespace stackrun::bench {

inline std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `sh -c command`, throwing with its stderr when it fails.
inline void sh(const std::string& command,
               std::chrono::seconds budget = std::chrono::seconds(120)) {
  auto r = testing::run_command({"/bin/sh", "-c", command}, "", budget);
  if (r.exit_code != 0) throw std::runtime_error(command + ": " + r.err);
}

inline double median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

inline long long wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// User + system CPU seconds of `pid` so far (fields 14 and 15 of /proc/PID/stat); with
// `children`, also those of its children it has waited for (fields 16 and 17).
inline double cpu_s(pid_t pid, bool children = false) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream in(stat.substr(paren + 2));
  std::vector<std::string> f;
  for (std::string t; in >> t && f.size() < 15;) f.push_back(t);
  if (f.size() < 15) return -1;
  long long ticks = std::atoll(f[11].c_str()) + std::atoll(f[12].c_str());
  if (children) ticks += std::atoll(f[13].c_str()) + std::atoll(f[14].c_str());
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A "Key:  N kB" figure of /proc/PID/<file> (status, smaps_rollup) in KiB; -1 when absent.
inline long long proc_kib(pid_t pid, const std::string& file, const std::string& key) {
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/" + file));
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return std::atoll(line.c_str() + key.size() + 1);
  return -1;
}

// Median wall milliseconds of fork + exec of /bin/true + wait: the spawn floor.
inline double spawn_floor_ms(int runs = 30) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t p = fork();
    if (p == 0) {
      execl("/bin/true", "true", static_cast<char*>(nullptr));
      _exit(127);
    }
    waitpid(p, nullptr, 0);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return median(ms);
}

struct Up {
  pid_t pid = -1, server_pid = -1;
  std::vector<pid_t> agents;
  std::string server, token, state;
};

// Starts `bin up` on `repo` with `agents` agents of `capacity` slots and waits (30 s at most)
// until it wrote client.json and up.json naming every agent. Its output goes to <state>.up.log.
inline Up start_up(const std::string& bin, const std::string& repo, const std::string& state,
                   int agents, int capacity) {
  std::error_code ec;
  std::filesystem::remove(state + "/client.json", ec);
  std::filesystem::remove(state + "/up.json", ec);
  Up u;
  u.state = state;
  const std::string n = std::to_string(agents), c = std::to_string(capacity);
  u.pid = fork();
  if (u.pid == 0) {
    const int fd = open((state + ".up.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(bin.c_str(), bin.c_str(), "up", "--repo", repo.c_str(), "--state-dir", state.c_str(),
          "--agents", n.c_str(), "--capacity", c.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 3000; ++i) {  // bounded: 30 s
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto file = wire::decode_client_file(read_text(state + "/client.json"));
    if (!file) continue;
    auto pids = wire::decode_up_file(read_text(state + "/up.json"));
    if (!pids || static_cast<int>(pids->agents.size()) < agents) continue;
    u.server = file->server;
    u.token = file->token;
    u.server_pid = static_cast<pid_t>(pids->server);
    for (const auto& [name, pid] : pids->agents) u.agents.push_back(static_cast<pid_t>(pid));
    return u;
  }
  throw std::runtime_error("stackrun up did not start; see " + state + ".up.log");
}

// SIGTERM, then SIGKILL if `up` is still there after 60 s. Returns the milliseconds it took.
inline double stop_up(const Up& u) {
  const auto t0 = std::chrono::steady_clock::now();
  kill(u.pid, SIGTERM);
  bool gone = false;
  for (int i = 0; i < 60'000 && !gone; ++i) {  // bounded: 60 s
    gone = waitpid(u.pid, nullptr, WNOHANG) == u.pid;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!gone) {
    kill(u.pid, SIGKILL);
    waitpid(u.pid, nullptr, 0);
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Triggers a push run of the default branch's head; its id.
inline long long trigger(const Up& u) {
  http::Client op(u.server, u.token);
  auto r = op.request("POST", "/api/v1/runs", "{}");
  if (!r) throw std::runtime_error("trigger failed: " + r.error());
  if (r->status != 200)
    throw std::runtime_error("trigger answered " + std::to_string(r->status) + ": " + r->body);
  auto a = wire::decode_trigger_answer(r->body);
  if (!a || a->runs.empty()) throw std::runtime_error("no run created: " + r->body);
  return a->runs.front();
}

// Waits for the run to finish (at most `budget`) and returns its detail, or nullopt. It follows
// the run's log with the long-poll `stackrun logs -f` uses (wait_ms), so the server works only
// when the run changes: polling the detail instead would bill the server for serializing every
// job of the run at each poll, a cost that grows with the run and is not the per-job path.
inline std::optional<wire::RunDetail> wait_run(const Up& u, long long run,
                                               std::chrono::seconds budget) {
  http::Client op(u.server, u.token);
  const auto deadline = std::chrono::steady_clock::now() + budget;
  const std::string base = "/api/v1/runs/" + std::to_string(run);
  long long after = 0;
  for (int i = 0; i < 1'000'000 && std::chrono::steady_clock::now() < deadline; ++i) {
    auto r =
        op.request("GET", base + "/logs?format=json&wait_ms=5000&after=" + std::to_string(after),
                   "", std::chrono::seconds(30));
    if (!r || r->status != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto page = wire::decode_log_page(r->body);
    if (!page) throw std::runtime_error("a log page that does not decode: " + page.error());
    after = page->next;
    if (!page->done) continue;
    auto d = op.request("GET", base);
    if (!d || d->status != 200) return std::nullopt;
    auto detail = wire::decode_run_detail(d->body);
    if (detail && core::is_terminal(detail->run.status)) return std::move(*detail);
  }
  return std::nullopt;
}

}  // namespace stackrun::bench
