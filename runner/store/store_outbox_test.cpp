// The outbox in a real SQLite file: per-target order, due times, the three ends of a try, and
// the previous decided apply of a stack (what "recovered" compares with).
#include <gtest/gtest.h>

#include "runner/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::store {
namespace {

using Kind = Store::OutboxKind;
using State = Store::OutboxState;

struct Outbox {
  testing::TempDir dir{"stackrun-outbox"};
  Store st{(dir.path() / "db.sqlite").string()};

  Id add(const std::string& target, Millis now, const std::string& body = "{}") {
    auto tx = st.begin();
    const Id id = st.insert_outbox({Kind::notify, std::nullopt, target, "", body}, now);
    tx.commit();
    return id;
  }
  std::vector<Id> due(Millis now) {
    std::vector<Id> ids;
    for (const auto& r : st.due_outbox(now, 100)) ids.push_back(r.id);
    return ids;
  }
};

TEST(StoreOutbox, ARowIsKeptAsGivenAndDueAtOnce) {
  Outbox o;
  auto tx = o.st.begin();
  const Id id =
      o.st.insert_outbox({Kind::commit_status, std::nullopt, "https://f/s", "src", "{\"a\":1}"}, 7);
  tx.commit();
  const auto row = o.st.outbox_row(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->kind, Kind::commit_status);
  EXPECT_EQ(row->target, "https://f/s");
  EXPECT_EQ(row->source, "src");
  EXPECT_EQ(row->body, "{\"a\":1}");
  EXPECT_EQ(row->state, State::pending);
  EXPECT_EQ(row->attempts, 0);
  EXPECT_EQ(row->next_try_at, 7);
  EXPECT_EQ(row->created_at, 7);
  EXPECT_FALSE(row->sent_at);
  EXPECT_EQ(o.due(6), std::vector<Id>{});
  EXPECT_EQ(o.due(7), std::vector<Id>{id});
  EXPECT_EQ(o.st.next_outbox_try(), 7);
}

TEST(StoreOutbox, ATargetsLaterRowsWaitForItsFirstOne) {
  Outbox o;
  const Id a1 = o.add("https://a", 10);
  const Id b1 = o.add("https://b", 10);
  const Id a2 = o.add("https://a", 10);
  EXPECT_EQ(o.due(10), (std::vector<Id>{a1, b1}));
  // a1 fails and waits: a2 waits behind it, and the earliest try is a1's.
  o.st.outbox_retry(a1, 500, "HTTP 503");
  EXPECT_EQ(o.due(10), (std::vector<Id>{b1}));
  o.st.outbox_sent(b1, 11);
  EXPECT_EQ(o.due(10), (std::vector<Id>{}));
  EXPECT_EQ(o.st.next_outbox_try(), 500);
  EXPECT_EQ(o.due(500), (std::vector<Id>{a1}));
  o.st.outbox_sent(a1, 501);
  EXPECT_EQ(o.due(501), (std::vector<Id>{a2}));
  // A dead row no longer holds its target back.
  o.st.outbox_dead(a2, "HTTP 404");
  EXPECT_EQ(o.due(1000), (std::vector<Id>{}));
  EXPECT_FALSE(o.st.next_outbox_try());
  const Id a3 = o.add("https://a", 1000);
  EXPECT_EQ(o.due(1000), (std::vector<Id>{a3}));
}

TEST(StoreOutbox, EachTryCountsAndRecordsItsEnd) {
  Outbox o;
  const Id id = o.add("https://a", 10);
  o.st.outbox_retry(id, 20, "timeout");
  auto row = *o.st.outbox_row(id);
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.next_try_at, 20);
  EXPECT_EQ(row.last_error, "timeout");
  EXPECT_EQ(row.state, State::pending);
  o.st.outbox_sent(id, 25);
  row = *o.st.outbox_row(id);
  EXPECT_EQ(row.attempts, 2);
  EXPECT_EQ(row.state, State::sent);
  EXPECT_EQ(row.sent_at, 25);
  EXPECT_EQ(row.last_error, "");
  // A row that is not pending is never changed again.
  o.st.outbox_dead(id, "late");
  EXPECT_EQ(o.st.outbox_row(id)->state, State::sent);
  const Id dead = o.add("https://b", 10);
  o.st.outbox_dead(dead, "HTTP 401");
  row = *o.st.outbox_row(dead);
  EXPECT_EQ(row.state, State::dead);
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.last_error, "HTTP 401");
  EXPECT_FALSE(row.sent_at);
}

TEST(StoreOutbox, PreviousDecidedApplySkipsJobsThatDecidedNothing) {
  Outbox o;
  auto tx = o.st.begin();
  const Id repo = o.st.upsert_repo("infra", "/srv/infra", "master", 1);
  NewRun r;
  r.repo_id = repo;
  r.pipeline = "apply";
  r.pipeline_file = ".stackrun/apply.yml";
  r.event = "push";
  r.commit_sha = std::string(40, 'a');
  using J = core::JobStatus;
  for (J status : {J::failed, J::skipped, J::cancelled, J::success}) {
    NewJob j;
    j.stack = "stacks/pg";
    j.label = "pg";
    j.tier = "all";
    j.status = status;
    r.jobs = {j};
    NewJob other = j;
    other.stack = "stacks/other";
    other.status = J::success;
    r.jobs.push_back(other);
    o.st.insert_run(r, 1);
  }
  NewJob plan;
  plan.stack = "stacks/pg";
  plan.label = "pg";
  plan.tier = "all";
  plan.kind = core::JobKind::plan;
  plan.status = J::success;
  r.kind = core::JobKind::plan;
  r.jobs = {plan};
  o.st.insert_run(r, 1);
  tx.commit();
  std::vector<Id> pg;  // the pg apply jobs, oldest first: failed, skipped, cancelled, success
  for (Id run = 1; run <= 4; ++run)
    for (const auto& j : o.st.jobs_of_run(run))
      if (j.stack == "stacks/pg") pg.push_back(j.id);
  ASSERT_EQ(pg.size(), 4u);
  EXPECT_FALSE(o.st.previous_decided_apply(repo, "stacks/pg", pg[0]));
  EXPECT_EQ(o.st.previous_decided_apply(repo, "stacks/pg", pg[3]), J::failed);
  EXPECT_EQ(o.st.previous_decided_apply(repo, "stacks/pg", pg[3] + 100), J::success);
  EXPECT_FALSE(o.st.previous_decided_apply(repo, "stacks/none", pg[3]));
}

}  // namespace
}  // namespace stackrun::store
