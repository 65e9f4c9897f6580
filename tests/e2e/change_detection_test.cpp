// Precise change detection end to end (issue 10): on the sample repo, with every stack applied
// once, a change to the module every stack deploys applies exactly those stacks, each saying
// which chain selected it; notes beside the stacks and the root README apply nothing; a change
// to the shared _envcommon file applies the four stacks that include it; a change to the root
// configuration they all include applies them all again. Real server, agents, git, SQLite.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

std::set<std::string> applied(const nlohmann::json& run, const std::string& reason_prefix) {
  std::set<std::string> out;
  for (const auto& j : run["jobs"]) {
    if (j.value("status", "") != "success") continue;
    EXPECT_TRUE(j.value("reason", "").starts_with(reason_prefix)) << j.dump(2);
    out.insert(j.value("label", ""));
  }
  return out;
}

TEST(E2eChangeDetection, AModuleChangeAppliesItsStacksAndAReadmeNothing) {
  Cluster c;
  c.start_server();
  c.start_agent("a1", 2);
  const auto first = c.wait_run(c.trigger_push());
  ASSERT_EQ(first.value("status", ""), "success") << first.dump(2);
  const auto everything = applied(first, "");
  ASSERT_EQ(everything.size(), 10u);  // every stack but the human-only vault

  // The module every stack deploys (source = "../../modules//k8s-app").
  c.commit_change({"modules/k8s-app/main.tf"}, "module change");
  const auto module = c.wait_run(c.trigger_push());
  ASSERT_EQ(module.value("status", ""), "success") << module.dump(2);
  EXPECT_EQ(applied(module, "via terraform.source -> modules/k8s-app/main.tf"), everything);

  // Notes beside the stacks (not *.md, which the pipeline's path filter ignores before any
  // planning): nobody reads them.
  c.commit_file("stacks/notes.txt", "the stacks\n", "notes about the stacks");
  auto r = c.cli({"trigger", "push", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto runs = nlohmann::json::parse(r.out)["runs"];
  for (const auto& id : runs) {
    const auto run = c.wait_run(id.get<long long>());
    EXPECT_TRUE(applied(run, "").empty()) << run.dump(2);
    for (const auto& j : run["jobs"]) EXPECT_NE(j.value("status", ""), "success") << j.dump(2);
  }

  // The README at the repo's root: the pipeline's path filter leaves nothing to plan, so no
  // run is even created.
  c.commit_file("README.md", "# infra\n\nA typo fixed.\n", "README typo");
  auto readme = c.cli({"trigger", "push", "--json"});
  ASSERT_EQ(readme.exit_code, 0) << readme.err;
  EXPECT_TRUE(nlohmann::json::parse(readme.out)["runs"].empty()) << readme.out;

  // The "_envcommon" file the four apps with a database include by path
  // ("${dirname(find_in_parent_folders())}/_envcommon/postgres-app.hcl"): exactly those.
  c.commit_change({"stacks/_envcommon/postgres-app.hcl"}, "envcommon change");
  const auto envcommon = c.wait_run(c.trigger_push());
  ASSERT_EQ(envcommon.value("status", ""), "success") << envcommon.dump(2);
  EXPECT_EQ(applied(envcommon, "via include -> stacks/_envcommon/postgres-app.hcl"),
            (std::set<std::string>{"authentik", "immich", "nextcloud", "paperless"}));

  // The root configuration every stack includes.
  c.commit_change({"stacks/terragrunt.hcl"}, "root config change");
  const auto root = c.wait_run(c.trigger_push());
  ASSERT_EQ(root.value("status", ""), "success") << root.dump(2);
  EXPECT_EQ(applied(root, "via include -> stacks/terragrunt.hcl"), everything);
  const auto show = c.cli({"show", std::to_string(root.value("id", 0LL))});
  EXPECT_NE(show.out.find("via include -> stacks/terragrunt.hcl"), std::string::npos) << show.out;
}

// A chain of three stacks in one tier (cnpg depends on infra, dbaas on cnpg in the sample
// repo) across two agents with room for all three at once: each starts only after the one it
// depends on has finished, whatever the parallelism.
TEST(E2eChangeDetection, ADependencyChainRunsInOrderAcrossTwoAgents) {
  Cluster c(
      "version: 1\nname: apply\nkind: apply\nwhen: [{event: push}]\n"
      "stacks: {root: stacks, human_only: {vault: Tier-0}}\n"
      "tiers: [{name: all, parallelism: 4}]\n"
      "steps: [{name: apply, command: terragrunt apply -auto-approve}]\n");
  c.set_agent_env("STACKRUN_STUB_APPLY_SECONDS", "0.5");
  c.start_server();
  c.start_agent("a1", 2);
  c.start_agent("a2", 2);
  const auto first = c.wait_run(c.trigger_push());
  ASSERT_EQ(first.value("status", ""), "success") << first.dump(2);
  const auto before = c.lock_log().size();

  c.commit_change(
      {"stacks/dbaas/terragrunt.hcl", "stacks/cnpg/terragrunt.hcl", "stacks/infra/terragrunt.hcl"},
      "touch a chain");
  const auto run = c.wait_run(c.trigger_push());
  ASSERT_EQ(run.value("status", ""), "success") << run.dump(2);
  ASSERT_EQ(run["jobs"].size(), 3u) << run.dump(2);
  // Each stack's lock: released by the one it depends on before it was taken.
  std::map<std::string, long long> acquired, released;
  const auto log = c.lock_log();
  for (std::size_t i = before; i < log.size(); ++i) {
    if (log[i].what == "acquire") acquired[log[i].stack] = log[i].ns;
    if (log[i].what == "release") released[log[i].stack] = log[i].ns;
  }
  ASSERT_EQ(acquired.size(), 3u);
  EXPECT_LT(released["stacks/infra"], acquired["stacks/cnpg"]);
  EXPECT_LT(released["stacks/cnpg"], acquired["stacks/dbaas"]);
  c.expect_no_overlap();
}

// A failed dependency skips the stacks after it, naming it.
TEST(E2eChangeDetection, AFailedDependencySkipsItsDependents) {
  Cluster c(
      "version: 1\nname: apply\nkind: apply\nwhen: [{event: push}]\n"
      "stacks: {root: stacks, human_only: {vault: Tier-0}}\n"
      "tiers: [{name: all, parallelism: 4}]\n"
      "steps: [{name: apply, command: terragrunt apply -auto-approve}]\n");
  c.start_server();
  c.start_agent("a1", 2);
  const auto first = c.wait_run(c.trigger_push());
  ASSERT_EQ(first.value("status", ""), "success") << first.dump(2);
  c.add_fault("stacks/infra", "fatal");
  c.commit_change(
      {"stacks/dbaas/terragrunt.hcl", "stacks/cnpg/terragrunt.hcl", "stacks/infra/terragrunt.hcl"},
      "touch a chain");
  const auto run = c.wait_run(c.trigger_push());
  ASSERT_EQ(run.value("status", ""), "failed") << run.dump(2);
  EXPECT_EQ(job_of(run, "infra").value("status", ""), "failed");
  EXPECT_EQ(job_of(run, "cnpg").value("status", ""), "skipped");
  EXPECT_EQ(job_of(run, "cnpg").value("result_reason", ""), "dependency stacks/infra failed");
  EXPECT_EQ(job_of(run, "dbaas").value("result_reason", ""), "dependency stacks/cnpg skipped");
  EXPECT_TRUE(job_of(run, "dbaas")["attempts"].empty());
}

}  // namespace
}  // namespace stackrun::e2e
