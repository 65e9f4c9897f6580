// `stackrun trigger run --pipeline NAME`: any pipeline run by hand, here the sample repo's drift
// plan, fanned out over every stack like any run; and a pipeline that does not admit manual
// events is refused with its name.
#include <gtest/gtest.h>

#include <set>

#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

TEST(E2eManualRun, TriggerRunPlansEveryStackOfTheDriftPipeline) {
  Cluster c;
  c.start_server();
  c.start_agent("a1", 2);
  auto r = c.cli({"trigger", "run", "--pipeline", "drift"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const long long run = std::stoll(r.out);
  const auto done = c.wait_run(run);
  ASSERT_EQ(done.value("status", ""), "drift") << done.dump(2);  // drift found, nothing failed
  EXPECT_EQ(done.value("pipeline", ""), "drift");
  EXPECT_EQ(done.value("event", ""), "manual");
  EXPECT_EQ(done.value("kind", ""), "plan");
  // Nothing was ever applied, so every plan finds changes (exit 2: drift); vault is human-only.
  std::set<std::string> drifted, skipped;
  for (const auto& j : done["jobs"]) {
    if (j.value("status", "") == "drift") drifted.insert(j.value("label", ""));
    if (j.value("status", "") == "skipped") skipped.insert(j.value("label", ""));
  }
  EXPECT_EQ(skipped, std::set<std::string>{"vault"});
  EXPECT_EQ(drifted.size(), done["jobs"].size() - 1) << done.dump(2);
  EXPECT_TRUE(drifted.count("dbaas"));
  // Each plan's summary and changed addresses are kept with its attempt and shown.
  const auto& plan = job_of(done, "dbaas")["attempts"][0]["plan"];
  ASSERT_TRUE(plan.is_object()) << job_of(done, "dbaas").dump(2);
  EXPECT_EQ(plan.value("add", -1), 1);
  EXPECT_EQ(plan.value("destroy", -1), 0);
  ASSERT_EQ(plan["changes"].size(), 1u);
  EXPECT_EQ(plan["changes"][0].value("address", ""), "helm_release.this");
  EXPECT_EQ(plan["changes"][0].value("action", ""), "create");
  const auto show = c.cli({"show", std::to_string(run)});
  EXPECT_NE(show.out.find("plan: 1 to add, 0 to change, 0 to destroy\n"), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("create  helm_release.this\n"), std::string::npos) << show.out;

  // The apply pipeline admits manual events too; a name that does not exist is refused.
  auto unknown = c.cli({"trigger", "run", "--pipeline", "nightly"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no pipeline named \"nightly\""), std::string::npos) << unknown.err;
}

TEST(E2eManualRun, APipelineThatDoesNotAdmitManualEventsIsRefusedWithItsName) {
  Cluster c("",
            "version: 1\nname: drift\nkind: plan\nschedules: {nightly: {cron: \"@daily\"}}\n"
            "when: [{event: cron, cron: [nightly]}]\nstacks: {root: stacks, select: all}\n"
            "steps: [{name: plan, command: terragrunt plan -detailed-exitcode}]\n");
  c.start_server();
  auto r = c.cli({"trigger", "run", "--pipeline", "drift"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pipeline \"drift\" does not run on manual events"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace stackrun::e2e
