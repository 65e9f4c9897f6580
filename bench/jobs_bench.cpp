// The whole per-job path (server + agents + SQLite over loopback HTTP, `stackrun supervise`,
// the workspace), measured on real `stackrun up` clusters in a temp dir against generated git
// repos. Not a test: it prints figures beside floors measured in the same run and the targets
// of issue 11, and appends its headline rows to $BENCH_TABLE (scripts/bench's table).
//   floors      spawn of /bin/true; writing and deleting the 200-stack repo's tree; an SQLite
//               commit with synchronous=FULL in WAL mode (what the server does per change); a
//               loopback HTTP round trip (GET /api/v1/health on the idle server);
//   per job     200 x `true` on 1 agent x 1 slot, in a 20-stack repo (10 runs of 20 jobs) and a
//               200-stack repo (1 run of 200): the runs' wall time on the server's clock
//               (created -> finished) / 200, minus the spawn floor; BENCH_ROUNDS (5) samples,
//               the two repos' rounds alternating;
//               agent and server CPU per job over the same rounds;
//   throughput  jobs/s of those runs, and of the same on 2 agents x 1 slot;
//   makespan    40 x `sleep 0.5` on 2 agents x 1 slot, against the ideal 10 s (BENCH_MAKESPAN, 1);
//   idle memory RSS and private memory (smaps_rollup) of the server and of an agent after runs;
//   history     the 200-stack database grown to >= 10,000 finished jobs by copying its real rows
//               (renumbered, so every index and foreign key holds), then: cold start of
//               `stackrun server` to its first answered GET /api/v1/runs, beside the same on an
//               empty database, and the per-job overhead again on that database.
// Every run's jobs are checked: all must succeed, or the bench exits 1.
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_up.hpp"
#include "bench/bench_util.hpp"
#include "runner/http/http.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using stackrun::bench::Clock;
using stackrun::bench::env_int;
using stackrun::bench::median;
using stackrun::bench::ms_since;
using stackrun::bench::table_row;
using stackrun::bench::Up;
const std::string kBin = STACKRUN_BIN;
constexpr int kJobs = 200;

void git(const std::string& repo, std::vector<std::string> args) {
  (void)stackrun::bench::git(repo, std::move(args));
}

