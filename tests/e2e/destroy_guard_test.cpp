// The destroy guard end to end (issue 10): the sample pipeline plans each stack to a file and
// applies that file. A plan that would delete or replace resources stops its stack as
// needs_approval, listing them, and holds what comes after it; `stackrun approve` applies
// exactly the saved plan (the plan step does not run again) and records who approved it. With
// `guards.destroy: refuse` the stack is refused instead and its dependents are skipped. Real
// server, agents, git and SQLite; the stand-in's deletions come from its drift file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/harness.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::e2e {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using std::chrono::seconds;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Stacks of the sample repo; the stand-in keys its state files by the stack with '/' -> "__".
std::string state_file(const Cluster& c, const std::string& key, const std::string& ext) {
  return c.stub_state() + "/" + key + ext;
}

std::string status_of(const json& run, const std::string& label) {
  return job_of(run, label).value("status", "");
}

std::size_t acquires(const Cluster& c, const std::string& stack) {
  std::size_t n = 0;
  for (const auto& e : c.lock_log()) n += e.what == "acquire" && e.stack == stack;
  return n;
}

TEST(E2eDestroyGuard, ADestroyingPlanWaitsForApprovalThenAppliesExactlyThatPlan) {
  Cluster c;  // the sample pipeline: plan -out, show -json, guards.destroy: approve (default)
  c.start_server();
  c.start_agent("a1", 2);
  c.start_agent("a2", 1);
  // Nothing exists yet: every plan only creates, and the guard lets every stack apply.
  const auto first = c.wait_run(c.trigger_push());
  ASSERT_EQ(first.value("status", ""), "success") << first.dump(2);
  EXPECT_TRUE(job_of(first, "dbaas")["destroys"].empty());

  // Out of band, someone created a secret by hand and edited another's force-new attribute:
  // the next plan of dbaas deletes the one and replaces the other.
  testing::write_file(c.stub_state() + "/drift/stacks__dbaas",
                      "destroy kubernetes_secret.legacy\nreplace kubernetes_secret.db\n");
  const std::string applied_before = read_file(state_file(c, "stacks__dbaas", ".tfstate"));
  c.commit_change({"stacks/dbaas/terragrunt.hcl", "stacks/grafana/terragrunt.hcl"},
                  "dbaas and grafana change");
  const long long run = c.trigger_push();
  ASSERT_TRUE(c.wait_until(
      run, [](const json& r) { return status_of(r, "dbaas") == "needs_approval"; }, seconds(60)))
      << c.show(run).dump(2);
  // Settled while it waits: grafana (apps tier, after platform) has not started, and nothing
  // of dbaas was applied.
  json waiting = c.show(run);
  EXPECT_EQ(waiting.value("status", ""), "running");
  EXPECT_EQ(status_of(waiting, "grafana"), "pending") << waiting.dump(2);
  const json& dbaas = job_of(waiting, "dbaas");
  EXPECT_EQ(dbaas.value("result_reason", ""),
            "the plan destroys 2 resources: replace kubernetes_secret.db, destroy "
            "kubernetes_secret.legacy (from show -json); approve with `stackrun approve " +
                std::to_string(run) + " --stack stacks/dbaas`");
  EXPECT_EQ(dbaas["destroys"],
            json::parse(R"([{"address":"kubernetes_secret.db","action":"replace"},)"
                        R"({"address":"kubernetes_secret.legacy","action":"destroy"}])"));
  ASSERT_EQ(dbaas["attempts"].size(), 1u);
  EXPECT_EQ(dbaas["attempts"][0].value("class", ""), "success");
  EXPECT_EQ(read_file(state_file(c, "stacks__dbaas", ".tfstate")), applied_before);
  EXPECT_TRUE(fs::exists(c.stub_state() + "/drift/stacks__dbaas"));
  const std::size_t locks_before = acquires(c, "stacks/dbaas");
  const auto shown = c.cli({"show", std::to_string(run)});
  EXPECT_NE(shown.out.find("needs_approval dbaas"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("      - destroy  kubernetes_secret.legacy\n"), std::string::npos)
      << shown.out;
  const auto logs = c.cli({"logs", std::to_string(run), "--stack", "dbaas"});
  EXPECT_NE(logs.out.find("destroy guard: the plan destroys 2 resources"), std::string::npos)
      << logs.out;

  // Approving what is not waiting is refused, naming why; nothing changes.
  auto wrong = c.cli({"approve", std::to_string(run), "--stack", "grafana", "--as", "bob"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("stacks/grafana in run " + std::to_string(run) +
                           " is pending: only a stack whose saved plan waits for approval can be "
                           "approved"),
            std::string::npos)
      << wrong.err;
  auto missing = c.cli({"approve", std::to_string(run), "--stack", "stacks/nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("has no job for stack stacks/nope"), std::string::npos) << missing.err;

  auto ok = c.cli({"approve", std::to_string(run), "--stack", "stacks/dbaas", "--as", "alice"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("approved stacks/dbaas in run " + std::to_string(run) +
                        " as alice: applying the plan saved by attempt"),
            std::string::npos)
      << ok.out;
  const auto done = c.wait_run(run);
  ASSERT_EQ(done.value("status", ""), "success") << done.dump(2);
  EXPECT_EQ(status_of(done, "grafana"), "success");
  const json& applied = job_of(done, "dbaas");
  EXPECT_EQ(applied.value("status", ""), "success");
  EXPECT_EQ(applied.value("approved_by", ""), "alice");
  EXPECT_FALSE(applied["approved_at"].is_null());
  ASSERT_EQ(applied["attempts"].size(), 2u) << applied.dump(2);
  // Exactly the saved plan: the second attempt applied it without planning again (one more
  // lock, the apply's), made the plan's changes (the config's create and the two deletions)
  // and the stack's state is now the config the plan was made from.
  EXPECT_EQ(acquires(c, "stacks/dbaas"), locks_before + 1);
  const auto after = c.cli({"logs", std::to_string(run), "--stack", "dbaas"}).out;
  EXPECT_NE(after.find("approved by alice: applying the plan saved by attempt"), std::string::npos)
      << after;
  EXPECT_NE(after.find("applying the plan approved by alice (tfplan, sha256 "), std::string::npos)
      << after;
  const auto second = after.substr(after.find("applying the plan approved by alice"));
  EXPECT_EQ(second.find("step \"plan\""), std::string::npos) << second;
  EXPECT_NE(second.find("Apply complete! Resources: 2 added, 0 changed, 2 destroyed."),
            std::string::npos)
      << second;
  EXPECT_FALSE(fs::exists(c.stub_state() + "/drift/stacks__dbaas"));
  EXPECT_NE(read_file(state_file(c, "stacks__dbaas", ".tfstate")), applied_before);
}

// guards.destroy: refuse, and no JSON (the plan summary in the output decides): the stack is
// refused with what it would delete, the run fails, and the stacks that depend on it are
// skipped. Nothing is applied.
TEST(E2eDestroyGuard, RefuseEndsTheStackRefusedAndSkipsItsDependents) {
  Cluster c(
      "version: 1\nname: apply\nkind: apply\nwhen: [{event: push}]\n"
      "stacks: {root: stacks, human_only: {vault: Tier-0}}\n"
      "tiers: [{name: all, parallelism: 4}]\n"
      "guards: {destroy: refuse}\n"
      "steps:\n"
      "  - {name: plan, command: 'terragrunt plan -out=\"$PWD/tfplan\"', saved_plan: tfplan}\n"
      "  - {name: apply, command: 'terragrunt apply \"$PWD/tfplan\"'}\n");
  c.start_server();
  c.start_agent("a1", 2);
  // First applies of both (plans that only create: the guard lets them through).
  c.commit_change({"stacks/cnpg/terragrunt.hcl", "stacks/dbaas/terragrunt.hcl"}, "first");
  const auto first = c.wait_run(c.trigger_push());
  ASSERT_EQ(first.value("status", ""), "success") << first.dump(2);
  ASSERT_EQ(first["jobs"].size(), 2u) << first.dump(2);
  testing::write_file(c.stub_state() + "/drift/stacks__cnpg", "destroy helm_release.old\n");
  const std::string applied_before = read_file(state_file(c, "stacks__cnpg", ".tfstate"));
  c.commit_change({"stacks/cnpg/terragrunt.hcl", "stacks/dbaas/terragrunt.hcl"}, "chain");
  const auto run = c.wait_run(c.trigger_push());
  ASSERT_EQ(run.value("status", ""), "failed") << run.dump(2);
  EXPECT_EQ(status_of(run, "cnpg"), "refused");
  EXPECT_EQ(job_of(run, "cnpg").value("result_reason", ""),
            "destroy guard refuses: the plan destroys 1 resource: destroy helm_release.old (from "
            "plan summary)");
  EXPECT_EQ(status_of(run, "dbaas"), "skipped");
  EXPECT_EQ(job_of(run, "dbaas").value("result_reason", ""), "dependency stacks/cnpg refused");
  EXPECT_EQ(read_file(state_file(c, "stacks__cnpg", ".tfstate")), applied_before);
  EXPECT_TRUE(fs::exists(c.stub_state() + "/drift/stacks__cnpg"));
  auto no = c.cli({"approve", std::to_string(run.value("id", 0LL)), "--stack", "stacks/cnpg"});
  EXPECT_EQ(no.exit_code, 1);
  EXPECT_NE(no.err.find("is refused"), std::string::npos) << no.err;
}

// Cancelling a run whose stack waits for approval ends it cancelled; nothing is applied.
TEST(E2eDestroyGuard, CancellingARunWaitingForApprovalAppliesNothing) {
  Cluster c;
  c.start_server();
  c.start_agent("a1", 1);
  const auto first = c.wait_run(c.trigger_push());
  ASSERT_EQ(first.value("status", ""), "success") << first.dump(2);
  testing::write_file(c.stub_state() + "/drift/stacks__infra", "destroy kubernetes_secret.x\n");
  c.commit_change({"stacks/infra/terragrunt.hcl"}, "infra change");
  const long long run = c.trigger_push();
  ASSERT_TRUE(c.wait_until(
      run, [](const json& r) { return status_of(r, "infra") == "needs_approval"; }, seconds(60)))
      << c.show(run).dump(2);
  ASSERT_EQ(c.cli({"cancel", std::to_string(run)}).exit_code, 0);
  const auto done = c.wait_run(run);
  EXPECT_EQ(done.value("status", ""), "cancelled") << done.dump(2);
  EXPECT_EQ(job_of(done, "infra").value("result_reason", ""),
            "run cancelled while its saved plan waited for approval; nothing applied");
  EXPECT_TRUE(fs::exists(c.stub_state() + "/drift/stacks__infra"));
}

}  // namespace
}  // namespace stackrun::e2e
