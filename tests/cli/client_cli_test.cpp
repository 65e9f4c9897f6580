// Black-box: the operator subcommands' flags and exit codes where no server is needed: the
// client flags after `trigger push|apply`, "unreachable" (4) and "no server or token" (2).
// Talking to a real server is the e2e suite's job.
#include <gtest/gtest.h>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

using stackrun::testing::CommandResult;
using stackrun::testing::run_command;
using stackrun::testing::TempDir;

namespace {

// Nothing listens on port 1 of the loopback interface (a privileged port no test binds).
const std::string kNowhere = "http://127.0.0.1:1";

// Runs stackrun with STACKRUN_SERVER/TOKEN/STATE_DIR set empty (= unset), so only the flags
// (and `state_dir`, if given) decide where the server is.
CommandResult cli(std::vector<std::string> args, const std::string& state_dir = "") {
  args.insert(args.begin(), STACKRUN_BIN);
  return run_command(args, "", std::chrono::seconds(60),
                     {{"STACKRUN_SERVER", ""},
                      {"STACKRUN_TOKEN", ""},
                      {"STACKRUN_STATE_DIR", state_dir},
                      {"NO_COLOR", "1"}});
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

TEST(ClientCli, TriggerPushTakesClientFlagsAfterTheSubcommand) {
  auto r = cli({"trigger", "push", "--server", kNowhere, "--token", "t"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(starts_with(r.err, "stackrun trigger: POST " + kNowhere + "/api/v1/runs: ")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(ClientCli, TriggerStillTakesClientFlagsBeforeTheSubcommand) {
  auto r = cli({"trigger", "--server", kNowhere, "--token", "t", "--json", "push", "--to", "x"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(starts_with(r.err, "stackrun trigger: POST " + kNowhere + "/api/v1/runs: ")) << r.err;
}

TEST(ClientCli, TriggerApplyTakesStateDirAfterTheSubcommand) {
  TempDir tmp("stackrun-client-cli");
  const std::string empty = tmp.path().string();
  auto r = cli({"trigger", "apply", "--stack", "grafana", "--state-dir", empty});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "stackrun trigger: no server given: pass --server URL, set STACKRUN_SERVER, "
            "or start one with `stackrun up` (" +
                empty + "/client.json: cannot read: No such file or directory)\n");
}

TEST(ClientCli, TriggerReadsTheServerFromTheStateDirGivenAfterTheSubcommand) {
  TempDir tmp("stackrun-client-cli");
  stackrun::testing::write_file(tmp.path() / "client.json",
                                R"({"version":1,"server":")" + kNowhere + R"(","token":"t"})");
  auto r = cli({"trigger", "apply", "--stack", "grafana", "--state-dir", tmp.path().string()});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(starts_with(r.err, "stackrun trigger: POST " + kNowhere + "/api/v1/runs: ")) << r.err;
}

TEST(ClientCli, TriggerUnknownFlagIsAUsageError) {
  EXPECT_EQ(cli({"trigger", "push", "--server", kNowhere, "--bogus"}).exit_code, 2);
  EXPECT_EQ(cli({"trigger", "apply", "--server", kNowhere}).exit_code, 2);  // --stack required
}

TEST(ClientCli, LogsAgainstAPortNothingListensOnExitsFour) {
  auto r = cli({"logs", "7", "--server", kNowhere, "--token", "t", "--stack", "a b"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  // The stack is URL-encoded in the request the error names.
  EXPECT_TRUE(
      starts_with(r.err, "stackrun logs: GET " + kNowhere +
                             "/api/v1/runs/7/logs?after=0&wait_ms=0&format=frames&stack=a%20b: "))
      << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(ClientCli, LogsWithoutServerOrTokenIsAUsageError) {
  TempDir tmp("stackrun-client-cli");
  auto r = cli({"logs", "7"}, tmp.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(starts_with(r.err, "stackrun logs: no server given: ")) << r.err;
  auto t = cli({"logs", "7", "--server", kNowhere, "--state-dir", tmp.path().string()});
  EXPECT_EQ(t.exit_code, 2) << t.err;
  EXPECT_EQ(t.err,
            "stackrun logs: no token given: pass --token-file FILE (or --token), set "
            "STACKRUN_TOKEN_FILE or STACKRUN_TOKEN, or use `stackrun up`'s " +
                tmp.path().string() + "/client.json\n");
}

TEST(ClientCli, LogsHelpDocumentsTheExitCodes) {
  auto r = cli({"logs", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("5 request refused"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 server unreachable"), std::string::npos) << r.out;
}

TEST(ClientCli, OtherOperatorCommandsExitFourWhenUnreachable) {
  const std::vector<std::vector<std::string>> commands = {
      {"runs"}, {"show", "3"}, {"cancel", "3"}, {"cancel", "3", "--force", "--json"}};
  for (const auto& c : commands) {
    std::vector<std::string> args = c;
    args.insert(args.end(), {"--server", kNowhere, "--token", "t"});
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 4) << c[0] << ": " << r.err;
    EXPECT_TRUE(starts_with(r.err, "stackrun " + c[0] + ": ")) << r.err;
  }
}

TEST(ClientCli, ClientJsonOfAnotherVersionIsRefusedByName) {
  TempDir tmp("stackrun-client-cli");
  stackrun::testing::write_file(tmp.path() / "client.json",
                                R"({"version":9,"server":"x","token":"t"})");
  auto r = cli({"runs", "--state-dir", tmp.path().string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "stackrun runs: " + tmp.path().string() +
                       "/client.json: client file: field \"version\": expected 1 (written by a "
                       "newer stackrun?), got 9\n");
}

}  // namespace
