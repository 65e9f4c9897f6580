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

// An agent environment holding a bit of everything a real one may hold.
const EnvList kAgentEnv = {
    {"PATH", "/usr/bin:/bin"},
    {"HOME", "/home/ci"},
    {"STACKRUN_AGENT_TOKEN", "sr_agent_secret"},
    {"AWS_SECRET_ACCESS_KEY", "aws"},
    {"LANG", "C.UTF-8"},
    {"LC_ALL", "C"},
    {"LC_TIME", "en_GB.UTF-8"},
    {"LCX", "not a locale variable"},
    {"https_proxy", "http://proxy:3128"},
    {"NO_PROXY", "localhost"},
    {"TZ", "UTC"},
    {"TERM", "xterm"},
    {"USER", "ci"},
    {"TMPDIR", "/tmp/ci"},
    {"SSH_AUTH_SOCK", "/run/ssh.sock"},
    {"STACKRUN_STUB_STATE", "/tmp/state"},
    {"STACKRUN_STUB_APPLY_SECONDS", "0.3"},
    {"STACKRUN_SECRET_pg_password", "hunter22"},
    {"STACKRUN_TOKEN", "sr_operator"},
    {"STACKRUN_TOKEN_FILE", "/etc/stackrun/token"},
    {"STACKRUN_AGENT_TOKEN_FILE", "/etc/stackrun/agent-token"},
    {"STACKRUN_BOOTSTRAP_TOKEN", "sr_boot"},
    {"TG_LOCK_TIMEOUT", "0s"},
    {"path", "lower-case is another name"},
};

struct StepEnvRow {
  const char* name;
  EnvList agent_env;
  std::vector<std::string> patterns;
  EnvList want;
};

const EnvList kDefaults = {{"PATH", "/usr/bin:/bin"},  {"HOME", "/home/ci"},
                           {"LANG", "C.UTF-8"},        {"LC_ALL", "C"},
                           {"LC_TIME", "en_GB.UTF-8"}, {"https_proxy", "http://proxy:3128"},
                           {"NO_PROXY", "localhost"},  {"TZ", "UTC"},
                           {"TERM", "xterm"},          {"USER", "ci"},
                           {"TMPDIR", "/tmp/ci"}};

