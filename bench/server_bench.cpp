// The server core, measured on a real `stackrun up` (server + 2 agents + SQLite) in a temp dir,
// against the sample infra repo. Not a test: it prints figures next to their targets.
//   idle: fdatasync/fsync calls and bytes written by the server over BENCH_IDLE_SECONDS (60),
//         and wake-ups (context switches) per second of the server and of each agent;
//   SIGTERM -> exit of an idle `stackrun up` (median of 3);
//   trigger -> first step starts on an idle cluster (median of BENCH_TRIGGERS, 20), beside the
//         cost of spawning /bin/true measured in the same run (the floor);
//   a step printing a line -> `stackrun logs -f` showing it (median over 20 lines).
// Needs strace for the fdatasync count (scripts/install-deps installs it); without it that
// figure reads n/a.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_up.hpp"
#include "bench/bench_util.hpp"
#include "runner/http/http.hpp"
#include "runner/wire/cli_formats.hpp"
#include "runner/wire/protocol.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
const std::string kBin = STACKRUN_BIN;
const std::string kSrc = STACKRUN_SOURCE_DIR;

long long wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using stackrun::bench::env_int;
using stackrun::bench::median;
using stackrun::bench::read_text;
using stackrun::bench::sh;
using stackrun::bench::spawn_floor_ms;
using stackrun::bench::trigger;
using stackrun::bench::Up;

Up start_up(const std::string& repo, const std::string& state) {
  return stackrun::bench::start_up(kBin, repo, state, 2, 2);
}

// A field of /proc/PID/io, or of /proc/PID/task/*/status summed over threads.
long long proc_io(pid_t pid, const std::string& key) {
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/io"));
  for (std::string k; in >> k;) {
    long long v = 0;
    in >> v;
    if (k == key + ":") return v;
  }
  return -1;
}

long long context_switches(pid_t pid) {
  long long total = 0;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::istringstream in(read_text(task.path().string() + "/status"));
    for (std::string line; std::getline(in, line);)
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
          line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        total += std::atoll(line.substr(line.find(':') + 1).c_str());
  }
  return total;
}

std::string fmt(double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %s", v, unit);
  return buf;
}

void report(const std::string& figure, const std::string& value, const std::string& target) {
  std::printf("%-58s %18s   target %s\n", figure.c_str(), value.c_str(), target.c_str());
}

// fdatasync+fsync calls of `pid` over `seconds`, counted by strace with a seccomp filter (only
// those calls stop the process, so the wake-up figures measured meanwhile stay honest); -1 when
// strace is not installed.
long long count_syncs(pid_t pid, int seconds) {
  if (std::system("command -v strace >/dev/null 2>&1") != 0) {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    return -1;
  }
  auto r = stackrun::testing::run_command(
      {"timeout", "-s", "INT", std::to_string(seconds), "strace", "-f", "--seccomp-bpf", "-c", "-e",
       "trace=fdatasync,fsync", "-p", std::to_string(pid)},
      "", std::chrono::seconds(seconds + 30));
  long long calls = 0;
  std::istringstream in(r.err);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::vector<std::string> cols;
    for (std::string c; f >> c;) cols.push_back(c);
    if (cols.size() >= 5 && (cols.back() == "fdatasync" || cols.back() == "fsync"))
      calls += std::atoll(cols[3].c_str());
  }
  return calls;
}

}  // namespace

