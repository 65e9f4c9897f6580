// The main job: a push touching stacks in two tiers applies exactly those, platform first.
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
  // platform (dbaas) released its lock before any app acquired one.
  const auto log = c.lock_log();
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(log[0].what + " " + log[0].stack, "acquire stacks/dbaas");
  EXPECT_EQ(log[1].what + " " + log[1].stack, "release stacks/dbaas");
  c.expect_no_overlap();
}

}  // namespace
}  // namespace stackrun::e2e
