#pragma once
// Helpers the benchmark programs share (bench/*.cpp; never part of the product or the tests).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/run_command.hpp"

namespace stackrun::bench {

using Clock = std::chrono::steady_clock;

// An integer from the environment, `fallback` when unset or empty.
inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// git with no system or user configuration, so the machine's settings cannot change the repo
// (a fixed identity for commits); no automatic gc or maintenance either: with 20,000 loose
// objects it would start in the background after a commit, load the machine during the
// measurement and race the removal of the temp dir. Returns stdout; throws naming the command.
inline std::string git(const std::string& repo, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", repo, "-c", "gc.auto=0", "-c", "maintenance.auto=false"});
  auto r = testing::run_command(args, "", std::chrono::seconds(300),
                                {{"GIT_CONFIG_NOSYSTEM", "1"},
                                 {"GIT_CONFIG_GLOBAL", "/dev/null"},
                                 {"GIT_AUTHOR_NAME", "b"},
                                 {"GIT_AUTHOR_EMAIL", "b@example.invalid"},
                                 {"GIT_COMMITTER_NAME", "b"},
                                 {"GIT_COMMITTER_EMAIL", "b@example.invalid"}});
  if (r.exit_code != 0) {
    std::string line;
    for (const auto& a : args) line += a + " ";
    throw std::runtime_error(line + "failed: " + r.err);
  }
  return r.out;
}

// A generated tree: 10 module files, then per stack a terragrunt.hcl sourcing one of them and
// per_stack - 1 small .tfvars files (stacks/s<N>/...).
struct File {
  std::string path, body;
};

inline std::vector<File> tree_files(int stacks, int per_stack) {
  std::vector<File> files;
  for (int m = 0; m < 10; ++m)
    files.push_back({"modules/m" + std::to_string(m) + "/main.tf",
                     std::string(2000, static_cast<char>('a' + m)) + "\n"});
  for (int s = 0; s < stacks; ++s) {
    const std::string dir = "stacks/s" + std::to_string(s) + "/";
    files.push_back({dir + "terragrunt.hcl",
                     "terraform { source = \"../../modules/m" + std::to_string(s % 10) + "\" }\n"});
    for (int f = 1; f < per_stack; ++f)
      files.push_back({dir + "f" + std::to_string(f) + ".tfvars",
                       "value_" + std::to_string(f) + " = \"" + std::string(400, 'x') + "\"\n"});
  }
  return files;
}

inline void write_tree(const std::filesystem::path& root, const std::vector<File>& files) {
  for (const File& f : files) {
    const std::filesystem::path p = root / f.path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << f.body;
  }
}

// One row of the table scripts/bench prints at the end: appended as a tab-separated line to
// the file $BENCH_TABLE names (nothing when it is unset), so each benchmark program keeps its
// own detailed output and the script gathers the headline figures. `samples` are in `unit`
// (median, min-max and N come from them); `floor` is the matching floor measured in the same
// run, in the same unit (<= 0: none), and the row shows median / floor.
inline void table_row(const std::string& figure, const std::string& unit,
                      std::vector<double> samples, const std::string& target, double floor = 0,
                      const std::string& floor_name = "") {
  const char* path = std::getenv("BENCH_TABLE");
  if (!path || !*path || samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  const double med = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  char ratio[256] = "-";
  if (floor > 0) std::snprintf(ratio, sizeof ratio, "%.3gx %s", med / floor, floor_name.c_str());
  char line[1024];
  std::snprintf(line, sizeof line, "%s\t%.3g %s\t%.3g-%.3g\t%zu\t%s\t%s\n", figure.c_str(), med,
                unit.c_str(), samples.front(), samples.back(), n, target.c_str(), ratio);
  std::ofstream(path, std::ios::app) << line;
}

}  // namespace stackrun::bench
