// Hostile output, measured on a real `stackrun up` (server + 1 agent x 1 slot + SQLite) in a temp
// dir, against the sample infra repo. Not a test: it prints figures next to their targets.
// Two steps, each on a fresh `up` (so each peak is its own):
//   300 MB: `yes '<58 bytes>' | head -c 300000000` (BENCH_OUTPUT_MB changes the size);
//   50 MB line: `head -c 50000000 /dev/zero | tr '\0' x; echo` (BENCH_LINE_MB).
// For each: agent and server peak RSS growth (VmHWM after the run minus VmHWM just before the
// trigger), end-to-end MiB/s from the trigger until `stackrun logs RUN -f` (started at the
// trigger) has printed everything and exited, the phases of that time, stored bytes (chunk data
// from the API, SQLite file sizes) and CPU seconds; beside floors measured in the same run: the
// same command to /dev/null, through a pipe to `cat`, and into a file (the spool is a file).
// The agents get STACKRUN_MAX_OUTPUT (their --max-output) large enough for the whole output, so
// the stored bytes are all of it. BENCH_KEEP=1 keeps the temp dir; BENCH_FOLLOW=0 starts no
// `logs -f` (ingest alone, then the whole log read over the API after the run: a diagnosis).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_up.hpp"
#include "bench/bench_util.hpp"
#include "runner/http/http.hpp"
#include "runner/wire/cli_formats.hpp"
#include "runner/wire/log_frames.hpp"
#include "runner/wire/protocol.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;
const std::string kBin = STACKRUN_BIN;
const std::string kSrc = STACKRUN_SOURCE_DIR;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr auto kScenarioBudget = seconds(600);  // one scenario never waits longer than this

