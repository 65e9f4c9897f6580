#pragma once
// Runs a real child process for black-box tests: argv (no shell), optional stdin bytes,
// captured stdout/stderr, exit status. Bounded: the child is killed after `timeout`.
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace stackrun::testing {

struct CommandResult {
  int exit_code = -1;  // exit status, or 128+signal if killed by a signal
  std::string out, err;
};

CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                          std::chrono::seconds timeout = std::chrono::seconds(60),
                          const std::map<std::string, std::string>& extra_env = {});

}  // namespace stackrun::testing
