// Webhook deliveries in a real SQLite file: ids seen per source, the one key holder per push,
// the worker's answer, and the listing.
#include <gtest/gtest.h>

#include "runner/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::store {
namespace {

struct Deliveries {
  testing::TempDir dir{"stackrun-deliveries"};
  Store st{(dir.path() / "db.sqlite").string()};

  Id add(const std::string& source, const std::string& id, DeliveryOutcome o, bool key,
         const std::string& after = "a1") {
    DeliveryRow d;
    d.source = source;
    d.repo = "infra";
    d.delivery_id = id;
    d.received_at = 5;
    d.event = "push";
    d.ref = "refs/heads/main";
    d.after = after;
    d.outcome = o;
    d.reason = "why";
    d.holds_key = key;
    auto tx = st.begin();
    const Id row = st.insert_delivery(d);
    tx.commit();
    return row;
  }
};

TEST(StoreDeliveries, ADeliveryIdIsSeenPerSource) {
  Deliveries s;
  s.add("forgejo", "d-1", DeliveryOutcome::ignored, false);
  EXPECT_TRUE(s.st.delivery_seen("forgejo", "d-1"));
  EXPECT_FALSE(s.st.delivery_seen("github", "d-1"));
  EXPECT_FALSE(s.st.delivery_seen("forgejo", "d-2"));
  EXPECT_THROW(s.add("forgejo", "d-1", DeliveryOutcome::ignored, false), DbError);
}

TEST(StoreDeliveries, RejectedDeliveriesKeepNoIdSoTheyNeverBlockTheRealOne) {
  Deliveries s;
  const Id a = s.add("forgejo", "", DeliveryOutcome::rejected, false);
  const Id b = s.add("forgejo", "", DeliveryOutcome::rejected, false);
  EXPECT_NE(a, b);
  EXPECT_EQ(s.st.delivery(a)->delivery_id, "");
  EXPECT_EQ(s.st.delivery(a)->outcome, DeliveryOutcome::rejected);
}

TEST(StoreDeliveries, OnePushHasOneKeyHolderAcrossSources) {
  Deliveries s;
  EXPECT_FALSE(s.st.push_holder("infra", "refs/heads/main", "a1"));
  const Id first = s.add("forgejo", "d-1", DeliveryOutcome::accept, true);
  const auto h = s.st.push_holder("infra", "refs/heads/main", "a1");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, first);
  EXPECT_FALSE(s.st.push_holder("infra", "refs/heads/main", "a2"));
  EXPECT_THROW(s.add("github", "g-1", DeliveryOutcome::accept, true), DbError);
}

TEST(StoreDeliveries, TheWorkersRunIsStoredAndAnErrorReleasesTheKey) {
  Deliveries s;
  const Id ok = s.add("forgejo", "d-1", DeliveryOutcome::accept, true, "a1");
  const Id bad = s.add("forgejo", "d-2", DeliveryOutcome::accept, true, "a2");
  Id run = 0;
  {
    auto tx = s.st.begin();
    NewRun r;
    r.repo_id = s.st.upsert_repo("infra", "/src/infra", "main", 1);
    r.pipeline = "apply";
    run = s.st.insert_run(r, 1);
    s.st.set_delivery_run(ok, run, "");
    s.st.set_delivery_run(bad, std::nullopt, "no commit a2");
    tx.commit();
  }
  EXPECT_EQ(s.st.push_holder("infra", "refs/heads/main", "a1")->run_id, std::optional<Id>(run));
  EXPECT_FALSE(s.st.push_holder("infra", "refs/heads/main", "a2"));
  EXPECT_EQ(s.st.delivery(bad)->error, "no commit a2");
  EXPECT_FALSE(s.st.delivery(bad)->holds_key);
}

TEST(StoreDeliveries, RecentDeliveriesAreNewestFirstAndFilterByRepo) {
  Deliveries s;
  const Id a = s.add("forgejo", "d-1", DeliveryOutcome::ignored, false);
  const Id b = s.add("forgejo", "d-2", DeliveryOutcome::denied, false);
  const auto all = s.st.recent_deliveries("", 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, b);
  EXPECT_EQ(all[1].id, a);
  EXPECT_EQ(all[0].outcome, DeliveryOutcome::denied);
  EXPECT_EQ(s.st.recent_deliveries("infra", 1).size(), 1u);
  EXPECT_TRUE(s.st.recent_deliveries("other", 10).empty());
}

}  // namespace
}  // namespace stackrun::store