long long wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double since_s(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

long long env_ll(const char* name, long long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

using stackrun::bench::cpu_s;
using stackrun::bench::read_text;
using stackrun::bench::sh;
using stackrun::bench::stop_up;
using stackrun::bench::trigger;
using stackrun::bench::Up;

// Starts `stackrun up` with 1 agent x 1 slot.
Up start_up(const std::string& repo, const std::string& state) {
  return stackrun::bench::start_up(kBin, repo, state, 1, 1);
}

// Peak resident memory (VmHWM) of `pid` in KiB; -1 once it is gone.
long long peak_kib(pid_t pid) {
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  return -1;
}

long long size_of(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<long long>(n);
}

// Wall seconds of `sh -c command`, best of `runs` (the floor: the least the machine needs).
double time_sh(const std::string& command, int runs) {
  double best = 1e9;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    sh(command);
    best = std::min(best, since_s(t0));
  }
  return best;
}

// Polls the run every 50 ms from another thread (at most until `deadline`) and notes when it is
// first seen finished: an agent ships all output before it reports, so that is when the server
// has every byte, whatever the follower has printed by then.
class RunWatch {
 public:
  RunWatch(const Up& u, long long run, Clock::time_point deadline) {
    thread_ = std::thread([this, server = u.server, token = u.token, run, deadline] {
      stackrun::http::Client op(server, token);
      for (int i = 0; i < 100'000 && Clock::now() < deadline; ++i) {
        auto r = op.request("GET", "/api/v1/runs/" + std::to_string(run));
        if (r && r->status == 200) {
          auto d = stackrun::wire::decode_run_detail(r->body);
          if (d && stackrun::core::is_terminal(d->run.status)) {
            finished_ns_ = wall_ns();
            status_ = std::string(stackrun::core::to_string(d->run.status));
            return;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~RunWatch() {
    if (thread_.joinable()) thread_.join();
  }
  // Waits for the thread; the status ("" if not finished by the deadline) and when it was seen.
  std::pair<std::string, long long> result() {
    if (thread_.joinable()) thread_.join();
    return {status_, finished_ns_};
  }

 private:
  std::string status_;
  long long finished_ns_ = 0;
  std::thread thread_;
};

// What the server stores for a run, paged over the API after it finished.
struct Stored {
  long long out_bytes = 0, sys_bytes = 0, chunks = 0, pages = 0, largest_chunk = 0;
  double read_s = 0;
  bool complete = false;  // the last page said done
};

Stored read_stored(const Up& u, long long run) {
  stackrun::http::Client op(u.server, u.token);
  Stored s;
  long long after = 0;
  const auto t0 = Clock::now();
  for (int page = 0; page < 1'000'000; ++page) {  // bounded: each page holds >= 1 chunk
    auto r = op.request("GET",
                        "/api/v1/runs/" + std::to_string(run) +
                            "/logs?format=frames&after=" + std::to_string(after),
                        "", seconds(60));
    if (!r || r->status != 200) throw std::runtime_error("logs page failed");
    auto p = stackrun::wire::decode_page_frames(r->body);  // as `stackrun logs` reads it
    if (!p) throw std::runtime_error("logs page: " + p.error());
    ++s.pages;
    for (const auto& c : p->chunks) {
      (c.stream == "out" ? s.out_bytes : s.sys_bytes) += static_cast<long long>(c.data.size());
      s.largest_chunk = std::max(s.largest_chunk, static_cast<long long>(c.data.size()));
      ++s.chunks;
    }
    if (p->done || p->chunks.empty()) {
      s.complete = p->done;
      break;
    }
    after = p->next;
  }
  s.read_s = since_s(t0);
  return s;
}

// `stackrun logs RUN` (with -f when `follow`), its output counted and dropped.
struct Follow {
  long long bytes = 0;
  int status = -1;  // wait status; -1 when it had to be killed at the deadline
  double cpu = 0;
};

Follow follow_logs(const Up& u, long long run, Clock::time_point deadline, bool follow = true) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    setenv("STACKRUN_SERVER", u.server.c_str(), 1);
    setenv("STACKRUN_TOKEN", u.token.c_str(), 1);
    setenv("NO_COLOR", "1", 1);
    const std::string id = std::to_string(run);
    if (follow)
      execl(kBin.c_str(), kBin.c_str(), "logs", id.c_str(), "-f", static_cast<char*>(nullptr));
    else
      execl(kBin.c_str(), kBin.c_str(), "logs", id.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  Follow f;
  std::vector<char> buf(1 << 20);
  for (;;) {  // bounded by the deadline
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000))) <= 0) continue;
    const ssize_t n = read(fds[0], buf.data(), buf.size());
    if (n <= 0) break;
    f.bytes += n;
  }
  close(fds[0]);
  // Past the deadline it is killed (and reported as such); else it is exiting on its own.
  const bool late = Clock::now() >= deadline;
  if (late) kill(pid, SIGKILL);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  f.status = late ? -1 : status;
  f.cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return f;
}

// Samples the peak RSS of the step supervisors (`stackrun supervise` under `state`) every
// 100 ms until stopped: they die with their step, so their VmHWM must be read while they live.
class SupervisorPeaks {
 public:
  explicit SupervisorPeaks(std::string state) : state_(std::move(state)) {
    thread_ = std::thread([this] {
      for (int i = 0; i < 6'000 && !stop_; ++i) {  // bounded: 600 s
        sample();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~SupervisorPeaks() { finish(); }
  long long finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return peak_;
  }

 private:
  void sample() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
      const std::string name = e.path().filename().string();
      if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
      std::string cmd = read_text(e.path().string() + "/cmdline");
      std::replace(cmd.begin(), cmd.end(), '\0', ' ');
      if (cmd.find(" supervise ") != std::string::npos && cmd.find(state_) != std::string::npos)
        peak_ = std::max(peak_.load(), peak_kib(std::atoi(name.c_str())));
    }
  }
  std::string state_;
  std::atomic<bool> stop_{false};
  std::atomic<long long> peak_{0};
  std::thread thread_;
};

struct Scenario {
  std::string title, stack, command;
  long long step_bytes = 0;  // what the command prints
};

struct Figure {
  std::string name, measured, target, verdict;
};

std::string fmt(const char* spec, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

std::string mib(double bytes) {
  return fmt("%.1f MiB", bytes / kMiB);
}

void print(const std::string& title, const std::vector<Figure>& rows) {
  std::printf("\n== %s\n%-50s %18s %14s  %s\n", title.c_str(), "figure", "measured", "target",
              "verdict");
  for (const auto& r : rows)
    std::printf("%-50s %18s %14s  %s\n", r.name.c_str(), r.measured.c_str(), r.target.c_str(),
                r.verdict.c_str());
  std::fflush(stdout);
}

std::string verdict(bool met) {
  return met ? "met" : "MISSED";
}

// The floors of one command: to /dev/null, through a pipe to cat, into a file under `dir`.
std::vector<Figure> floors(const Scenario& s, const std::string& dir, double& file_mibs) {
  const double bytes = static_cast<double>(s.step_bytes);
  const double null_s = time_sh("{ " + s.command + "; } >/dev/null", 3);
  const double cat_s = time_sh("{ " + s.command + "; } | cat >/dev/null", 3);
  const std::string file = dir + "/floor.out";
  const double file_s = time_sh("{ " + s.command + "; } >'" + file + "'; rm -f '" + file + "'", 1);
  file_mibs = bytes / kMiB / file_s;
  return {{"floor: command >/dev/null", fmt("%.0f MiB/s", bytes / kMiB / null_s), "-", "-"},
          {"floor: command | cat >/dev/null", fmt("%.0f MiB/s", bytes / kMiB / cat_s), "-", "-"},
          {"floor: command >file (as into the spool)", fmt("%.0f MiB/s", bytes / kMiB / file_s),
           "-", "-"}};
}

long long mark_ns(const std::string& marks, const std::string& what, long long run) {
  return std::atoll(read_text(marks + "/" + what + "." + std::to_string(run)).c_str());
}

std::vector<Figure> run_scenario(const Scenario& s, const std::string& repo,
                                 const std::string& state, const std::string& marks,
                                 double file_mibs) {
  sh("cd " + repo + " && echo '# bench' >> stacks/" + s.stack +
     "/terragrunt.hcl && git commit -qam bench");
  const Up up = start_up(repo, state);
  struct StopAtExit {  // also when a step of the scenario throws
    const Up& u;
    ~StopAtExit() { stop_up(u); }
  } stop_at_exit{up};
  std::this_thread::sleep_for(seconds(2));  // settle: the agent parked in its claim
  const long long agent0 = peak_kib(up.agents.front()), server0 = peak_kib(up.server_pid);
  const double agent_cpu0 = cpu_s(up.agents.front()), server_cpu0 = cpu_s(up.server_pid);
  SupervisorPeaks supervisors(state);

  const auto t0 = Clock::now();
  const long long t0_ns = wall_ns();
  const long long run = trigger(up);
  RunWatch watch(up, run, t0 + kScenarioBudget);
  // BENCH_FOLLOW=0 (a diagnosis): nobody reads during the run; it is read over the API after.
  const bool follow = env_ll("BENCH_FOLLOW", 1) != 0;
  const Follow f = follow ? follow_logs(up, run, t0 + kScenarioBudget) : Follow{0, 0, 0};
  const auto [status, finished_ns] = watch.result();
  std::optional<Stored> read_after;
  if (!follow) read_after = read_stored(up, run);
  const double e2e_s = since_s(t0);
  const long long e2e_end_ns = wall_ns();
  const std::string reader = follow ? "`logs -f`" : "API read after";
  const long long agent1 = peak_kib(up.agents.front()), server1 = peak_kib(up.server_pid);
  const double agent_cpu = cpu_s(up.agents.front()) - agent_cpu0;
  const double server_cpu = cpu_s(up.server_pid) - server_cpu0;
  const long long supervisor_kib = supervisors.finish();
  const Stored st = read_after ? *read_after : read_stored(up, run);
  const fs::path db = fs::path(state) / "stackrun.db";
  const long long db_bytes = size_of(db), wal_bytes = size_of(db.string() + "-wal");
  // Reading the finished run as a user does (`stackrun logs RUN`, prefixes and all, into a
  // pipe), beside the floor of reading the database file from the disk itself, past the page
  // cache (O_DIRECT; a plain read where the file system refuses it): "logs at disk speed".
  const auto read0 = Clock::now();
  const Follow again = follow_logs(up, run, read0 + kScenarioBudget, false);
  const double again_s = since_s(read0);
  // A read that failed fast would otherwise pass for a fast one.
  if (again.status < 0 || !WIFEXITED(again.status) || WEXITSTATUS(again.status) != 0)
    throw std::runtime_error("`stackrun logs " + std::to_string(run) +
                             "` of the finished run did not exit 0");
  std::string read_files;
  for (const std::string& file : {db.string(), db.string() + "-wal"})
    if (fs::exists(file))
      read_files += "{ dd if='" + file + "' of=/dev/null bs=1M iflag=direct 2>/dev/null || cat '" +
                    file + "' >/dev/null; }; ";
  const double db_read_s = time_sh(read_files, 3);
  const double db_mibs = static_cast<double>(db_bytes + wal_bytes) / kMiB / db_read_s;

  const long long start_ns = mark_ns(marks, "start", run), end_ns = mark_ns(marks, "end", run);
  const double step_s = static_cast<double>(end_ns - start_ns) / 1e9;
  // Seconds from `a` to `b` (wall ns), or n/a when either was not seen (a mark, the finish).
  const auto span = [](long long a, long long b) {
    return a > 0 && b > 0 ? fmt("%.3f s", static_cast<double>(b - a) / 1e9) : std::string("n/a");
  };
  const double stored = static_cast<double>(st.out_bytes);
  const double e2e_mibs = stored / kMiB / e2e_s;
  const double agent_growth = static_cast<double>(agent1 - agent0) / 1024.0;
  const double server_growth = static_cast<double>(server1 - server0) / 1024.0;
  const bool all_there = st.complete && f.status == 0 && st.out_bytes >= s.step_bytes;
  const std::string what = ", " + s.title.substr(s.title.find("printing ") + 9);
  stackrun::bench::table_row("log capture until `logs -f` has it" + what, "MiB/s", {e2e_mibs},
                             ">= 150", file_mibs, "cmd >file");
  stackrun::bench::table_row("`stackrun logs RUN` of the finished run" + what, "MiB/s",
                             {stored / kMiB / again_s}, "disk speed", db_mibs, "disk read");
  stackrun::bench::table_row("agent peak RSS growth during the capture" + what, "MiB",
                             {agent_growth}, "<= 8");
  stackrun::bench::table_row("server peak RSS growth during the capture" + what, "MiB",
                             {server_growth}, "<= 8");
  const std::string follow_exit = f.status < 0          ? "killed at the deadline"
                                  : WIFEXITED(f.status) ? std::to_string(WEXITSTATUS(f.status))
                                                        : "signalled";
  return {
      {"run status / `logs -f` exit",
       (status.empty() ? "not finished" : status) + " / " + follow_exit, "success / 0",
       verdict(status == "success" && f.status == 0)},
      {"agent peak RSS growth (idle " + mib(agent0 * 1024.0) + ")", fmt("%.1f MiB", agent_growth),
       "<= 16 MiB", verdict(agent_growth <= 16)},
      {"server peak RSS growth (idle " + mib(server0 * 1024.0) + ")",
       fmt("%.1f MiB", server_growth), "<= 16 MiB", verdict(server_growth <= 16)},
      {"step supervisor peak RSS (sampled)", mib(static_cast<double>(supervisor_kib) * 1024.0), "-",
       "-"},
      {"end-to-end: trigger -> " + reader + " has it all", fmt("%.1f MiB/s", e2e_mibs),
       ">= 150 MiB/s", verdict(e2e_mibs >= 150 && all_there)},
      {"  ... wall time", fmt("%.2f s", e2e_s), "-", "-"},
      {"  ... trigger -> step starts", span(t0_ns, start_ns), "-", "-"},
      {"  ... step runs (writing its spool)", span(start_ns, end_ns), "-", "-"},
      {"  ... step ends -> run finished (50 ms polls)", span(end_ns, finished_ns), "-", "-"},
      {"  ... run finished -> " + reader + " has it all", span(finished_ns, e2e_end_ns), "-", "-"},
      {"ingest: trigger -> run finished",
       fmt("%.1f MiB/s", stored / kMiB / (static_cast<double>(finished_ns - t0_ns) / 1e9)), "-",
       "-"},
      {"raw spool throughput (step's bytes / step time)",
       fmt("%.1f MiB/s", static_cast<double>(s.step_bytes) / kMiB / step_s), "-", "-"},
      {"`logs -f` printed", mib(static_cast<double>(f.bytes)), "-", "-"},
      {"stored: step output (out chunks)", mib(stored),
       ">= " + mib(static_cast<double>(s.step_bytes)), verdict(all_there)},
      {"stored: chunks / largest / sys bytes",
       std::to_string(st.chunks) + " / " + std::to_string(st.largest_chunk / 1024) + "K / " +
           std::to_string(st.sys_bytes),
       "-", "-"},
      {"stored: SQLite db + WAL", mib(static_cast<double>(db_bytes + wal_bytes)), "-", "-"},
      {"  ... db / stored output", fmt("%.2fx", static_cast<double>(db_bytes) / stored), "-", "-"},
      {"read the finished run: `stackrun logs RUN` (" + mib(static_cast<double>(again.bytes)) +
           " printed)",
       fmt("%.1f MiB/s", stored / kMiB / again_s), "-", "-"},
      {"  ... floor: read the database and WAL files from disk (O_DIRECT)",
       fmt("%.0f MiB/s", db_mibs), "-", "-"},
      {"  ... the bench's own paging over the API (" + std::to_string(st.pages) + " pages)",
       fmt("%.1f MiB/s", stored / kMiB / st.read_s), "-", "-"},
      {"CPU: agent / server / `logs -f`",
       fmt("%.2f s", agent_cpu) + " / " + fmt("%.2f s", server_cpu) + " / " + fmt("%.2f s", f.cpu),
       "-", "-"},
  };
}

}  // namespace

int main() try {
  stackrun::testing::TempDir dir("stackrun-bench-output");
  if (std::getenv("BENCH_KEEP")) dir.keep();
  const std::string root = dir.path().string(), repo = root + "/infra", marks = root + "/marks";
  fs::create_directories(marks);
  const long long out_bytes = env_ll("BENCH_OUTPUT_MB", 300) * 1'000'000;
  const long long line_bytes = env_ll("BENCH_LINE_MB", 50) * 1'000'000;
  // 58 characters + '\n': the kind of line a noisy step prints.
  const std::string line = "stackrun output line 0123456789 abcdefghijklmnopqrstuvwxyz";
  const std::vector<Scenario> scenarios = {
      {"a step printing " + std::to_string(out_bytes / 1'000'000) + " MB of " +
           std::to_string(line.size() + 1) + "-byte lines",
       "grafana", "yes '" + line + "' | head -c " + std::to_string(out_bytes), out_bytes},
      {"a step printing one " + std::to_string(line_bytes / 1'000'000) + " MB line", "immich",
       "head -c " + std::to_string(line_bytes) + " /dev/zero | tr '\\0' x; echo", line_bytes + 1},
  };
  // The agents' --max-output: all of the output, so that every byte is stored and measured.
  const long long cap = std::max(out_bytes, line_bytes) + (64LL << 20);
  setenv("STACKRUN_MAX_OUTPUT", std::to_string(cap).c_str(), 1);

  sh(kSrc + "/examples/make-sample-repo " + repo + " >/dev/null");
  std::string pipeline = R"Y(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks, marker: terragrunt.hcl, select: changed}
tiers:
  - {name: all, parallelism: 1}
steps:
  - name: out
    env: {MARKS: ")Y" + marks +
                         R"Y("}
    command: |
      date +%s%N > "$MARKS/start.$STACKRUN_RUN_ID"
      case "$STACKRUN_STACK_LABEL" in
)Y";
  for (const Scenario& s : scenarios) pipeline += "        " + s.stack + ") " + s.command + " ;;\n";
  pipeline += "      esac\n      date +%s%N > \"$MARKS/end.$STACKRUN_RUN_ID\"\n";
  stackrun::testing::write_file(repo + "/.stackrun/apply.yml", pipeline);
  fs::remove(repo + "/.stackrun/drift.yml");
  sh("cd " + repo + " && git add -A && git commit -qm bench");
  std::printf("stackrun output bench in %s (agents' --max-output %lld bytes)\n", root.c_str(), cap);

  int missed = 0;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const Scenario& s = scenarios[i];
    double file_mibs = 0;
    std::vector<Figure> rows = floors(s, root, file_mibs);
    for (Figure& f : run_scenario(s, repo, root + "/state" + std::to_string(i), marks, file_mibs))
      rows.push_back(std::move(f));
    for (const Figure& f : rows) missed += f.verdict == "MISSED";
    print(s.title, rows);
  }
  std::printf("\n%d target(s) missed\n", missed);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "stackrun_bench_output: %s\n", e.what());
  return 1;
}
