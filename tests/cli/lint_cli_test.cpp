// Black-box: `stackrun lint` output text and exit codes.
#include <gtest/gtest.h>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

using stackrun::testing::run_command;
using stackrun::testing::TempDir;
using stackrun::testing::write_file;

namespace {

const std::string kSrc = STACKRUN_SOURCE_DIR;

TEST(LintCli, ExamplesAreClean) {
  auto r = run_command(
      {STACKRUN_BIN, "lint", kSrc + "/examples/apply.yml", kSrc + "/examples/drift.yml"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(LintCli, ReportsLocatedProblemsAndExitsOne) {
  TempDir dir;
  const auto file = (dir.path() / "bad.yml").string();
  write_file(file,
             "version: 1\n"
             "name: apply\n"
             "when:\n"
             "  - event: push\n"
             "tiers:\n"
             "  - name: apps\n"
             "    parallelism: four\n"
             "steps:\n"
             "  - name: apply\n"
             "    command: terragrunt apply\n"
             "    tiemout: 5m\n");
  auto r = run_command({STACKRUN_BIN, "lint", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, file + ":7:18: \"parallelism\" must be an integer, got string \"four\"\n" +
                       file +
                       ":11:5: unknown key \"tiemout\" in step (did you mean \"timeout\"?)\n");
  EXPECT_EQ(r.err, "2 problems in 1 file\n");
}

TEST(LintCli, BadGlobIsLocated) {
  TempDir dir;
  const auto file = (dir.path() / "glob.yml").string();
  write_file(file,
             "version: 1\n"
             "name: apply\n"
             "when:\n"
             "  - event: push\n"
             "    path: [\"stacks/[abc\"]\n"
             "steps:\n"
             "  - {name: apply, command: terragrunt apply}\n");
  auto r = run_command({STACKRUN_BIN, "lint", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, file + ":5:12: invalid glob \"stacks/[abc\": unclosed '['\n");
}

TEST(LintCli, YamlSyntaxErrorNamesPosition) {
  TempDir dir;
  const auto file = (dir.path() / "syntax.yml").string();
  write_file(file, "version: 1\nname: [unclosed\n");
  auto r = run_command({STACKRUN_BIN, "lint", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.rfind(file + ":", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("YAML syntax error"), std::string::npos) << r.out;
}

TEST(LintCli, MissingFileIsUsageError) {
  auto r = run_command({STACKRUN_BIN, "lint", "/nonexistent/p.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "stackrun lint: /nonexistent/p.yml: cannot read: No such file or directory\n");
}

TEST(LintCli, NoArgumentsIsUsageError) {
  auto r = run_command({STACKRUN_BIN, "lint"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
