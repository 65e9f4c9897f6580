#include "agents/job.hpp"

#include <gtest/gtest.h>

#include <map>

namespace stackrun::agent {
namespace {

TEST(CiVariables, WoodpeckerNamesAndOurs) {
  wire::Offer j;
  j.repo_url = "/srv/infra";
  j.commit = "abc";
  j.ref = "refs/heads/master";
  j.message = "bump grafana";
  j.event = "push";
  j.run_id = 7;
  j.n = 2;
  j.stack = "stacks/grafana";
  j.tier = "apps";
  const auto env = ci_variables(j);
  std::map<std::string, std::string> m(env.begin(), env.end());
  EXPECT_EQ(m.size(), env.size()) << "no duplicate names";
  EXPECT_EQ(m["CI_COMMIT_BRANCH"], "master");
  EXPECT_EQ(m["CI_COMMIT_SHA"], "abc");
  EXPECT_EQ(m["CI_PIPELINE_EVENT"], "push");
  EXPECT_EQ(m["CI_COMMIT_MESSAGE"], "bump grafana");
  EXPECT_EQ(m["STACKRUN_RUN_ID"], "7");
  EXPECT_EQ(m["STACKRUN_ATTEMPT"], "2");
  EXPECT_EQ(m["STACKRUN_STACK"], "stacks/grafana");
}

TEST(CiVariables, JobKindIsItsWireName) {
  wire::Offer j;
  j.kind = core::JobKind::plan;
  const auto env = ci_variables(j);
  std::map<std::string, std::string> m(env.begin(), env.end());
  EXPECT_EQ(m["STACKRUN_JOB_KIND"], "plan");
}

TEST(CiVariables, ForgeUrlIsTheBaseOfAnHttpCloneUrl) {
  wire::Offer j;
  j.repo_url = "https://code.example.com/ops/infra.git";
  auto env = ci_variables(j);
  std::map<std::string, std::string> m(env.begin(), env.end());
  EXPECT_EQ(m["CI_FORGE_URL"], "https://code.example.com");
  j.repo_url = "/srv/infra";
  env = ci_variables(j);
  m = std::map<std::string, std::string>(env.begin(), env.end());
  EXPECT_EQ(m["CI_FORGE_URL"], "");
}

TEST(CiVariables, TagRefHasNoBranch) {
  wire::Offer j;
  j.ref = "refs/tags/v1";
  const auto env = ci_variables(j);
  std::map<std::string, std::string> m(env.begin(), env.end());
  EXPECT_EQ(m["CI_COMMIT_BRANCH"], "");
}

}  // namespace
}  // namespace stackrun::agent