EnvList with(EnvList base, const EnvList& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

const StepEnvRow kStepEnvRows[] = {
    {"empty", {}, {"*"}, {}},
    {"the allow-list only", kAgentEnv, {}, kDefaults},
    {"an exact extra name",
     kAgentEnv,
     {"TG_LOCK_TIMEOUT"},
     with(kDefaults, {{"TG_LOCK_TIMEOUT", "0s"}})},
    {"a glob, in the agent's order",
     kAgentEnv,
     {"STACKRUN_STUB_*"},
     {{"PATH", "/usr/bin:/bin"},
      {"HOME", "/home/ci"},
      {"LANG", "C.UTF-8"},
      {"LC_ALL", "C"},
      {"LC_TIME", "en_GB.UTF-8"},
      {"https_proxy", "http://proxy:3128"},
      {"NO_PROXY", "localhost"},
      {"TZ", "UTC"},
      {"TERM", "xterm"},
      {"USER", "ci"},
      {"TMPDIR", "/tmp/ci"},
      {"STACKRUN_STUB_STATE", "/tmp/state"},
      {"STACKRUN_STUB_APPLY_SECONDS", "0.3"}}},
    {"tokens and secrets never pass, even under *",
     kAgentEnv,
     {"*"},
     {{"PATH", "/usr/bin:/bin"},
      {"HOME", "/home/ci"},
      {"AWS_SECRET_ACCESS_KEY", "aws"},
      {"LANG", "C.UTF-8"},
      {"LC_ALL", "C"},
      {"LC_TIME", "en_GB.UTF-8"},
      {"LCX", "not a locale variable"},
      {"https_proxy", "http://proxy:3128"},
      {"NO_PROXY", "localhost"},
      {"TZ", "UTC"},
      {"TERM", "xterm"},
      {"USER", "ci"},
      {"TMPDIR", "/tmp/ci"},
      {"SSH_AUTH_SOCK", "/run/ssh.sock"},
      {"STACKRUN_STUB_STATE", "/tmp/state"},
      {"STACKRUN_STUB_APPLY_SECONDS", "0.3"},
      {"TG_LOCK_TIMEOUT", "0s"},
      {"path", "lower-case is another name"}}},
    {"naming a token or a secret exactly passes nothing",
     kAgentEnv,
     {"STACKRUN_AGENT_TOKEN", "STACKRUN_SECRET_pg_password", "STACKRUN_*TOKEN*",
      "STACKRUN_SECRET_*"},
     kDefaults},
    {"names are case sensitive", {{"Path", "/x"}, {"home", "/h"}}, {}, {}},
    {"a pattern that matches nothing", kAgentEnv, {"NOPE_*"}, kDefaults},
    {"a repeated name: last value, first position",
     {{"PATH", "/a"}, {"HOME", "/h"}, {"PATH", "/b"}},
     {},
     {{"PATH", "/b"}, {"HOME", "/h"}}},
    {"repeated patterns pass a name once",
     {{"X_1", "a"}, {"X_2", "b"}},
     {"X_*", "X_1", "*"},
     {{"X_1", "a"}, {"X_2", "b"}}},
};

TEST(StepEnvironment, Table) {
  for (const StepEnvRow& row : kStepEnvRows)
    EXPECT_EQ(step_environment(row.agent_env, row.patterns), row.want) << row.name;
}

TEST(StepEnvironment, NoValueOfAnyTokenOrSecretEverPasses) {
  // Whatever the patterns, no value that is a token or a secret comes out.
  const std::vector<std::vector<std::string>> pattern_sets = {
      {}, {"*"}, {"STACKRUN_*"}, {"*TOKEN*"}, {"*_*"}, {"S*"}, {"STACKRUN_SECRET_pg_password"}};
  for (const auto& patterns : pattern_sets) {
    for (const auto& [name, value] : step_environment(kAgentEnv, patterns)) {
      EXPECT_NE(value, "sr_agent_secret") << name;
      EXPECT_NE(value, "hunter22") << name;
      EXPECT_NE(value, "sr_operator") << name;
      EXPECT_NE(value, "sr_boot") << name;
      EXPECT_EQ(name.find("TOKEN"), std::string::npos) << name;
    }
  }
}

struct PatternRow {
  const char* pattern;
  const char* name;
  bool want;
};

const PatternRow kPatternRows[] = {
    {"A", "A", true},
    {"A", "AB", false},
    {"A", "a", false},
    {"*", "", true},
    {"*", "ANY_NAME", true},
    {"A*", "A", true},
    {"A*", "AB_C", true},
    {"A*", "BA", false},
    {"*_PROXY", "HTTP_PROXY", true},
    {"*_PROXY", "PROXY", false},
    {"A*B*C", "AxxBxxC", true},
    {"A*B*C", "AxxCxxB", false},
    {"A*B", "AB", true},
    {"A*B", "ABAB", true},
    {"A*B", "ABA", false},
    {"**", "X", true},
    {"", "", true},
    {"", "X", false},
};

TEST(EnvPatternMatch, Table) {
  for (const PatternRow& r : kPatternRows)
    EXPECT_EQ(env_pattern_match(r.pattern, r.name), r.want) << r.pattern << " vs " << r.name;
}

TEST(EnvPatternError, Table) {
  EXPECT_EQ(env_pattern_error("STACKRUN_STUB_*"), std::nullopt);
  EXPECT_EQ(env_pattern_error("*"), std::nullopt);
  EXPECT_EQ(env_pattern_error("tf_var_1"), std::nullopt);
  EXPECT_EQ(env_pattern_error(""), "an empty name passes nothing");
  EXPECT_EQ(env_pattern_error("A-B"), "\"A-B\" may hold only letters, digits, _ and *");
  EXPECT_EQ(env_pattern_error("A=1"), "\"A=1\" may hold only letters, digits, _ and *");
  EXPECT_EQ(env_pattern_error("TF_?"), "\"TF_?\" may hold only letters, digits, _ and *");
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
