#pragma once
// Helpers the benchmark programs share (bench/*.cpp; never part of the product or the tests).
#include <chrono>
#include <cstdlib>
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

}  // namespace stackrun::bench