// A git repo of `stacks` stacks (10 files each) whose pipeline runs `command` in every stack.
void make_repo(const std::string& repo, int stacks, const std::string& command) {
  fs::create_directories(repo);
  git(repo, {"init", "-q", "-b", "main"});
  stackrun::bench::write_tree(repo, stackrun::bench::tree_files(stacks, 10));
  stackrun::testing::write_file(repo + "/.stackrun/apply.yml", R"Y(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks, marker: terragrunt.hcl, select: all}
tiers:
  - {name: all, parallelism: 64}
steps:
  - name: step
    command: ')Y" + command + "'\n");
  git(repo, {"add", "-A"});
  git(repo, {"commit", "-qm", "initial"});
}

struct Batch {
  double wall_ms = 0;  // sum over the runs of finished_at - created_at (server clock)
  int jobs = 0;
  double agent_cpu_s = 0, server_cpu_s = 0;
};

// Runs `runs` runs back to back (each on a new empty commit, so each is a push of its own),
// waiting for each; every job of every run must succeed.
Batch run_batch(const Up& up, const std::string& repo, int runs, int stacks) {
  Batch b;
  double agent0 = 0;
  for (pid_t a : up.agents) agent0 += stackrun::bench::cpu_s(a);
  const double server0 = stackrun::bench::cpu_s(up.server_pid);
  for (int i = 0; i < runs; ++i) {
    git(repo, {"commit", "-q", "--allow-empty", "-m", "bench"});
    const long long run = stackrun::bench::trigger(up);
    auto d = stackrun::bench::wait_run(up, run, std::chrono::seconds(600));
    if (!d) throw std::runtime_error("run " + std::to_string(run) + " did not finish in 600 s");
    int ok = 0;
    for (const auto& j : d->jobs) ok += j.status == stackrun::core::JobStatus::success;
    if (ok != stacks || d->run.status != stackrun::core::RunStatus::success)
      throw std::runtime_error("run " + std::to_string(run) + ": " + std::to_string(ok) + " of " +
                               std::to_string(stacks) + " jobs succeeded; see " + up.state);
    b.wall_ms += static_cast<double>(*d->run.finished_at - d->run.created_at);
    b.jobs += ok;
  }
  for (pid_t a : up.agents) b.agent_cpu_s += stackrun::bench::cpu_s(a);
  b.agent_cpu_s -= agent0;
  b.server_cpu_s = stackrun::bench::cpu_s(up.server_pid) - server0;
  return b;
}

struct PerJob {
  std::vector<double> overhead_ms, agent_cpu_ms, server_cpu_ms, jobs_per_s;
};

// One sample of 200 jobs on `up` (200 / `stacks` runs back to back) added to `p`.
void sample(const Up& up, const std::string& repo, int stacks, double spawn_ms, PerJob& p) {
  const Batch b = run_batch(up, repo, std::max(1, kJobs / stacks), stacks);
  p.overhead_ms.push_back(b.wall_ms / b.jobs - spawn_ms);
  p.agent_cpu_ms.push_back(b.agent_cpu_s * 1000 / b.jobs);
  p.server_cpu_ms.push_back(b.server_cpu_s * 1000 / b.jobs);
  p.jobs_per_s.push_back(b.jobs / (b.wall_ms / 1000));
}

// `rounds` samples of 200 jobs on `up`, after one untimed run (the agent's first fetch and
// checkout of the repo).
PerJob per_job(const Up& up, const std::string& repo, int stacks, int rounds, double spawn_ms) {
  (void)run_batch(up, repo, 1, stacks);
  PerJob p;
  for (int r = 0; r < rounds; ++r) sample(up, repo, stacks, spawn_ms, p);
  return p;
}

std::string range(const std::vector<double>& v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f-%.2f", *std::min_element(v.begin(), v.end()),
                *std::max_element(v.begin(), v.end()));
  return buf;
}

void print(const std::string& figure, const std::vector<double>& v, const std::string& unit,
           const std::string& target) {
  std::printf("%-56s %10.2f %-6s %-14s %3zu   %s\n", figure.c_str(), median(v), unit.c_str(),
              range(v).c_str(), v.size(), target.c_str());
}

void sql(sqlite3* db, const std::string& statement) {
  char* err = nullptr;
  if (sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string e = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(statement + ": " + e);
  }
}

long long scalar(sqlite3* db, const std::string& query) {
  sqlite3_stmt* st = nullptr;
  long long v = 0;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

// Median milliseconds of one committed INSERT with synchronous=FULL in WAL mode.
double sqlite_commit_floor_ms(const std::string& path, int runs) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path);
  sql(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(x BLOB)");
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    sql(db, "BEGIN; INSERT INTO t VALUES (randomblob(200)); COMMIT");
    ms.push_back(ms_since(t0));
  }
  sqlite3_close(db);
  return median(ms);
}

