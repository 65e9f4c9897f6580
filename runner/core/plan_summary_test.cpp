#include "runner/core/plan_summary.hpp"

#include <gtest/gtest.h>

namespace stackrun::core {
namespace {

std::optional<PlanSummary> parse(const std::string& text) {
  return parse_plan_summary(normalise(text));
}

TEST(PlanSummary, Table) {
  struct Case {
    const char* name;
    std::string output;
    std::optional<PlanSummary> want;
  };
  const std::vector<Case> cases = {
      {"nothing planned", "Initializing...\nError: bad\n", std::nullopt},
      {"no changes",
       "aws_instance.web: Refreshing state... [id=i-1]\n\nNo changes. Your infrastructure "
       "matches the configuration.\n",
       PlanSummary{0, 0, 0, 0, true, {}, 0}},
      {"the stub's plan (Terraform's text)",
       "Terraform will perform the following actions:\n\n  # helm_release.this will be created\n"
       "  + resource \"helm_release\" \"this\" {\n    }\n\nPlan: 1 to add, 0 to change, 0 to "
       "destroy.\n",
       PlanSummary{1, 0, 0, 0, false, {{"helm_release.this", "create"}}, 0}},
      {"every action, modules and indexes, a reason after replace",
       "  # module.db.aws_db_instance.this[0] will be updated in-place\n"
       "  # aws_s3_bucket.logs will be destroyed\n"
       "  # aws_instance.web must be replaced\n"
       "-/+ resource \"aws_instance\" \"web\" {\n"
       "  # kubernetes_secret.x[\"a b\"] will be created\n"
       "Plan: 1 to add, 1 to change, 2 to destroy.\n",
       PlanSummary{1,
                   1,
                   2,
                   0,
                   false,
                   {{"module.db.aws_db_instance.this[0]", "update"},
                    {"aws_s3_bucket.logs", "destroy"},
                    {"aws_instance.web", "replace"},
                    {"kubernetes_secret.x[\"a b\"]", "create"}},
                   0}},
      {"imports (Terraform 1.5+)", "Plan: 2 to import, 1 to add, 0 to change, 0 to destroy.\n",
       PlanSummary{1, 0, 0, 2, false, {}, 0}},
      {"refresh notes and data sources are not changes",
       "Note: Objects have changed outside of Terraform\n\n  # aws_instance.web has changed\n"
       "  # data.aws_ami.x will be read during apply\n  # aws_instance.web will be updated "
       "in-place\nPlan: 0 to add, 1 to change, 0 to destroy.\n",
       PlanSummary{0, 1, 0, 0, false, {{"aws_instance.web", "update"}}, 0}},
      {"the last plan wins",
       "  # a.b will be created\nPlan: 1 to add, 0 to change, 0 to destroy.\nNo changes. Your "
       "infrastructure matches the configuration.\n",
       PlanSummary{0, 0, 0, 0, true, {}, 0}},
      {"coloured output",
       "\x1b[1m  # aws_instance.web\x1b[0m will be \x1b[1m\x1b[31mdestroyed\x1b[0m\n"
       "\x1b[1mPlan:\x1b[0m 0 to add, 0 to change, 1 to destroy.\n",
       PlanSummary{0, 0, 1, 0, false, {{"aws_instance.web", "destroy"}}, 0}},
  };
  for (const auto& c : cases) EXPECT_EQ(parse(c.output), c.want) << c.name;
}

TEST(PlanSummary, ChangesAreBoundedAndTheRestCounted) {
  std::string out;
  for (std::size_t i = 0; i < kMaxPlanChanges + 5; ++i)
    out += "  # null_resource.n" + std::to_string(i) + " will be created\n";
  out += "  # " + std::string(1000, 'x') + " will be destroyed\n";
  out += "Plan: 206 to add, 0 to change, 1 to destroy.\n";
  const auto p = parse(out);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->changes.size(), kMaxPlanChanges);
  EXPECT_EQ(p->more, 6);
  EXPECT_EQ(p->add, 206);
}

}  // namespace
}  // namespace stackrun::core