int main() {
  stackrun::testing::TempDir dir("stackrun-bench");
  if (std::getenv("BENCH_KEEP")) dir.keep();
  const std::string root = dir.path().string(), repo = root + "/infra", state = root + "/state",
                    marks = root + "/marks";
  fs::create_directories(marks);
  sh(kSrc + "/examples/make-sample-repo " + repo + " >/dev/null");
  // One pipeline: every changed stack records when its step started; grafana then prints 20
  // time-stamped lines 100 ms apart (for the logs -f delay).
  stackrun::testing::write_file(repo + "/.stackrun/apply.yml", R"Y(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks, marker: terragrunt.hcl, select: changed}
tiers:
  - {name: all, parallelism: 4}
steps:
  - name: mark
    env: {MARKS: ")Y" + marks + R"Y("}
    command: |
      date +%s%N > "$MARKS/start.$STACKRUN_RUN_ID"
      if [ "$STACKRUN_STACK_LABEL" = grafana ]; then
        for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo "mark $(date +%s%N)"; sleep 0.1; done
      fi
)Y");
  fs::remove(repo + "/.stackrun/drift.yml");
  sh("cd " + repo + " && git add -A && git commit -qm bench");
  const int idle_s = env_int("BENCH_IDLE_SECONDS", 60), triggers = env_int("BENCH_TRIGGERS", 20);

  Up up = start_up(repo, state);
  std::printf("stackrun up: server pid %d, agents %zu, state %s\n", up.server_pid, up.agents.size(),
              state.c_str());
  // Settle: agents parked in their claims, and the server's idle release (2 s after the start's
  // last request that did work, ApiOptions::idle_release) done: the window measures idling.
  std::this_thread::sleep_for(std::chrono::seconds(5));

  // --- idle
  const long long bytes0 = proc_io(up.server_pid, "write_bytes"),
                  sys0 = proc_io(up.server_pid, "syscw");
  const long long cs_server0 = context_switches(up.server_pid);
  std::vector<long long> cs_agents0;
  for (pid_t a : up.agents) cs_agents0.push_back(context_switches(a));
  std::this_thread::sleep_for(std::chrono::seconds(idle_s));
  const long long cs_server = context_switches(up.server_pid) - cs_server0;
  std::vector<long long> cs_agents;
  for (std::size_t i = 0; i < up.agents.size(); ++i)
    cs_agents.push_back(context_switches(up.agents[i]) - cs_agents0[i]);
  // A second window under strace: attaching stops every thread, so it would inflate the
  // wake-ups above; bytes and write calls are counted over both windows.
  const long long syncs = count_syncs(up.server_pid, idle_s);
  const long long bytes = proc_io(up.server_pid, "write_bytes") - bytes0;
  const long long writes = proc_io(up.server_pid, "syscw") - sys0;
  report("idle " + std::to_string(idle_s) + " s: server fdatasync+fsync calls",
         syncs < 0 ? "n/a (no strace)" : std::to_string(syncs), "0");
  const std::string both = "idle " + std::to_string(2 * idle_s) + " s: ";
  report(both + "server bytes written to storage", std::to_string(bytes) + " B", "0 B");
  report(both + "server write syscalls (any fd)", std::to_string(writes), "0");
  report("idle: server wake-ups per second", fmt(static_cast<double>(cs_server) / idle_s, "/s"),
         "~0 /s");
  for (std::size_t i = 0; i < up.agents.size(); ++i)
    report("idle: agent " + std::to_string(i + 1) + " wake-ups per second",
           fmt(static_cast<double>(cs_agents[i]) / idle_s, "/s"), "~0 /s");

  stackrun::bench::table_row("idle: server wake-ups per 10 s", "",
                             {10.0 * static_cast<double>(cs_server) / idle_s}, "0");
  std::vector<double> agent_wakes;
  for (long long cs : cs_agents) agent_wakes.push_back(10.0 * static_cast<double>(cs) / idle_s);
  stackrun::bench::table_row("idle: agent wake-ups per 10 s", "", agent_wakes, "0");
  if (syncs >= 0)
    stackrun::bench::table_row("idle: server fsyncs in " + std::to_string(idle_s) + " s", "",
                               {static_cast<double>(syncs)}, "0");

  // --- trigger -> step start
  const double floor = spawn_floor_ms();
  std::vector<double> latency;
  for (int i = 0; i < triggers; ++i) {
    sh("cd " + repo + " && echo '# " + std::to_string(i) +
       "' >> stacks/immich/terragrunt.hcl && git commit -qam t");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // idle again
    const long long t0 = wall_ns();
    const long long run = trigger(up);
    const std::string mark = marks + "/start." + std::to_string(run);
    // The shell creates the file before date writes it: wait for the whole line.
    std::string text;
    for (int k = 0; k < 20'000 && (text.empty() || text.back() != '\n'); ++k) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      text = read_text(mark);
    }
    if (!text.empty()) latency.push_back(static_cast<double>(std::atoll(text.c_str()) - t0) / 1e6);
    (void)stackrun::bench::wait_run(up, run, std::chrono::seconds(60));
  }
  report("spawn of /bin/true (the floor, median of 30)", fmt(floor, "ms"), "-");
  report("trigger -> first step starts, median of " + std::to_string(latency.size()),
         fmt(median(latency), "ms"), "<= floor + 10 ms = " + fmt(floor + 10, "ms"));
  report("  ... over the floor", fmt(median(latency) - floor, "ms"), "<= 10 ms");
  stackrun::bench::table_row("trigger -> step starts, idle cluster", "ms", latency,
                             "<= floor + 10 ms", floor, "spawn /bin/true");

  // --- logs -f delay
  sh("cd " + repo + " && echo '# logs' >> stacks/grafana/terragrunt.hcl && git commit -qam logs");
  const long long run = trigger(up);
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) return 1;
  const pid_t follower = fork();
  if (follower == 0) {
    dup2(pipe_fd[1], 1);
    close(pipe_fd[0]);
    setenv("STACKRUN_SERVER", up.server.c_str(), 1);
    setenv("STACKRUN_TOKEN", up.token.c_str(), 1);
    setenv("NO_COLOR", "1", 1);
    execl(kBin.c_str(), kBin.c_str(), "logs", std::to_string(run).c_str(), "-f",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fd[1]);
  std::vector<double> delays;
  FILE* in = fdopen(pipe_fd[0], "r");
  char line[4096];
  while (in && std::fgets(line, sizeof line, in)) {
    const long long seen = wall_ns();
    // "[grafana] mark <ns>": the step's line (the echoed command has "mark $(date" instead).
    const char* m = std::strstr(line, "] mark ");
    if (m && std::isdigit(static_cast<unsigned char>(m[7])))
      delays.push_back(static_cast<double>(seen - std::atoll(m + 7)) / 1e6);
  }
  if (in) fclose(in);
  waitpid(follower, nullptr, 0);
  report("step prints a line -> logs -f shows it, median of " + std::to_string(delays.size()),
         fmt(median(delays), "ms"), "<= 50 ms");
  stackrun::bench::table_row("logs -f delay, print -> shown", "ms", delays, "<= 50 ms");

  // --- SIGTERM of an idle up
  std::vector<double> stops;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stops.push_back(stackrun::bench::stop_up(up));
  for (int i = 0; i < 2; ++i) {
    up = start_up(repo, state);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    stops.push_back(stackrun::bench::stop_up(up));
  }
  stackrun::bench::table_row("SIGTERM -> exit of an idle `stackrun up`", "ms", stops, "< 500 ms");
  report("SIGTERM -> exit of an idle `stackrun up`, median of 3", fmt(median(stops), "ms"),
         "< 500 ms");
  return 0;
}
