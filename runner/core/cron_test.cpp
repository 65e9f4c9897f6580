#include "runner/core/cron.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace stackrun::core {
namespace {

using namespace std::chrono;

// "2026-06-28 16:58" or "2026-06-28 16:58:30" (UTC) -> time point.
sys_seconds at(const char* text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const int n = std::sscanf(text, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s);
  EXPECT_GE(n, 5) << text;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  EXPECT_TRUE(ymd.ok()) << text;
  return sys_days(ymd) + hours(h) + minutes(mi) + seconds(s);
}

// Time point -> "2026-06-28 16:58 Sun"; seconds are always zero for fire times.
std::string show(std::optional<sys_seconds> t) {
  if (!t) return "none";
  const sys_days d = floor<days>(*t);
  const year_month_day ymd(d);
  const auto tod = *t - d;
  static const char* const kDay[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld %s", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(duration_cast<hours>(tod).count()),
                long(duration_cast<minutes>(tod).count() % 60), kDay[weekday(d).c_encoding()]);
  if (tod % minutes(1) != seconds(0)) return std::string(buf) + " (not on a minute)";
  return buf;
}

struct FireRow {
  const char* expr;
  const char* after;
  const char* want;  // show() form, or "none"
};

// Weekdays: 2026-06-28 is a Sunday; 2026-07-03 a Friday; 2028-02-29 a Tuesday.
const FireRow kFireRows[] = {
    // Strictly after, minute resolution.
    {"* * * * *", "2026-06-28 16:58", "2026-06-28 16:59 Sun"},
    {"* * * * *", "2026-06-28 16:58:30", "2026-06-28 16:59 Sun"},
    {"* * * * *", "2026-06-28 16:58:59", "2026-06-28 16:59 Sun"},
    {"* * * * *", "2026-12-31 23:59", "2027-01-01 00:00 Fri"},
    {"59 23 * * *", "2026-06-28 23:59", "2026-06-29 23:59 Mon"},
    {"0,30 * * * *", "2026-06-28 16:30", "2026-06-28 17:00 Sun"},
    // The drift schedule from examples/drift.yml.
    {"17 3 * * *", "2026-06-28 16:58", "2026-06-29 03:17 Mon"},
    {"17 3 * * *", "2026-06-29 03:16:59", "2026-06-29 03:17 Mon"},
    {"17 3 * * *", "2026-06-29 03:17", "2026-06-30 03:17 Tue"},
    {"17 3 * * *", "2026-06-30 03:17", "2026-07-01 03:17 Wed"},
    {"17 3 * * *", "2026-12-31 12:00", "2027-01-01 03:17 Fri"},
    {"59 23 31 12 *", "2026-12-31 23:59", "2027-12-31 23:59 Fri"},
    // Steps and ranges.
    {"*/15 * * * *", "2026-06-28 16:58", "2026-06-28 17:00 Sun"},
    {"*/15 * * * *", "2026-06-28 16:44:59", "2026-06-28 16:45 Sun"},
    {"0 */6 * * *", "2026-06-28 16:58", "2026-06-28 18:00 Sun"},
    {"0 */6 * * *", "2026-06-28 18:00", "2026-06-29 00:00 Mon"},
    {"10-20/5 9 * * *", "2026-06-28 09:15", "2026-06-28 09:20 Sun"},
    {"10-20/5 9 * * *", "2026-06-28 09:20", "2026-06-29 09:10 Mon"},
    {"5/20 * * * *", "2026-06-28 16:58", "2026-06-28 17:05 Sun"},
    {"5/20 * * * *", "2026-06-28 17:30", "2026-06-28 17:45 Sun"},
    {"50/1 * * * *", "2026-06-28 16:51", "2026-06-28 16:52 Sun"},
    {"0 22/1 * * *", "2026-06-28 22:00", "2026-06-28 23:00 Sun"},
    {"0 0 * * 5/1", "2026-06-27 00:00", "2026-07-03 00:00 Fri"},
    {"0 0 1 jan-mar/2 *", "2026-01-01 00:00", "2026-03-01 00:00 Sun"},
    {"0 0 1 1,4,7,10 *", "2026-06-28 16:58", "2026-07-01 00:00 Wed"},
    {"0 0 * jul *", "2026-06-28 16:58", "2026-07-01 00:00 Wed"},
    {"0 0 * JUL *", "2026-06-28 16:58", "2026-07-01 00:00 Wed"},
    {"0 0 1 * *", "2026-12-15 08:00", "2027-01-01 00:00 Fri"},
    {"  0   9\t* *  *  ", "2026-06-28 16:58", "2026-06-29 09:00 Mon"},
    // Day of week, names, 7 = Sunday.
    {"0 9 * * mon-fri", "2026-06-26 10:00", "2026-06-29 09:00 Mon"},
    {"0 9 * * MON-Fri", "2026-06-26 10:00", "2026-06-29 09:00 Mon"},
    {"0 9 * * 1,3,5", "2026-06-29 09:00", "2026-07-01 09:00 Wed"},
    {"0 12 * * 1-5/2", "2026-07-01 12:00", "2026-07-03 12:00 Fri"},
    {"0 0 * * 7", "2026-06-27 12:00", "2026-06-28 00:00 Sun"},
    {"0 0 * * 0", "2026-06-27 12:00", "2026-06-28 00:00 Sun"},
    {"0 0 * * sun", "2026-06-27 12:00", "2026-06-28 00:00 Sun"},
    {"0 0 * * 5-7", "2026-06-29 00:00", "2026-07-03 00:00 Fri"},
    {"0 0 * * 5-7", "2026-07-03 00:00", "2026-07-04 00:00 Sat"},
    {"0 0 * * 5-7", "2026-07-04 00:00", "2026-07-05 00:00 Sun"},
    {"0 0 * * */2", "2026-06-29 00:00", "2026-06-30 00:00 Tue"},
    // Day of month and day of week: either matches when both are restricted (Vixie).
    {"0 0 13 * fri", "2026-06-28 16:58", "2026-07-03 00:00 Fri"},
    {"0 0 13 * fri", "2026-07-10 00:00", "2026-07-13 00:00 Mon"},
    {"30 8 1-7 * 1", "2026-06-28 09:00", "2026-06-29 08:30 Mon"},
    {"30 8 1-7 * 1", "2026-06-29 08:30", "2026-07-01 08:30 Wed"},
    {"0 0 29 2 mon", "2026-03-01 00:00", "2027-02-01 00:00 Mon"},
    // ...but a field starting with '*' (even "*/2") makes both required, as in Vixie cron.
    {"0 0 */2 * 1", "2026-06-29 00:00", "2026-07-13 00:00 Mon"},
    {"0 0 13 * *", "2026-06-28 16:58", "2026-07-13 00:00 Mon"},
    // Short months, leap days, impossible dates.
    {"0 0 31 * *", "2026-06-28 16:58", "2026-07-31 00:00 Fri"},
    {"0 0 31 * *", "2026-01-31 00:00", "2026-03-31 00:00 Tue"},
    {"0 0 * * *", "2026-02-28 12:00", "2026-03-01 00:00 Sun"},
    {"0 0 * * *", "2028-02-28 12:00", "2028-02-29 00:00 Tue"},
    {"0 0 29 2 *", "2026-03-01 00:00", "2028-02-29 00:00 Tue"},
    {"0 0 29 2 *", "2024-02-29 00:00", "2028-02-29 00:00 Tue"},
    {"0 0 29 2 *", "2028-02-29 00:00", "2032-02-29 00:00 Sun"},
    {"0 0 28-31 2 *", "2026-02-28 00:00", "2027-02-28 00:00 Sun"},
    {"0 0 28-31 2 *", "2027-02-28 00:00", "2028-02-28 00:00 Mon"},
    // However far ahead: 2100 is not a leap year, so the next 29 Feb is 2104; 29 Feb on a
    // Monday comes every 28 years (with the OR rule off: "*" in day-of-week is not given here).
    {"0 0 29 2 *", "2096-03-01 00:00", "2104-02-29 00:00 Fri"},
    // L, W, #.
    {"0 0 L * *", "2024-01-31 00:00", "2024-02-29 00:00 Thu"},
    {"0 0 L 2 *", "2100-01-01 00:00", "2100-02-28 00:00 Sun"},
    {"0 0 LW * *", "2026-05-01 00:00", "2026-05-29 00:00 Fri"},   // 31 May 2026 is a Sunday
    {"0 0 15W * *", "2026-08-01 00:00", "2026-08-14 00:00 Fri"},  // 15 Aug 2026: Saturday
    {"0 0 15W * *", "2026-11-01 00:00", "2026-11-16 00:00 Mon"},  // 15 Nov 2026: Sunday
    {"0 0 1W * *", "2026-07-31 00:00", "2026-08-03 00:00 Mon"},   // 1 Aug 2026: Saturday
    {"0 0 31W * *", "2026-05-01 00:00", "2026-05-29 00:00 Fri"},  // 31 May 2026: Sunday
    {"0 0 31W * *", "2026-06-01 00:00", "2026-07-31 00:00 Fri"},  // June has no 31st
    {"0 12 * * 5L", "2024-01-01 00:00", "2024-01-26 12:00 Fri"},
    {"0 12 * * friL", "2024-02-01 00:00", "2024-02-23 12:00 Fri"},
    {"0 12 * * 5#3", "2024-01-01 00:00", "2024-01-19 12:00 Fri"},
    {"0 12 * * mon#5", "2026-06-01 00:00", "2026-06-29 12:00 Mon"},
    {"0 12 * * mon#5", "2026-07-01 00:00", "2026-08-31 12:00 Mon"},
    {"0 12 * * 1#1,5L", "2026-06-02 00:00", "2026-06-26 12:00 Fri"},
    // With L and a weekday both restricted, either may match (the OR rule).
    {"0 0 L * mon", "2026-06-23 00:00", "2026-06-29 00:00 Mon"},
    {"0 0 ? * 1#2", "2026-06-01 00:00", "2026-06-08 00:00 Mon"},
    // Descriptors.
    {"@yearly", "2026-06-28 16:58", "2027-01-01 00:00 Fri"},
    {"@annually", "2026-01-01 00:00", "2027-01-01 00:00 Fri"},
    {"@YEARLY", "2026-06-28 16:58", "2027-01-01 00:00 Fri"},
    {"@monthly", "2026-06-28 16:58", "2026-07-01 00:00 Wed"},
    {"@weekly", "2026-06-28 16:58", "2026-07-05 00:00 Sun"},
    {"@weekly", "2026-06-27 23:59", "2026-06-28 00:00 Sun"},
    {"@daily", "2026-06-28 16:58", "2026-06-29 00:00 Mon"},
    {"@midnight", "2026-06-28 16:58", "2026-06-29 00:00 Mon"},
    {"@hourly", "2026-06-28 16:58", "2026-06-28 17:00 Sun"},
    {"@hourly", "2026-12-31 23:30", "2027-01-01 00:00 Fri"},
};

TEST(CronNextFire, Table) {
  for (const FireRow& row : kFireRows) {
    SCOPED_TRACE(std::string(row.expr) + " after " + row.after);
    auto spec = parse_cron(row.expr);
    ASSERT_TRUE(spec.ok()) << spec.error();
    EXPECT_EQ(show(next_fire(*spec, at(row.after))), row.want);
  }
}

// Any start between two consecutive fires yields the later one.
TEST(CronNextFire, EveryMinuteBetweenFiresAgrees) {
  for (const char* expr : {"17 3 * * *", "*/7 1-2 * * mon", "0 0 13 * fri", "0 0 29 2 *"}) {
    SCOPED_TRACE(expr);
    auto spec = parse_cron(expr);
    ASSERT_TRUE(spec.ok()) << spec.error();
    sys_seconds t = at("2027-12-30 00:00");
    for (int fire = 0; fire < 3; ++fire) {
      const auto next = next_fire(*spec, t);
      ASSERT_TRUE(next.has_value());
      ASSERT_GT(*next, t);
      for (sys_seconds m = t + seconds(59); m < *next; m += hours(7) + seconds(1))
        ASSERT_EQ(show(next_fire(*spec, m)), show(next)) << "from " << show(m);
      t = *next;
    }
  }
}

struct ErrorRow {
  const char* expr;
  const char* want;
};

const ErrorRow kErrorRows[] = {
    {"61 * * * *", "cron \"61 * * * *\": minute 61 out of range 0-59"},
    {"* * *", "cron \"* * *\": expected 5 fields, got 3"},
    {"", "cron \"\": expected 5 fields, got 0"},
    {"0 0 0 * * *", "cron \"0 0 0 * * *\": expected 5 fields, got 6"},
    {"@daily *", "cron \"@daily *\": expected 5 fields, got 2"},
    {"@sometimes", "cron \"@sometimes\": unknown descriptor"},
    {"@reboot", "cron \"@reboot\": unknown descriptor"},
    {"* 24 * * *", "cron \"* 24 * * *\": hour 24 out of range 0-23"},
    {"* * 0 * *", "cron \"* * 0 * *\": day-of-month 0 out of range 1-31"},
    {"* * 32 * *", "cron \"* * 32 * *\": day-of-month 32 out of range 1-31"},
    {"* * * 0 *", "cron \"* * * 0 *\": month 0 out of range 1-12"},
    {"* * * 13 *", "cron \"* * * 13 *\": month 13 out of range 1-12"},
    {"* * * * 8", "cron \"* * * * 8\": day-of-week 8 out of range 0-7"},
    {"99999999999 * * * *", "cron \"99999999999 * * * *\": minute 99999999999 out of range 0-59"},
    {"1,2,60 * * * *", "cron \"1,2,60 * * * *\": minute 60 out of range 0-59"},
    {"* * * foo *", "cron \"* * * foo *\": month \"foo\" is not a number or month name (jan..dec)"},
    {"* * * * funday",
     "cron \"* * * * funday\": day-of-week \"funday\" is not a number or day name (sun..sat)"},
    {"* * * * january",
     "cron \"* * * * january\": day-of-week \"january\" is not a number or day name (sun..sat)"},
    {"* jan * * *", "cron \"* jan * * *\": hour \"jan\" is not a number"},
    {"5x * * * *", "cron \"5x * * * *\": minute \"5x\" is not a number"},
    {"*/0 * * * *", "cron \"*/0 * * * *\": minute step \"0\" must be a number 1-60"},
    {"*/x * * * *", "cron \"*/x * * * *\": minute step \"x\" must be a number 1-60"},
    {"* */ * * *", "cron \"* */ * * *\": hour step \"\" must be a number 1-24"},
    {"* */25 * * *", "cron \"* */25 * * *\": hour step \"25\" must be a number 1-24"},
    {"30-10 * * * *",
     "cron \"30-10 * * * *\": minute range \"30-10\" runs backwards (write the smaller value "
     "first)"},
    {"* * * * fri-mon",
     "cron \"* * * * fri-mon\": day-of-week range \"fri-mon\" runs backwards (write the smaller "
     "value first)"},
    {"1,,2 * * * *", "cron \"1,,2 * * * *\": minute \"1,,2\" has an empty list item"},
    {"1, * * * *", "cron \"1, * * * *\": minute \"1,\" has an empty list item"},
    {"1- * * * *", "cron \"1- * * * *\": minute \"1-\" is missing a value"},
    {"-5 * * * *", "cron \"-5 * * * *\": minute \"-5\" is missing a value"},
    {"1-2-3 * * * *", "cron \"1-2-3 * * * *\": minute \"2-3\" is not a number"},
    {"0 0 30 2 *",
     "cron \"0 0 30 2 *\": never fires (no day matches its day-of-month, month and day-of-week)"},
    {"0 0 31 4,6,9,11 *",
     "cron \"0 0 31 4,6,9,11 *\": never fires (no day matches its day-of-month, month and "
     "day-of-week)"},
    {"0 0 xW * *", "cron \"0 0 xW * *\": day-of-month \"xW\": W takes a day number, as in 15W"},
    {"0 0 32W * *", "cron \"0 0 32W * *\": day-of-month 32W out of range 1W-31W"},
    {"0 0 * * 5#6", "cron \"0 0 * * 5#6\": day-of-week \"5#6\": # takes 1-5 (the n-th such day)"},
    {"0 0 * * x#1", "cron \"0 0 * * x#1\": day-of-week \"x#1\": # follows a day (0-7 or sun..sat)"},
    {"0 0 * * xL", "cron \"0 0 * * xL\": day-of-week \"xL\": L follows a day (0-7 or sun..sat)"},
};

// The daylight-saving rules of cron.hpp, in three zones (expected instants checked against
// Python's zoneinfo): a skipped local time fires when the gap ends; a repeated one fires once,
// the first time.
TEST(CronZones, DaylightSavingGapsAndRepeatsFollowTheDocumentedRule) {
  struct Row {
    const char* expr;
    const char* zone;
    const char* after;              // UTC, "YYYY-MM-DD HH:MM"
    std::vector<std::string> want;  // the next fires, UTC
  };
  const std::vector<Row> rows = {
      // New York, 8 Mar 2026: 02:00 EST -> 03:00 EDT. 02:30 does not exist: 03:00 EDT.
      {"30 2 * * *",
       "America/New_York",
       "2026-03-07 12:00",
       {"2026-03-08 07:00 Sun", "2026-03-09 06:30 Mon"}},
      // Every minute of the skipped hour maps to the same instant: it fires once.
      {"*/15 2 * * *",
       "America/New_York",
       "2026-03-08 00:00",
       {"2026-03-08 07:00 Sun", "2026-03-09 06:00 Mon"}},
      // New York, 1 Nov 2026: 02:00 EDT -> 01:00 EST. 01:30 happens twice: the first (EDT).
      {"30 1 * * *",
       "America/New_York",
       "2026-10-31 12:00",
       {"2026-11-01 05:30 Sun", "2026-11-02 06:30 Mon"}},
      // Hourly: 01:00 EDT, then 02:00 EST; the second 01:00 (06:00 UTC) does not fire again.
      {"0 * * * *",
       "America/New_York",
       "2026-11-01 04:30",
       {"2026-11-01 05:00 Sun", "2026-11-01 07:00 Sun"}},
      // Berlin, 29 Mar and 25 Oct 2026.
      {"30 2 * * *",
       "Europe/Berlin",
       "2026-03-28 12:00",
       {"2026-03-29 01:00 Sun", "2026-03-30 00:30 Mon"}},
      {"30 2 * * *",
       "Europe/Berlin",
       "2026-10-24 12:00",
       {"2026-10-25 00:30 Sun", "2026-10-26 01:30 Mon"}},
      // Lord Howe Island moves by 30 minutes (4 Oct 2026, 02:00 -> 02:30): 02:15 fires at 02:30.
      {"15 2 * * *",
       "Australia/Lord_Howe",
       "2026-10-03 12:00",
       {"2026-10-03 15:30 Sat", "2026-10-04 15:15 Sun"}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.expr) + " in " + row.zone + " after " + row.after);
    const auto spec = parse_cron(row.expr);
    ASSERT_TRUE(spec.ok()) << spec.error();
    const auto zone = load_zone(row.zone);
    ASSERT_TRUE(zone.ok()) << zone.error();
    std::vector<std::string> got;
    auto t = at(row.after);
    for (std::size_t i = 0; i < row.want.size(); ++i) {
      const auto next = next_fire(*spec, t, *zone);
      ASSERT_TRUE(next.has_value());
      got.push_back(show(next));
      t = *next;
    }
    EXPECT_EQ(got, row.want);
  }
}

