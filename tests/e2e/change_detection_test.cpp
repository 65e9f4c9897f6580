// Precise change detection end to end (issue 10): on the sample repo, with every stack applied
// once, a change to the module every stack deploys applies exactly those stacks, each saying
// which chain selected it; a README beside the stacks applies nothing; a change to the root
// configuration they all include applies them all again. Real server, agents, git, SQLite.
#include <gtest/gtest.h>

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

  // A README beside the stacks: nobody reads it.
  c.commit_file("stacks/README.md", "# the stacks\n", "document the stacks");
  auto r = c.cli({"trigger", "push", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto runs = nlohmann::json::parse(r.out)["runs"];
  for (const auto& id : runs) {
    const auto run = c.wait_run(id.get<long long>());
    EXPECT_TRUE(applied(run, "").empty()) << run.dump(2);
    for (const auto& j : run["jobs"]) EXPECT_NE(j.value("status", ""), "success") << j.dump(2);
  }

  // The root configuration every stack includes.
  c.commit_change({"stacks/terragrunt.hcl"}, "root config change");
  const auto root = c.wait_run(c.trigger_push());
  ASSERT_EQ(root.value("status", ""), "success") << root.dump(2);
  EXPECT_EQ(applied(root, "via include -> stacks/terragrunt.hcl"), everything);
  const auto show = c.cli({"show", std::to_string(root.value("id", 0LL))});
  EXPECT_NE(show.out.find("via include -> stacks/terragrunt.hcl"), std::string::npos) << show.out;
}

}  // namespace
}  // namespace stackrun::e2e
