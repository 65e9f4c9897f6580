#include "runner/core/schedule.hpp"

#include <gtest/gtest.h>

namespace stackrun::core {
namespace {

// 2026-12-01T04:41:30Z and friends, in ms.
constexpr Millis kNow = 1'796'100'090'000;      // 2026-12-01T04:41:30Z
constexpr Millis kNextMin = 1'796'100'120'000;  // 2026-12-01T04:42:00Z

TEST(NextDue, IsStrictlyAfterAndOnAWholeMinute) {
  struct Row {
    const char* cron;
    const char* tz;
    Millis after, want;
  } rows[] = {
      {"* * * * *", "UTC", kNow, kNextMin},
      {"* * * * *", "UTC", kNextMin, kNextMin + 60'000},  // strictly after
      {"* * * * *", "UTC", kNextMin - 1, kNextMin},       // a fraction before counts before
      {"* * * * *", "UTC", kNextMin + 999, kNextMin + 60'000},
      // 03:17 in Berlin (UTC+1 in December) is 02:17Z on the 2nd.
      {"17 3 * * *", "Europe/Berlin", kNow, 1'796'177'820'000},
  };
  for (const auto& r : rows) {
    auto got = next_due(r.cron, r.tz, r.after);
    ASSERT_TRUE(got) << r.cron << ": " << got.error();
    EXPECT_EQ(*got, r.want) << r.cron << " " << r.tz << " after " << r.after;
  }
  EXPECT_EQ(next_due("61 * * * *", "UTC", kNow).error(),
            "cron \"61 * * * *\": minute 61 out of range 0-59");
  EXPECT_EQ(next_due("* * * * *", "Mars/Base", kNow).error(), "unknown time zone \"Mars/Base\"");
}

TEST(NextAfterClaim, AnOverdueScheduleSkipsTheSlotsItMissed) {
  // Due at 04:42, claimed at 04:45:10 after downtime: next is 04:46, not 04:43.
  auto next = next_after_claim("* * * * *", "UTC", kNextMin, kNextMin + 190'000);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, kNextMin + 240'000);
  // Claimed on time: the following minute.
  EXPECT_EQ(*next_after_claim("* * * * *", "UTC", kNextMin, kNextMin + 5), kNextMin + 60'000);
}

KnownSchedule stored(std::int64_t id, const char* pipeline, const char* name, const char* cron,
                     ScheduleState state, std::optional<Millis> next) {
  KnownSchedule k;
  k.id = id;
  k.pipeline = pipeline;
  k.name = name;
  k.cron = cron;
  k.file = std::string(".stackrun/") + pipeline + ".yml";
  k.commit = "aaaaaaaaaaaa0000";
  k.state = state;
  k.next_fire_at = next;
  k.watching_since = 1000;
  if (state == ScheduleState::disabled) k.reason = "maintenance";
  return k;
}

DeclaredSchedule declared(const char* pipeline, const char* name, const char* cron,
                          Millis deadman = 0) {
  return {pipeline, name, cron, "UTC", std::string(".stackrun/") + pipeline + ".yml", deadman};
}

TEST(SyncSchedules, DecidesEachRowFromWhatTheDefaultBranchDeclares) {
  const std::string commit = "bbbbbbbbbbbb1111";
  const Millis overdue = kNow - 3'600'000;
  struct Row {
    const char* name;
    std::vector<DeclaredSchedule> declared;
    std::vector<KnownSchedule> known;
    std::vector<KnownSchedule> want;
  };
  auto with = [&](KnownSchedule k, auto&& change) {
    change(k);
    k.commit = commit;
    return k;
  };
  const auto nightly = stored(1, "drift", "nightly", "* * * * *", ScheduleState::enabled, overdue);
  const Row rows[] = {
      {"new schedule: enabled, next minute, watched from now",
       {declared("drift", "nightly", "* * * * *", 60'000)},
       {},
       {[&] {
         KnownSchedule k;
         k.pipeline = "drift";
         k.name = "nightly";
         k.cron = "* * * * *";
         k.file = ".stackrun/drift.yml";
         k.commit = commit;
         k.deadman_ms = 60'000;
         k.next_fire_at = kNextMin;
         k.watching_since = kNow;
         return k;
       }()}},
      {"unchanged: nothing written, the overdue due time is kept",
       {declared("drift", "nightly", "* * * * *")},
       {nightly},
       {}},
      {"cron changed: next due recomputed from now",
       {declared("drift", "nightly", "*/2 * * * *")},
       {nightly},
       {with(nightly,
             [&](KnownSchedule& k) {
               k.cron = "*/2 * * * *";
               k.next_fire_at = kNextMin;
             })}},
      {"deadman changed only: due time kept",
       {declared("drift", "nightly", "* * * * *", 3'600'000)},
       {nightly},
       {with(nightly, [&](KnownSchedule& k) { k.deadman_ms = 3'600'000; })}},
      {"disabled stays disabled with its reason",
       {declared("drift", "nightly", "5 * * * *")},
       {stored(1, "drift", "nightly", "* * * * *", ScheduleState::disabled, std::nullopt)},
       {with(stored(1, "drift", "nightly", "* * * * *", ScheduleState::disabled, std::nullopt),
             [&](KnownSchedule& k) { k.cron = "5 * * * *"; })}},
      {"removed from a pipeline that still has others: gone, naming it",
       {declared("drift", "weekly", "0 0 * * 0")},
       {nightly,
        stored(2, "drift", "weekly", "0 0 * * 0", ScheduleState::enabled, kNextMin + 1000)},
       {with(nightly,
             [&](KnownSchedule& k) {
               k.state = ScheduleState::gone;
               k.next_fire_at.reset();
               k.reason =
                   "schedule \"nightly\" is no longer declared by pipeline drift at "
                   "bbbbbbbbbbbb";
             })}},
      {"pipeline gone: gone, naming the pipeline",
       {},
       {nightly},
       {with(nightly,
             [&](KnownSchedule& k) {
               k.state = ScheduleState::gone;
               k.next_fire_at.reset();
               k.reason = "pipeline drift is gone or declares no schedules at bbbbbbbbbbbb";
             })}},
      {"already gone and still absent: nothing written",
       {},
       {stored(1, "drift", "nightly", "* * * * *", ScheduleState::gone, std::nullopt)},
       {}},
      {"gone comes back: enabled from now",
       {declared("drift", "nightly", "* * * * *")},
       {stored(1, "drift", "nightly", "* * * * *", ScheduleState::gone, std::nullopt)},
       {with(stored(1, "drift", "nightly", "* * * * *", ScheduleState::gone, std::nullopt),
             [&](KnownSchedule& k) {
               k.state = ScheduleState::enabled;
               k.next_fire_at = kNextMin;
               k.watching_since = kNow;
             })}},
  };
  for (const auto& r : rows) {
    const auto got = sync_schedules(r.declared, r.known, commit, kNow);
    ASSERT_EQ(got.size(), r.want.size()) << r.name;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].id, r.want[i].id) << r.name;
      EXPECT_EQ(got[i].cron, r.want[i].cron) << r.name;
      EXPECT_EQ(got[i].state, r.want[i].state) << r.name;
      EXPECT_EQ(got[i].reason, r.want[i].reason) << r.name;
      EXPECT_EQ(got[i].next_fire_at, r.want[i].next_fire_at) << r.name;
      EXPECT_EQ(got[i].watching_since, r.want[i].watching_since) << r.name;
      EXPECT_EQ(got[i].deadman_ms, r.want[i].deadman_ms) << r.name;
      EXPECT_EQ(got[i], r.want[i]) << r.name;
    }
  }
}

TEST(SyncSchedules, AZoneTheServerLacksMakesTheScheduleGoneWithTheError) {
  DeclaredSchedule d = declared("drift", "nightly", "* * * * *");
  d.timezone = "Mars/Base";
  const auto got = sync_schedules({d}, {}, "c0ffee", kNow);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].state, ScheduleState::gone);
  EXPECT_EQ(got[0].reason, "unknown time zone \"Mars/Base\"");
  EXPECT_FALSE(got[0].next_fire_at);
}

}  // namespace
}  // namespace stackrun::core