TEST(CronZones, AnUnknownZoneIsNamed) {
  const auto zone = load_zone("Mars/Olympus_Mons");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.error(), "unknown time zone \"Mars/Olympus_Mons\"");
}

TEST(CronParse, Errors) {
  for (const ErrorRow& row : kErrorRows) {
    auto spec = parse_cron(row.expr);
    ASSERT_FALSE(spec.ok()) << row.expr;
    EXPECT_EQ(spec.error(), row.want);
  }
}

// Bit string of a bitset over [lo, hi], e.g. "0100011" for weekdays Mon, Fri, Sat.
template <size_t N>
std::string bits(const std::bitset<N>& b, size_t lo) {
  std::string out;
  for (size_t i = lo; i < N; ++i) out += b[i] ? '1' : '0';
  return out;
}

TEST(CronParse, Fields) {
  auto s = parse_cron("0,15-20/5 */8 1,31 feb-apr/2 5-7");
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->minutes.count(), 3u);
  EXPECT_TRUE(s->minutes[0] && s->minutes[15] && s->minutes[20]);
  EXPECT_EQ(bits(s->hours, 0), "100000001000000010000000");
  EXPECT_EQ(bits(s->days, 1), "1000000000000000000000000000001");
  EXPECT_EQ(bits(s->months, 1), "010100000000");
  EXPECT_EQ(bits(s->weekdays, 0), "10000110");  // Sun (from 7), Fri, Sat; bit 7 never set
  EXPECT_FALSE(s->dom_star);
  EXPECT_FALSE(s->dow_star);

  auto weekly = parse_cron("@weekly");
  ASSERT_TRUE(weekly.ok()) << weekly.error();
  EXPECT_EQ(weekly->minutes.count(), 1u);
  EXPECT_EQ(weekly->hours.count(), 1u);
  EXPECT_EQ(weekly->days.count(), 31u);
  EXPECT_EQ(weekly->months.count(), 12u);
  EXPECT_EQ(bits(weekly->weekdays, 0), "10000000");
  EXPECT_TRUE(weekly->dom_star);
  EXPECT_FALSE(weekly->dow_star);

  auto star = parse_cron("* * */2 * *");
  ASSERT_TRUE(star.ok()) << star.error();
  EXPECT_EQ(star->weekdays.count(), 7u);
  EXPECT_EQ(star->days.count(), 16u);
  EXPECT_TRUE(star->dom_star);  // Vixie: a field starting with '*' counts as unrestricted
  EXPECT_TRUE(star->dow_star);
}

}  // namespace
}  // namespace stackrun::core
