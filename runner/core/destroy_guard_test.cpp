#include "runner/core/destroy_guard.hpp"

#include <gtest/gtest.h>

namespace stackrun::core {
namespace {

TEST(DestroyGuard, ParsesItsThreeModesOnly) {
  for (DestroyGuard g : {DestroyGuard::refuse, DestroyGuard::approve, DestroyGuard::allow})
    EXPECT_EQ(parse_destroy_guard(to_string(g)), g);
  EXPECT_EQ(parse_destroy_guard("Approve"), std::nullopt);
  EXPECT_EQ(parse_destroy_guard(""), std::nullopt);
}

TEST(DestroyGuard, CheckDestroysTable) {
  const std::vector<PlanChange> mixed = {{"helm_release.this", "create"},
                                         {"kubernetes_secret.legacy", "destroy"},
                                         {"aws_instance.web", "update"},
                                         {"kubernetes_secret.db", "replace"}};
  const std::vector<PlanChange> deletes = {{"kubernetes_secret.legacy", "destroy"},
                                           {"kubernetes_secret.db", "replace"}};
  struct Case {
    const char* name;
    DestroyGuard guard;
    std::vector<PlanChange> changes;
    int unlisted;
    std::optional<GuardStop> want;
  };
  const std::vector<Case> cases = {
      {"creates and updates never stop",
       DestroyGuard::refuse,
       {{"a.b", "create"}, {"c.d", "update"}},
       0,
       std::nullopt},
      {"approve stops on a destroy and a replace", DestroyGuard::approve, mixed, 0,
       GuardStop{DestroyGuard::approve, deletes, 0, "show -json"}},
      {"refuse stops the same plan as refused", DestroyGuard::refuse, mixed, 0,
       GuardStop{DestroyGuard::refuse, deletes, 0, "show -json"}},
      {"allow never stops", DestroyGuard::allow, mixed, 3, std::nullopt},
      {"unlisted deletions alone stop",
       DestroyGuard::approve,
       {},
       2,
       GuardStop{DestroyGuard::approve, {}, 2, "show -json"}},
      {"a negative unlisted count is none", DestroyGuard::approve, {}, -1, std::nullopt},
  };
  for (const auto& c : cases)
    EXPECT_EQ(check_destroys(c.guard, destroying(c.changes), c.unlisted, kFromPlanJson), c.want)
        << c.name;
}

TEST(DestroyGuard, SummaryFallbackCountsWhatItsLinesDoNotList) {
  PlanSummary listed{1, 0, 2, 0, false, {{"a.x", "replace"}, {"b.y", "destroy"}}, 0};
  EXPECT_EQ(
      check_summary(DestroyGuard::approve, listed),
      (GuardStop{
          DestroyGuard::approve, {{"a.x", "replace"}, {"b.y", "destroy"}}, 0, "plan summary"}));
  PlanSummary only_counts{0, 0, 3, 0, false, {}, 0};
  EXPECT_EQ(check_summary(DestroyGuard::refuse, only_counts),
            (GuardStop{DestroyGuard::refuse, {}, 3, "plan summary"}));
  PlanSummary none{2, 1, 0, 0, false, {{"a.x", "create"}}, 0};
  EXPECT_EQ(check_summary(DestroyGuard::approve, none), std::nullopt);
  EXPECT_EQ(check_summary(DestroyGuard::approve, PlanSummary{0, 0, 0, 0, true, {}, 0}),
            std::nullopt);
}

TEST(DestroyGuard, DescribeTable) {
  struct Case {
    GuardStop stop;
    std::string want;
  };
  std::vector<PlanChange> twelve;
  for (int i = 0; i < 12; ++i) twelve.push_back({"r.n" + std::to_string(i), "destroy"});
  const std::vector<Case> cases = {
      {{DestroyGuard::approve, {{"kubernetes_secret.legacy", "destroy"}}, 0, "show -json"},
       "the plan destroys 1 resource: destroy kubernetes_secret.legacy (from show -json)"},
      {{DestroyGuard::approve, {{"a.x", "destroy"}, {"b.y", "replace"}}, 0, "plan summary"},
       "the plan destroys 2 resources: destroy a.x, replace b.y (from plan summary)"},
      {{DestroyGuard::refuse, {}, 3, "plan summary"},
       "the plan destroys 3 resources (addresses not shown) (from plan summary)"},
      {{DestroyGuard::approve, twelve, 1, "show -json"},
       "the plan destroys 13 resources: destroy r.n0, destroy r.n1, destroy r.n2, destroy r.n3, "
       "destroy r.n4, destroy r.n5, destroy r.n6, destroy r.n7, destroy r.n8, destroy r.n9 and 3 "
       "more (from show -json)"},
  };
  for (const auto& c : cases) EXPECT_EQ(describe_destroys(c.stop), c.want);
}

}  // namespace
}  // namespace stackrun::core
