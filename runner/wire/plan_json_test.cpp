#include "runner/wire/plan_json.hpp"

#include <gtest/gtest.h>

namespace stackrun::wire {
namespace {

using core::PlanChange;
using Changes = std::vector<PlanChange>;

// Shaped like `terraform show -json tfplan` (Terraform 1.5): prior state, configuration and
// planned values are present and ignored.
const char* kPlan = R"({"format_version":"1.2","terraform_version":"1.5.7",
  "planned_values":{"root_module":{}},
  "resource_changes":[
    {"address":"kubernetes_namespace.this","mode":"managed","type":"kubernetes_namespace",
     "name":"this","change":{"actions":["no-op"],"before":{},"after":{}}},
    {"address":"helm_release.this","mode":"managed","type":"helm_release","name":"this",
     "change":{"actions":["update"]}},
    {"address":"module.db.kubernetes_secret.creds[\"app\"]","module_address":"module.db",
     "mode":"managed","type":"kubernetes_secret","name":"creds","index":"app",
     "change":{"actions":["delete","create"]}},
    {"address":"aws_s3_bucket.logs","change":{"actions":["create","delete"]}},
    {"address":"kubernetes_secret.legacy","change":{"actions":["delete"]}},
    {"address":"data.vault_kv_secret_v2.app","mode":"data","change":{"actions":["read"]}},
    {"address":"aws_iam_role.old","change":{"actions":["forget"]}},
    {"address":"random_id.x","change":{"actions":["create"]}}
  ],
  "configuration":{}})";

TEST(PlanJson, ReadsEveryActionAndLeavesOutNoOpReadAndForget) {
  auto got = parse_plan_json(kPlan);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, (Changes{{"helm_release.this", "update"},
                           {"module.db.kubernetes_secret.creds[\"app\"]", "replace"},
                           {"aws_s3_bucket.logs", "replace"},
                           {"kubernetes_secret.legacy", "destroy"},
                           {"random_id.x", "create"}}));
}

TEST(PlanJson, APlanWithoutChangesMayOmitThem) {
  auto got = parse_plan_json(R"({"format_version":"1.2"})");
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
}

TEST(PlanJson, ErrorsNameWhatIsWrong) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"", "not JSON"},
      {"Error: Failed to read the given file as a state or plan file", "not JSON"},
      {"[1]", "not a JSON object"},
      {R"({"resource_changes":[]})",
       "no \"format_version\": not the output of `terraform show -json PLANFILE`"},
      {R"({"format_version":"1.2","resource_changes":{}})", "\"resource_changes\" is not an array"},
      {R"({"format_version":"1.2","resource_changes":[{"change":{"actions":["delete"]}}]})",
       "resource_changes[0]: no \"address\""},
      {R"({"format_version":"1.2","resource_changes":[{"address":"a.b"}]})",
       "resource_changes[0] (a.b): \"change.actions\" missing or not understood"},
      {R"({"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["obliterate"]}}]})",
       "resource_changes[0] (a.b): \"change.actions\" missing or not understood: "
       "[\"obliterate\"]"},
  };
  for (const auto& c : cases) {
    auto got = parse_plan_json(c.text);
    ASSERT_FALSE(got) << c.text;
    EXPECT_EQ(got.error(), c.want) << c.text;
  }
}

}  // namespace
}  // namespace stackrun::wire
