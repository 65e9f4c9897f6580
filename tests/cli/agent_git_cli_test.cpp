// Black-box: `stackrun agent`'s forge credentials (--git-token-file, --git-ssh-key) are checked
// before the agent creates its work dir or contacts the server: a bad one is a usage error
// (exit 2) naming the flag and the file, never a token.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

using stackrun::testing::run_command;
using stackrun::testing::TempDir;

namespace {

TEST(AgentGitCli, UnusableCredentialFilesAreUsageErrors) {
  TempDir tmp("stackrun-agent-git-cli");
  const std::string dir = tmp.path().string();
  stackrun::testing::write_file(tmp.path() / "empty", "");
  const std::string work = dir + "/work";
  struct Row {
    std::vector<std::string> flags;
    std::string err;
  };
  const std::vector<Row> rows = {
      {{"--git-token-file", dir + "/none"},
       "stackrun agent: --git-token-file: " + dir +
           "/none: cannot read: No such file or directory\n"},
      {{"--git-token-file", dir + "/empty"},
       "stackrun agent: --git-token-file: " + dir + "/empty: the token file is empty\n"},
      {{"--git-ssh-key", dir + "/none"},
       "stackrun agent: --git-ssh-key " + dir + "/none: No such file or directory\n"},
      {{"--git-ssh-key", dir + "/empty", "--git-token-file", dir + "/empty"},
       "--git-token-file excludes --git-ssh-key\nRun with --help for more information.\n"},
  };
  for (const auto& row : rows) {
    std::vector<std::string> argv = {STACKRUN_BIN,         "agent",   "--server",
                                     "http://127.0.0.1:1", "--token", "agent-token",
                                     "--work-dir",         work};
    argv.insert(argv.end(), row.flags.begin(), row.flags.end());
    const auto r = run_command(argv, "", std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, row.err);
    EXPECT_FALSE(std::filesystem::exists(work)) << "refused before the work dir is made";
  }
}

}  // namespace
