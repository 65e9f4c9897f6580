// What a step sees of its agent, on a real agent process: a step that prints its environment
// shows the allow-list, what --pass-env named, the job's CI_*/STACKRUN_* variables and the
// pipeline's env, and nothing else of the agent's environment: no token (the agent's arrives
// in STACKRUN_AGENT_TOKEN here, the riskiest way), no STACKRUN_SECRET_* variable, no private
// variable. Steps keep the operator's umask and run under stackrun-supervise.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <regex>
#include <string>

#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

const char* const kEnvPipeline = R"Y(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks, select: changed}
tiers:
  - {name: all, parallelism: 2}
steps:
  - name: show
    env: {FROM_PIPELINE: pipeline-value}
    command: |
      echo "umask $(umask)"
      echo "parent $(cat /proc/$PPID/comm)"
      env | sort
)Y";

// Sets variables in this process (which the harness's agents inherit) for one scope.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) : vars_(vars) {
    for (const auto& [k, v] : vars_) ::setenv(k, v, 1);
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : vars_) ::unsetenv(k);
  }

 private:
  std::vector<std::pair<const char*, const char*>> vars_;
};

TEST(StepEnvironment, AStepSeesOnlyWhatItShould) {
  Cluster c(kEnvPipeline);
  c.start_server();
  const mode_t old_umask = ::umask(022);
  {
    // Not in the harness's agent env, so no --pass-env for them: the agent must keep them.
    ScopedEnv env({{"STACKRUN_E2E_PRIVATE", "private-value-4711"},
                   {"AWS_SECRET_ACCESS_KEY", "aws-value-4712"},
                   {"STACKRUN_SECRET_pg_password", "secret-value-4713"}});
    c.start_agent("a1");
  }
  ::umask(old_umask);
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  const auto r = c.wait_run(run);
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  const auto logs = c.cli({"logs", std::to_string(run), "--stack", "grafana"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  const std::string& out = logs.out;

  // The allow-list, --pass-env (the harness passes STACKRUN_STUB_*), the job's variables,
  // the pipeline's env, the operator's umask.
  for (const char* want :
       {"] PATH=", "] FROM_PIPELINE=pipeline-value", "] STACKRUN_STUB_STATE=" /* --pass-env */,
        "] CI_COMMIT_SHA=", "] STACKRUN_STACK=stacks/grafana", "] STACKRUN_ATTEMPT=1",
        "] umask 0022",
        // Under the small supervisor beside `stackrun` (comm is cut at 15 characters).
        "] parent stackrun-superv\n"})
    EXPECT_NE(out.find(want), std::string::npos) << want << " missing in:\n" << out;
  // Nothing else of the agent's environment: no token by name or by value, no secret, no
  // private variable.
  for (const char* leak :
       {"TOKEN", "STACKRUN_E2E_PRIVATE", "private-value-4711", "AWS_SECRET_ACCESS_KEY",
        "aws-value-4712", "STACKRUN_SECRET_", "secret-value-4713"})
    EXPECT_EQ(out.find(leak), std::string::npos) << leak << " leaked into:\n" << out;
  EXPECT_FALSE(std::regex_search(out, std::regex("sr_[0-9a-f]{64}"))) << out;
}

const char* const kSecretPipeline = R"Y(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks, select: changed}
tiers:
  - {name: all, parallelism: 2}
steps:
  - name: use
    secrets: {PGPASSWORD: pg_password}
    command: |
      echo "password is $PGPASSWORD"
      printf 'half %s' "$(echo "$PGPASSWORD" | cut -c1-9)"; sleep 0.2
      echo "$PGPASSWORD" | cut -c10-
      test "$(printf %s "$PGPASSWORD" | md5sum | cut -c1-12)" = c66fbaecca79
)Y";

// A pipeline's secret reaches its step's environment from the agent's STACKRUN_SECRET_*
// variable, and its value is masked in the stored log, also when the step prints it in two
// writes; a secret the agent lacks fails the job before any step runs, saying where to put it.
TEST(StepEnvironment, SecretsAreGivenToTheStepAndMaskedInItsLog) {
  Cluster c(kSecretPipeline);
  c.start_server();
  {
    ScopedEnv env({{"STACKRUN_SECRET_pg_password", "s3cret-value-4714"}});
    c.start_agent("a1");
  }
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  const auto r = c.wait_run(run);
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);  // the step saw the value
  const auto logs = c.cli({"logs", std::to_string(run), "--stack", "grafana"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("[grafana] password is ***\n"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("[grafana] half ***\n"), std::string::npos) << logs.out;
  EXPECT_EQ(logs.out.find("s3cret"), std::string::npos) << logs.out;
  EXPECT_EQ(logs.out.find("value-4714"), std::string::npos) << logs.out;

  c.kill_agent("a1", SIGTERM);
  c.start_agent("a2");  // no secrets at all
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long second = c.trigger_push();
  const auto failed = c.wait_run(second);
  EXPECT_EQ(failed.value("status", ""), "failed") << failed.dump(2);
  const auto out = c.cli({"logs", std::to_string(second), "--stack", "grafana"}).out;
  EXPECT_NE(out.find("secret \"pg_password\" (PGPASSWORD in step \"use\") is not set: set "
                     "STACKRUN_SECRET_pg_password in the agent's environment"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("password is"), std::string::npos) << "the step ran: " << out;
}

}  // namespace
}  // namespace stackrun::e2e
