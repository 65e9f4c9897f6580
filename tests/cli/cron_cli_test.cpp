// Black-box: `stackrun cron next` output and exit codes.
#include <gtest/gtest.h>

#include "tests/support/run_command.hpp"

using stackrun::testing::run_command;

namespace {

TEST(CronNextCli, PrintsTheNextFiresInUtcStrictlyAfterFrom) {
  auto r = run_command({STACKRUN_BIN, "cron", "next", "30 2 * * *", "--tz", "America/New_York",
                        "--from", "2026-03-07T12:00:00Z", "--count", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // 8 March: 02:30 does not exist in New York; it fires when the gap ends (03:00 EDT).
  EXPECT_EQ(r.out, "2026-03-08T07:00:00Z\n2026-03-09T06:30:00Z\n2026-03-10T06:30:00Z\n");
  EXPECT_EQ(r.err, "");
}

TEST(CronNextCli, FromTakesOffsetsAndWallClockTimesInTheZone) {
  auto offset = run_command({STACKRUN_BIN, "cron", "next", "@daily", "--from",
                             "2026-06-28T23:30:00+01:00"});  // 22:30 UTC
  EXPECT_EQ(offset.exit_code, 0) << offset.err;
  EXPECT_EQ(offset.out, "2026-06-29T00:00:00Z\n");
  auto wall = run_command({STACKRUN_BIN, "cron", "next", "0 9 * * mon-fri", "--tz", "Europe/Berlin",
                           "--from", "2026-06-26T09:00"});  // Friday 09:00 CEST
  EXPECT_EQ(wall.exit_code, 0) << wall.err;
  EXPECT_EQ(wall.out, "2026-06-29T07:00:00Z\n");
  // Strictly after: a fire time given as --from is not printed again.
  auto exact =
      run_command({STACKRUN_BIN, "cron", "next", "0 0 29 2 *", "--from", "2028-02-29T00:00:00Z"});
  EXPECT_EQ(exact.out, "2032-02-29T00:00:00Z\n");
}

TEST(CronNextCli, InvalidOrNeverFiringExpressionsAndUnknownZonesExitOne) {
  auto never = run_command({STACKRUN_BIN, "cron", "next", "0 0 30 2 *"});
  EXPECT_EQ(never.exit_code, 1);
  EXPECT_EQ(never.out, "");
  EXPECT_EQ(never.err,
            "stackrun cron next: cron \"0 0 30 2 *\": never fires (no day matches its "
            "day-of-month, month and day-of-week)\n");
  auto bad = run_command({STACKRUN_BIN, "cron", "next", "61 * * * *"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "stackrun cron next: cron \"61 * * * *\": minute 61 out of range 0-59\n");
  auto zone = run_command({STACKRUN_BIN, "cron", "next", "@daily", "--tz", "Mars/Base"});
  EXPECT_EQ(zone.exit_code, 1);
  EXPECT_EQ(zone.err, "stackrun cron next: --tz: unknown time zone \"Mars/Base\"\n");
}

TEST(CronNextCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_command({STACKRUN_BIN, "cron", "next"}).exit_code, 2);
  EXPECT_EQ(run_command({STACKRUN_BIN, "cron", "next", "@daily", "--count", "0"}).exit_code, 2);
  auto from = run_command({STACKRUN_BIN, "cron", "next", "@daily", "--from", "yesterday"});
  EXPECT_EQ(from.exit_code, 2);
  EXPECT_EQ(from.err,
            "stackrun cron next: --from \"yesterday\": expected an ISO 8601 time such as "
            "2026-03-08T01:30:00Z\n");
  EXPECT_EQ(run_command({STACKRUN_BIN, "cron", "next", "@daily", "--from", "2026-02-30T00:00Z"})
                .exit_code,
            2);
}

}  // namespace
