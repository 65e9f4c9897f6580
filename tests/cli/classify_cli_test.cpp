// Black-box: `stackrun classify` verdicts, JSON shape and exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/run_command.hpp"

using stackrun::testing::run_command;

namespace {

const std::string kSrc = STACKRUN_SOURCE_DIR;

const char* kBoxedLock =
    "\x1b[31m╷\x1b[0m\n"
    "\x1b[31m│\x1b[0m \x1b[1m\x1b[31mError: \x1b[0m\x1b[1mError acquiring the state lock\x1b[0m\n"
    "\x1b[31m│\x1b[0m \n"
    "\x1b[31m│\x1b[0m Error message: resource temporarily unavailable\n"
    "\x1b[31m│\x1b[0m Lock Info:\n"
    "\x1b[31m│\x1b[0m   ID:        9d0e4c1a-2b3c-4d5e-8f90-123456789abc\n"
    "\x1b[31m│\x1b[0m   Path:      state/stacks__dbaas.tfstate\n"
    "\x1b[31m│\x1b[0m   Operation: OperationTypeApply\n"
    "\x1b[31m│\x1b[0m   Who:       alice@laptop\n"
    "\x1b[31m│\x1b[0m   Version:   1.5.7\n"
    "\x1b[31m│\x1b[0m   Created:   2026-06-28 16:58:01.123456789 +0000 UTC\n"
    "\x1b[31m│\x1b[0m   Info:      \n"
    "\x1b[31m╵\x1b[0m\n";

TEST(ClassifyCli, JsonForBoxedColouredLockError) {
  auto r = run_command({STACKRUN_BIN, "classify", "--json", "--exit", "1"}, kBoxedLock);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["class"], "lock");
  EXPECT_EQ(j["line"], "Error: Error acquiring the state lock");
  EXPECT_EQ(j["line_no"], 2);
  EXPECT_EQ(j["lock"]["who"], "alice@laptop");
  EXPECT_EQ(j["lock"]["id"], "9d0e4c1a-2b3c-4d5e-8f90-123456789abc");
  EXPECT_EQ(j["lock"]["operation"], "OperationTypeApply");
  EXPECT_EQ(j["lock"]["path"], "state/stacks__dbaas.tfstate");
  EXPECT_EQ(j["lock"]["created"], "2026-06-28 16:58:01.123456789 +0000 UTC");
}

TEST(ClassifyCli, TextOutputNamesClassRuleAndLine) {
  auto r = run_command({STACKRUN_BIN, "classify"},
                       "Initializing provider plugins...\n"
                       "Error: Failed to install provider\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("class: transient\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("line:  2: Error: Failed to install provider\n"), std::string::npos)
      << r.out;
}

TEST(ClassifyCli, DriftPipelineMapsExitTwo) {
  auto r = run_command({STACKRUN_BIN, "classify", "--json", "--exit", "2", "--pipeline",
                        kSrc + "/examples/drift.yml"},
                       "Plan: 1 to add, 0 to change, 0 to destroy.\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["class"], "drift");
  EXPECT_EQ(j["rule"], "exit:2");
  EXPECT_EQ(j["line"], "Plan: 1 to add, 0 to change, 0 to destroy.");
}

TEST(ClassifyCli, WithoutPipelineExitTwoIsFatal) {
  auto r = run_command({STACKRUN_BIN, "classify", "--json", "--exit", "2"}, "Plan: 1 to add\n");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)["class"], "fatal");
}

TEST(ClassifyCli, PipelineRulesExtendBuiltins) {
  // apply.yml declares "pq: (?:unexpected EOF|connection reset by peer)" as transient.
  auto r =
      run_command({STACKRUN_BIN, "classify", "--json", "--pipeline", kSrc + "/examples/apply.yml"},
                  "Error: pq: unexpected EOF\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["class"], "transient");
  EXPECT_EQ(j["rule"], "pipeline.transient[0]");
}

TEST(ClassifyCli, SuccessOnExitZero) {
  auto r = run_command({STACKRUN_BIN, "classify", "--json", "--exit", "0"}, "Apply complete!\n");
  EXPECT_EQ(nlohmann::json::parse(r.out)["class"], "success");
}

TEST(ClassifyCli, UsageErrors) {
  EXPECT_EQ(run_command({STACKRUN_BIN, "classify", "--exit", "300"}).exit_code, 2);
  EXPECT_EQ(run_command({STACKRUN_BIN, "classify", "--step", "x"}).exit_code, 2);
  EXPECT_EQ(run_command({STACKRUN_BIN, "classify", "--pipeline", "/nonexistent.yml"}).exit_code, 2);
}

}  // namespace
