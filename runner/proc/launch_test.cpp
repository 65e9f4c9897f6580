#include "runner/proc/launch.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

namespace stackrun::proc {
namespace {

using std::chrono::milliseconds;

struct MergeRow {
  const char* name;
  EnvList base;
  EnvList overrides;
  EnvList want;
};

const MergeRow kMergeRows[] = {
    {"both empty", {}, {}, {}},
    {"base only", {{"A", "1"}, {"B", "2"}}, {}, {{"A", "1"}, {"B", "2"}}},
    {"overrides only", {}, {{"A", "1"}, {"B", "2"}}, {{"A", "1"}, {"B", "2"}}},
    {"override replaces in place",
     {{"A", "1"}, {"B", "2"}, {"C", "3"}},
     {{"B", "x"}},
     {{"A", "1"}, {"B", "x"}, {"C", "3"}}},
    {"new keys follow in override order",
     {{"B", "2"}},
     {{"Z", "z"}, {"A", "a"}},
     {{"B", "2"}, {"Z", "z"}, {"A", "a"}}},
    {"later override wins", {{"A", "1"}}, {{"A", "2"}, {"A", "3"}}, {{"A", "3"}}},
    {"later new key wins, first position kept",
     {{"X", "0"}},
     {{"N", "1"}, {"M", "m"}, {"N", "2"}},
     {{"X", "0"}, {"N", "2"}, {"M", "m"}}},
    {"duplicates in base collapse, last wins",
     {{"A", "1"}, {"B", "2"}, {"A", "3"}},
     {},
     {{"A", "3"}, {"B", "2"}}},
    {"empty value is a value", {{"A", "1"}}, {{"A", ""}}, {{"A", ""}}},
    {"empty value can be overridden", {{"A", ""}}, {{"A", "1"}}, {{"A", "1"}}},
    {"names are case sensitive", {{"path", "a"}}, {{"PATH", "b"}}, {{"path", "a"}, {"PATH", "b"}}},
    {"mixed",
     {{"HOME", "/h"}, {"PATH", "/bin"}, {"TF_LOG", "warn"}},
     {{"TF_LOG", "debug"}, {"AWS_REGION", "eu-west-1"}, {"PATH", "/opt/bin:/bin"}},
     {{"HOME", "/h"}, {"PATH", "/opt/bin:/bin"}, {"TF_LOG", "debug"}, {"AWS_REGION", "eu-west-1"}}},
    {"value with '='", {{"A", "x=y"}}, {{"B", "=z"}}, {{"A", "x=y"}, {"B", "=z"}}},
};

TEST(MergeEnv, Table) {
  for (const MergeRow& row : kMergeRows) {
    EXPECT_EQ(merge_env(row.base, row.overrides), row.want) << row.name;
  }
}

TEST(FindEnv, LastEntryWins) {
  const EnvList env = {{"PATH", "/a"}, {"HOME", "/h"}, {"PATH", "/b"}};
  EXPECT_EQ(find_env(env, "PATH"), "/b");
  EXPECT_EQ(find_env(env, "HOME"), "/h");
  EXPECT_EQ(find_env(env, "path"), std::nullopt);
  EXPECT_EQ(find_env({}, "PATH"), std::nullopt);
}

TEST(MakeShellLaunch, BuildsShArgvAndMergedEnv) {
  const Launch l =
      make_shell_launch("terragrunt apply -auto-approve", {{"PATH", "/bin"}, {"TF_LOG", "warn"}},
                        {{"TF_LOG", "debug"}, {"STACK", "net"}}, "/work/stacks/net",
                        milliseconds(90000), milliseconds(5000));
  EXPECT_EQ(l.argv, (std::vector<std::string>{"/bin/sh", "-ec", "terragrunt apply -auto-approve"}));
  EXPECT_EQ(l.env, (EnvList{{"PATH", "/bin"}, {"TF_LOG", "debug"}, {"STACK", "net"}}));
  EXPECT_EQ(l.cwd, "/work/stacks/net");
  EXPECT_EQ(l.timeout, milliseconds(90000));
  EXPECT_EQ(l.grace, milliseconds(5000));
}

TEST(MakeShellLaunch, CommandIsOneArgumentVerbatim) {
  const std::string command = "echo \"a b\" 'c'\nexit 3\n";
  const Launch l = make_shell_launch(command, {}, {}, "", milliseconds(1), milliseconds(1));
  ASSERT_EQ(l.argv.size(), 3u);
  EXPECT_EQ(l.argv[2], command);
}

TEST(CurrentEnvironment, ReadsEnviron) {
  ASSERT_EQ(::setenv("STACKRUN_LAUNCH_TEST_VAR", "a=b c", 1), 0);
  const EnvList env = current_environment();
  ::unsetenv("STACKRUN_LAUNCH_TEST_VAR");
  EXPECT_EQ(find_env(env, "STACKRUN_LAUNCH_TEST_VAR"), "a=b c");
  for (const auto& [name, value] : env) {
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find('='), std::string::npos) << name;
  }
}

struct CandidatesRow {
  const char* program;
  const char* path;
  std::vector<std::string> want;
};

const CandidatesRow kCandidateRows[] = {
    {"terragrunt", "/usr/local/bin:/usr/bin", {"/usr/local/bin/terragrunt", "/usr/bin/terragrunt"}},
    {"sh", "/bin", {"/bin/sh"}},
    {"sh", "/bin/", {"/bin/sh"}},
    {"sh", "", {}},
    {"sh", ":", {}},
    {"sh", "::/bin::", {"/bin/sh"}},
    {"sh", "tools:/bin", {"tools/sh", "/bin/sh"}},
    {"/usr/bin/env", "/bin", {"/usr/bin/env"}},
    {"./deploy.sh", "/bin", {"./deploy.sh"}},
    {"bin/tool", "", {"bin/tool"}},
    {"", "/bin", {}},
};

TEST(ProgramCandidates, Table) {
  for (const CandidatesRow& row : kCandidateRows) {
    EXPECT_EQ(program_candidates(row.program, row.path), row.want)
        << row.program << " in " << row.path;
  }
}

}  // namespace
}  // namespace stackrun::proc
