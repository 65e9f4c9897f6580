// The exactly-once rule of cron firing on a real SQLite file: a cron run is inserted only by
// the transaction that wins the claim of its due time (Coordinator::create_runs with
// Store::claim_schedule); a second firing of the same due time creates nothing, and the store
// refuses a second run for one (schedule, due time) whatever the code does.
#include <gtest/gtest.h>

#include "runner/server/coordinator.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

struct Fixture {
  testing::TempDir dir{"stackrun-claim"};
  store::Store st{(dir.path() / "db.sqlite").string()};
  Millis now = 1'796'100'090'000;
  Id repo = 0, schedule = 0;
  static constexpr Millis kDue = 1'796'100'060'000;

  Fixture() {
    auto tx = st.begin();
    repo = st.upsert_repo("infra", "/nonexistent", "master", now);
    store::ScheduleRow s;
    s.repo_id = repo;
    s.pipeline = "drift";
    s.name = "minutely";
    s.cron = "* * * * *";
    s.timezone = "UTC";
    s.pipeline_file = ".stackrun/drift.yml";
    s.read_at_commit = std::string(40, 'c');
    s.next_fire_at = kDue;
    s.watching_since = now;
    schedule = st.insert_schedule(s, now);
    tx.commit();
  }

  Coordinator make() {
    return Coordinator(
        st, {}, [this] { return now; }, [] { return 0.5; });
  }

  store::NewRun cron_run(Millis due, Millis next) const {
    store::NewRun r;
    r.repo_id = repo;
    r.pipeline = "drift";
    r.pipeline_file = ".stackrun/drift.yml";
    r.kind = core::JobKind::plan;
    r.event = "cron";
    r.commit_sha = std::string(40, 'c');
    r.schedule_id = schedule;
    r.scheduled_for = due;
    r.next_fire_at = next;
    store::NewJob j;
    j.stack = "stacks/a";
    j.label = "a";
    j.tier = "all";
    j.kind = core::JobKind::plan;
    r.jobs.push_back(j);
    return r;
  }
};

TEST(ScheduleClaim, TheFirstFiringOfADueTimeCreatesItsRunAndMovesTheScheduleOn) {
  Fixture f;
  auto c = f.make();
  const auto ids = c.create_runs({f.cron_run(Fixture::kDue, Fixture::kDue + 60'000)});
  ASSERT_EQ(ids.size(), 1u);
  const auto run = f.st.run(ids[0]);
  EXPECT_EQ(run->schedule_id, f.schedule);
  EXPECT_EQ(run->scheduled_for, Fixture::kDue);
  EXPECT_EQ(run->event, "cron");
  const auto s = f.st.schedule(f.schedule);
  EXPECT_EQ(s->next_fire_at, Fixture::kDue + 60'000);
  EXPECT_EQ(s->last_fire_at, Fixture::kDue);
  EXPECT_EQ(s->last_run_id, ids[0]);
  EXPECT_EQ(s->last_outcome, "run " + std::to_string(ids[0]));
  EXPECT_EQ(s->last_run_status, core::RunStatus::queued);
}

TEST(ScheduleClaim, ASecondFiringOfTheSameDueTimeCreatesNothing) {
  Fixture f;
  auto c = f.make();
  ASSERT_EQ(c.create_runs({f.cron_run(Fixture::kDue, Fixture::kDue + 60'000)}).size(), 1u);
  // The same due time again (a duplicate firing): the claim is lost, no run.
  EXPECT_TRUE(c.create_runs({f.cron_run(Fixture::kDue, Fixture::kDue + 60'000)}).empty());
  EXPECT_EQ(f.st.recent_runs(10).size(), 1u);
  EXPECT_EQ(f.st.schedule(f.schedule)->next_fire_at, Fixture::kDue + 60'000);
}

TEST(ScheduleClaim, ADisabledScheduleIsNeverClaimed) {
  Fixture f;
  auto s = *f.st.schedule(f.schedule);
  s.state = store::ScheduleState::disabled;
  s.state_reason = "maintenance";
  {
    auto tx = f.st.begin();
    f.st.update_schedule(s, f.now);  // keeps next_fire_at: only the state stops it
    tx.commit();
  }
  auto c = f.make();
  EXPECT_TRUE(c.create_runs({f.cron_run(Fixture::kDue, Fixture::kDue + 60'000)}).empty());
  EXPECT_TRUE(f.st.due_schedules(f.now).empty());
}

TEST(ScheduleClaim, TheStoreRefusesTwoRunsForOneDueTime) {
  Fixture f;
  auto tx = f.st.begin();
  f.st.insert_run(f.cron_run(Fixture::kDue, 0), f.now);
  EXPECT_THROW(f.st.insert_run(f.cron_run(Fixture::kDue, 0), f.now), store::DbError);
}

TEST(ScheduleClaim, DueSchedulesAreTheEnabledOnesWhoseTimeCame) {
  Fixture f;
  EXPECT_TRUE(f.st.due_schedules(Fixture::kDue - 1).empty());
  const auto due = f.st.due_schedules(Fixture::kDue);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].repo_name, "infra");
  EXPECT_EQ(due[0].state, store::ScheduleState::enabled);
}

}  // namespace
}  // namespace stackrun::server