// Copies every run, job, attempt, log chunk and run_logs row of the (stopped) server's database
// under new ids until it holds at least `want` jobs. Returns the number of jobs.
long long grow_history(const std::string& path, long long want) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path);
  sql(db, "PRAGMA foreign_keys=OFF; BEGIN");
  // Each table with the columns holding ids of the tables copied; "id" is the table's own.
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
      tables = {{"runs", {{"id", "runs"}}},
                {"jobs", {{"id", "jobs"}, {"run_id", "runs"}}},
                {"attempts", {{"id", "attempts"}, {"job_id", "jobs"}}},
                {"log_chunks",
                 {{"id", "log_chunks"},
                  {"run_id", "runs"},
                  {"job_id", "jobs"},
                  {"attempt_id", "attempts"}}},
                {"run_logs", {{"run_id", "runs"}}}};
  for (int round = 0; round < 10 && scalar(db, "SELECT count(*) FROM jobs") < want; ++round) {
    std::vector<std::pair<std::string, long long>> offsets;
    for (const char* t : {"runs", "jobs", "attempts", "log_chunks"})
      offsets.emplace_back(t, scalar(db, std::string("SELECT max(id) FROM ") + t));
    auto offset = [&](const std::string& t) {
      for (const auto& [name, n] : offsets)
        if (name == t) return n;
      return 0LL;
    };
    for (const auto& [table, ids] : tables) {
      std::string set;
      for (const auto& [column, of] : ids)
        set += (set.empty() ? "" : ", ") + column + " = " + column + " + " +
               std::to_string(offset(of));
      sql(db, "CREATE TEMP TABLE copy AS SELECT * FROM " + table + "; UPDATE copy SET " + set +
                  "; INSERT INTO " + table + " SELECT * FROM copy; DROP TABLE copy");
    }
  }
  sql(db, "COMMIT");
  const long long jobs = scalar(db, "SELECT count(*) FROM jobs");
  sqlite3_close(db);
  return jobs;
}

