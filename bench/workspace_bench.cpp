// The agent's per-job workspace cost (GitWorkspaceMaker, agents/workspace.hpp) on generated
// repos of 20, 200 and 500 stacks (BENCH_FILES_PER_STACK, 20, files each, plus a modules tree),
// real git repos in a temp dir, beside the floor measured in the same run: writing and deleting
// the same tree with plain file writes. Three ways per size, BENCH_RUNS (30) jobs each, the
// commit alternating between two that differ in one stack:
//   fresh      write every file, delete the tree after the job (what the agent did before reuse)
//   reused     take the parked workspace, verify it by the change journal, write what differs,
//              park it again
//   reused+job the same after a job that left a plan file and a 20-file .terragrunt-cache
//   walked     reused by an agent without a journal of the tree (just restarted): every file is
//              stat'ed against the state file, after the same job
// Target (issue 11): per-job cost independent of repo size: reused 200 stacks minus reused
// 20 stacks < 2 ms. Every workspace is checked against the commit's file list; a wrong one exits 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "agents/workspace.hpp"
#include "bench/bench_util.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using stackrun::bench::Clock;
using stackrun::bench::env_int;
using stackrun::bench::ms_since;

// Output without its trailing newlines (a commit id, a count).
std::string git_line(const std::string& repo, std::vector<std::string> args) {
  std::string out = stackrun::bench::git(repo, std::move(args));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

using stackrun::bench::File;
using stackrun::bench::tree_files;
using stackrun::bench::write_tree;

struct Figure {
  std::vector<double> ms;
  double median() {
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  }
};

void check(const fs::path& ws, std::size_t files, const std::string& what) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(ws)) n += e.is_regular_file() ? 1 : 0;
  if (n != files) {
    std::fprintf(stderr, "%s: %zu files in %s, expected %zu\n", what.c_str(), n,
                 ws.string().c_str(), files);
    std::exit(1);
  }
}

void job_leftovers(const fs::path& ws) {
  std::ofstream(ws / "stacks/s0/tfplan") << std::string(10000, 'p');
  for (int i = 0; i < 20; ++i) {
    const fs::path p = ws / "stacks/s0/.terragrunt-cache/h" / ("p" + std::to_string(i));
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "provider";
  }
}

void row(const char* name, Figure f, double floor) {
  const double med = f.median();
  std::printf("  %-38s %9.2f   %7.2f-%-8.2f %4zu   %6.2fx\n", name, med, f.ms.front(), f.ms.back(),
              f.ms.size(), floor > 0 ? med / floor : 0.0);
}

double bench_size(const fs::path& tmp, int stacks, int per_stack, int runs) {
  const fs::path repo = tmp / ("repo-" + std::to_string(stacks));
  const std::vector<File> files = tree_files(stacks, per_stack);
  fs::create_directories(repo);
  git_line(repo, {"init", "-q", "-b", "main"});
  write_tree(repo, files);
  git_line(repo, {"add", "-A"});
  git_line(repo, {"commit", "-qm", "c1"});
  const std::string c1 = git_line(repo, {"rev-parse", "HEAD"});
  std::ofstream(repo / "stacks/s1/terragrunt.hcl", std::ios::app) << "# changed\n";
  git_line(repo, {"commit", "-qam", "c2"});
  const std::string c2 = git_line(repo, {"rev-parse", "HEAD"});

  Figure floor, fresh, reused, dirty, walked;
  for (int i = 0; i < runs; ++i) {
    const fs::path dir = tmp / "floor";
    const auto t0 = Clock::now();
    write_tree(dir, files);
    fs::remove_all(dir);
    floor.ms.push_back(ms_since(t0));
  }
  const std::string cache = (tmp / ("agent-" + std::to_string(stacks)) / "cache").string();
  stackrun::agent::GitWorkspaceMaker maker(cache);
  const std::string url = repo.string();
  (void)maker.make(url, c1, (tmp / "warm").string());  // clone the cache outside the figures
  fs::remove_all(tmp / "warm");
  fs::remove(tmp / "warm.state");
  for (int i = 0; i < runs; ++i) {
    const std::string ws = (tmp / "jobs" / ("attempt-f" + std::to_string(i))).string();
    const auto t0 = Clock::now();
    if (auto s = maker.make(url, i % 2 ? c2 : c1, ws); !s) {
      std::fprintf(stderr, "%s\n", s.error().c_str());
      std::exit(1);
    }
    fs::remove_all(ws);
    fs::remove(ws + ".state");
    fresh.ms.push_back(ms_since(t0));
  }
  for (Figure* f : {&reused, &dirty, &walked}) {
    for (int i = 0; i < runs + 1; ++i) {
      const std::string ws = (tmp / "jobs" / ("attempt-r" + std::to_string(i))).string();
      std::optional<stackrun::agent::GitWorkspaceMaker> restarted;
      if (f == &walked) restarted.emplace(cache);
      auto& m = f == &walked ? *restarted : maker;
      const auto t0 = Clock::now();
      if (auto s = m.make(url, i % 2 ? c2 : c1, ws); !s) {
        std::fprintf(stderr, "%s\n", s.error().c_str());
        std::exit(1);
      }
      const double made = ms_since(t0);
      check(ws, files.size(), "after make");
      if (f != &reused) job_leftovers(ws);
      const auto t1 = Clock::now();
      m.release(url, ws);
      if (i > 0) f->ms.push_back(made + ms_since(t1));  // the first one fills the pool
    }
  }
  std::printf("%d stacks, %zu files: N = %d\n", stacks, files.size(), runs);
  const double fl = floor.median();
  row("floor: write + delete the tree", floor, fl);
  row("fresh checkout + delete (before)", fresh, fl);
  const double r = reused.median();
  row("reused workspace (one stack differs)", reused, fl);
  row("reused after a job's leftovers", dirty, fl);
  row("walked (no journal: agent restarted)", walked, fl);
  const std::string n = std::to_string(stacks) + " stacks";
  stackrun::bench::table_row("workspace per job, reused, " + n, "ms", reused.ms,
                             "not growing with stacks", fl, "write+delete tree");
  stackrun::bench::table_row("workspace per job, walked (agent restarted), " + n, "ms", walked.ms,
                             "-", fl, "write+delete tree");
  const auto c = maker.counts();
  std::printf(
      "  makes of the long-lived agent: %llu reused (%llu by the journal), %llu rebuilt\n\n",
      static_cast<unsigned long long>(c.reused), static_cast<unsigned long long>(c.journaled),
      static_cast<unsigned long long>(c.rebuilt));
  return r;
}

}  // namespace

int main() {
  const int runs = std::max(3, env_int("BENCH_RUNS", 30));
  const int per_stack = std::max(1, env_int("BENCH_FILES_PER_STACK", 20));
  stackrun::testing::TempDir tmp("stackrun-bench-ws");
  std::printf("Per-job workspace cost (ms): median, min-max, N, ratio to the floor\n\n");
  const double r20 = bench_size(tmp.path(), 20, per_stack, runs);
  const double r200 = bench_size(tmp.path(), 200, per_stack, runs);
  (void)bench_size(tmp.path(), 500, per_stack, runs);
  std::printf("reused, 200 stacks minus 20 stacks: %.2f ms (target < 2 ms)\n", r200 - r20);
  stackrun::bench::table_row("workspace per job, reused, 200 stacks minus 20", "ms", {r200 - r20},
                             "< 2 ms");
  return 0;
}
