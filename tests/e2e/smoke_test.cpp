// The main job: a push touching stacks in two tiers applies exactly those, platform first, each
// planned to a file and that file applied (the sample pipeline).
#include <gtest/gtest.h>

#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

TEST(E2eSmoke, PushAppliesChangedStacksPlatformFirst) {
  Cluster c;
  c.start_server();
  c.start_agent("a1");
  c.start_agent("a2");
  c.commit_change({"stacks/dbaas/terragrunt.hcl", "stacks/grafana/terragrunt.hcl",
                   "stacks/immich/terragrunt.hcl"});
  const long long run = c.trigger_push();
  const auto r = c.wait_run(run);
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  std::vector<std::string> applied;
  for (const auto& j : r["jobs"])
    if (j.value("status", "") == "success") applied.push_back(j.value("label", ""));
  std::sort(applied.begin(), applied.end());
  EXPECT_EQ(applied, (std::vector<std::string>{"dbaas", "grafana", "immich"}));
  // platform (dbaas) was planned and applied (its lock taken twice: plan, then the apply of
  // the saved plan) before any app took a lock.
  const auto log = c.lock_log();
  ASSERT_EQ(log.size(), 12u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(log[i].what + " " + log[i].stack,
              std::string(i % 2 ? "release" : "acquire") + " stacks/dbaas");
  c.expect_no_overlap();
  const auto logs = c.cli({"logs", std::to_string(run), "--stack", "dbaas"}).out;
  EXPECT_NE(logs.find("destroy guard: the saved plan tfplan destroys nothing"), std::string::npos)
      << logs;
  EXPECT_NE(logs.find("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."),
            std::string::npos)
      << logs;
}

}  // namespace
}  // namespace stackrun::e2e