// Milliseconds from the fork of `stackrun server --db db` to its first 200 answer to
// GET /api/v1/runs (the port file is polled every 0.2 ms); the server is stopped after.
double cold_start_ms(const std::string& db, const std::string& dir) {
  const std::string port_file = dir + "/cold.port";
  fs::remove(port_file);
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open((dir + "/cold.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("STACKRUN_BOOTSTRAP_TOKEN", "bench-token", 1);
    execl(kBin.c_str(), kBin.c_str(), "server", "--db", db.c_str(), "--listen", "127.0.0.1:0",
          "--port-file", port_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  double ms = -1;
  for (int i = 0; i < 100'000 && ms < 0; ++i) {  // bounded: ~20 s
    const std::string port = stackrun::bench::read_text(port_file);
    if (port.empty() || port.back() != '\n') {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    stackrun::http::Client op("http://127.0.0.1:" + port.substr(0, port.size() - 1), "bench-token");
    auto r = op.request("GET", "/api/v1/runs");
    if (r && r->status == 200) ms = ms_since(t0);
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  if (ms < 0) throw std::runtime_error("the server on " + db + " never answered; see cold.log");
  return ms;
}

// Median milliseconds of writing and deleting the tree of a `stacks`-stack repo.
double tree_floor_ms(const std::string& dir, int stacks, int runs) {
  const auto files = stackrun::bench::tree_files(stacks, 10);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    stackrun::bench::write_tree(dir, files);
    fs::remove_all(dir);
    ms.push_back(ms_since(t0));
  }
  return median(ms);
}

double http_floor_ms(const Up& up, int runs) {
  stackrun::http::Client op(up.server, up.token);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    auto r = op.request("GET", "/api/v1/health");
    if (!r || r->status != 200) throw std::runtime_error("GET /api/v1/health failed");
    ms.push_back(ms_since(t0));
  }
  return median(ms);
}

}  // namespace

int main() try {
  const int rounds = std::clamp(env_int("BENCH_ROUNDS", 5), 1, 100);
  const int makespans = std::clamp(env_int("BENCH_MAKESPAN", 1), 0, 10);
  stackrun::testing::TempDir dir("stackrun-bench-jobs");
  if (std::getenv("BENCH_KEEP")) dir.keep();
  const std::string root = dir.path().string();
  const std::string r20 = root + "/repo20", r200 = root + "/repo200", r40 = root + "/repo40";
  make_repo(r20, 20, "true");
  make_repo(r200, 200, "true");
  if (makespans > 0) make_repo(r40, 40, "sleep 0.5");

  const double spawn = stackrun::bench::spawn_floor_ms(50);
  const double tree = tree_floor_ms(root + "/tree", 200, 5);
  const double commit = sqlite_commit_floor_ms(root + "/floor.db", 50);

  // --- per job, 20 stacks and 200 stacks, 1 agent x 1 slot each. Both clusters are up (the
  // idle one costs nothing) and their rounds alternate, so that the host's slow spells, which
  // last tens of seconds here, hit both figures alike rather than one of them.
  Up up20 = stackrun::bench::start_up(kBin, r20, root + "/state20", 1, 1);
  Up up = stackrun::bench::start_up(kBin, r200, root + "/state200", 1, 1);
  const double http = http_floor_ms(up, 200);
  (void)run_batch(up20, r20, 1, 20);  // each agent's first fetch and checkout, untimed
  (void)run_batch(up, r200, 1, 200);
  PerJob small, big;
  for (int r = 0; r < rounds; ++r) {
    sample(up20, r20, 20, spawn, small);
    sample(up, r200, 200, spawn, big);
  }
  stackrun::bench::stop_up(up20);
  // Idle again, past the agent's and the server's idle release (1 s and 2 s after their last
  // work): what an idle cluster holds, not what it held a moment after a run.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const pid_t agent = up.agents.front();
  auto rss_mib = [](pid_t p, const char* key) {
    return static_cast<double>(stackrun::bench::proc_kib(p, "smaps_rollup", key)) / 1024;
  };
  const double server_rss = rss_mib(up.server_pid, "Rss"), agent_rss = rss_mib(agent, "Rss");
  const double server_private =
      rss_mib(up.server_pid, "Private_Clean") + rss_mib(up.server_pid, "Private_Dirty");
  const double agent_private = rss_mib(agent, "Private_Clean") + rss_mib(agent, "Private_Dirty");
  stackrun::bench::stop_up(up);

  // --- history: >= 10,000 finished jobs
  const std::string db200 = root + "/state200/stackrun.db";
  const double empty_start =
      median({cold_start_ms(root + "/empty.db", root), cold_start_ms(root + "/empty.db", root),
              cold_start_ms(root + "/empty.db", root)});
  const long long history = grow_history(db200, 10'000);
  std::vector<double> cold;
  for (int i = 0; i < 3; ++i) cold.push_back(cold_start_ms(db200, root));
  up = stackrun::bench::start_up(kBin, r200, root + "/state200", 1, 1);
  const PerJob aged = per_job(up, r200, 200, rounds, spawn);
  stackrun::bench::stop_up(up);

  // --- 2 agents x 1 slot
  up = stackrun::bench::start_up(kBin, r200, root + "/state2", 2, 1);
  const PerJob two = per_job(up, r200, 200, rounds, spawn);
  stackrun::bench::stop_up(up);

  // --- makespan
  std::vector<double> makespan;
  if (makespans > 0) {
    up = stackrun::bench::start_up(kBin, r40, root + "/state40", 2, 1);
    (void)run_batch(up, r40, 1, 40);  // first fetch and checkout, outside the figure
    for (int i = 0; i < makespans; ++i)
      makespan.push_back(run_batch(up, r40, 1, 40).wall_ms / 10'000);
    stackrun::bench::stop_up(up);
  }

  std::printf("stackrun jobs bench: %d round(s) of %d jobs per figure, in %s\n", rounds, kJobs,
              root.c_str());
  std::printf(
      "floors: spawn /bin/true %.2f ms; write + delete the 200-stack tree %.2f ms; "
      "SQLite commit (WAL, synchronous=FULL) %.2f ms; loopback HTTP round trip %.3f ms\n\n",
      spawn, tree, commit, http);
  std::printf("%-56s %10s %-6s %-14s %3s   %s\n", "figure", "median", "", "min-max", "N", "target");
  print("per-job overhead, 20 stacks, 1 slot (over the spawn)", small.overhead_ms, "ms", "<= 4 ms");
  print("per-job overhead, 200 stacks, 1 slot (over the spawn)", big.overhead_ms, "ms", "<= 4 ms");
  print("per-job overhead, 200 stacks, after " + std::to_string(history) + " jobs",
        aged.overhead_ms, "ms", "no drift");
  print("agent CPU per job, 20 stacks", small.agent_cpu_ms, "ms", "<= 3 ms");
  print("agent CPU per job, 200 stacks", big.agent_cpu_ms, "ms", "<= 3 ms");
  print("server CPU per job, 20 stacks", small.server_cpu_ms, "ms", "server + agent <= 5 ms");
  print("server CPU per job, 200 stacks", big.server_cpu_ms, "ms", "server + agent <= 5 ms");
  print("throughput, 1 agent x 1 slot", big.jobs_per_s, "jobs/s", ">= 150 jobs/s");
  print("throughput, 2 agents x 1 slot", two.jobs_per_s, "jobs/s", ">= 200 jobs/s");
  if (!makespan.empty())
    print("makespan, 40 x sleep 0.5 on 2 slots / ideal 10 s", makespan, "x", "<= 1.03 x");
  print("cold start to first answered request, empty db", {empty_start}, "ms", "-");
  print("cold start, " + std::to_string(history) + " finished jobs", cold, "ms", "-");
  std::printf(
      "idle RSS server / agent: %.1f / %.1f MiB (target <= 8 / <= 4); private %.1f / "
      "%.1f MiB (target <= 2 each)\n",
      server_rss, agent_rss, server_private, agent_private);
  std::printf("per-job overhead, 200 stacks minus 20 stacks: %.2f ms (target < 2 ms)\n",
              median(big.overhead_ms) - median(small.overhead_ms));

  const std::string over = "over the spawn";
  table_row("per-job overhead, 200 x true, 20-stack repo, 1 slot", "ms", small.overhead_ms,
            "<= 4 ms " + over, spawn, "spawn /bin/true");
  table_row("per-job overhead, 200 x true, 200-stack repo, 1 slot", "ms", big.overhead_ms,
            "<= 4 ms " + over, spawn, "spawn /bin/true");
  table_row("per-job overhead, 200-stack minus 20-stack repo", "ms",
            {median(big.overhead_ms) - median(small.overhead_ms)}, "< 2 ms");
  table_row("per-job overhead after " + std::to_string(history) + " finished jobs", "ms",
            aged.overhead_ms, "no drift", median(big.overhead_ms), "fresh db");
  table_row("agent CPU per job, 20-stack repo", "ms", small.agent_cpu_ms, "<= 3 ms");
  table_row("agent CPU per job, 200-stack repo", "ms", big.agent_cpu_ms, "<= 3 ms");
  table_row("server CPU per job, 20-stack repo", "ms", small.server_cpu_ms, "<= 2 ms");
  table_row("server CPU per job, 200-stack repo", "ms", big.server_cpu_ms, "<= 2 ms");
  table_row("throughput, 1 agent x 1 slot", "jobs/s", big.jobs_per_s, ">= 150");
  table_row("throughput, 2 agents x 1 slot", "jobs/s", two.jobs_per_s, ">= 200");
  if (!makespan.empty())
    table_row("makespan, 40 x sleep 0.5, 2 slots, / ideal 10 s", "x", makespan, "<= 1.03");
  table_row("cold start to first answer, " + std::to_string(history) + " finished jobs", "ms", cold,
            "a few ms", empty_start, "empty db");
  table_row("idle RSS, server", "MiB", {server_rss}, "<= 8");
  table_row("idle RSS, agent", "MiB", {agent_rss}, "<= 4");
  table_row("idle private memory, server", "MiB", {server_private}, "<= 2");
  table_row("idle private memory, agent", "MiB", {agent_private}, "<= 2");
  table_row("floor: spawn /bin/true", "ms", {spawn}, "-");
  table_row("floor: write + delete the 200-stack tree", "ms", {tree}, "-");
  table_row("floor: SQLite commit, WAL, synchronous=FULL", "ms", {commit}, "-");
  table_row("floor: loopback HTTP round trip (GET /health)", "ms", {http}, "-");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "stackrun_bench_jobs: %s\n", e.what());
  return 1;
}
