// What `stackrun schedules` and `stackrun drift` print, built from decoded answers by hand.
#include "runner/client/format_drift.hpp"

#include <gtest/gtest.h>

namespace stackrun::client {
namespace {

constexpr wire::Millis kT0 = 1'796'095'020'000;  // 2026-12-01 03:17:00 UTC

wire::DriftStackView stack(const std::string& name, const std::string& state, wire::Millis at) {
  wire::DriftStackView s;
  s.stack = name;
  s.state = state;
  s.run = 12;
  s.at = at;
  return s;
}

TEST(FormatDrift, ErrorsComeFirstThenDriftSkippedAndClean) {
  wire::DriftPipelineView p;
  p.repo = "infra";
  p.pipeline = "drift";
  p.schedules = {"nightly"};
  p.last_run = 12;
  p.last_completed = kT0 + 40'000;
  p.last_status = "failed";
  p.deadman_ms = 26 * 3'600'000LL;
  p.deadman_due = kT0 + 40'000 + 26 * 3'600'000LL;
  auto clean = stack("stacks/infra", "clean", kT0 + 30'000);
  clean.last_clean = kT0 + 30'000;
  auto drift = stack("stacks/dbaas", "drift", kT0 + 31'000);
  drift.plan = core::PlanSummary{
      1, 1, 1, 0, false, {{"helm_release.this", "update"}, {"kubernetes_secret.db", "replace"}}, 0};
  drift.drifting_since = kT0 - 86'400'000 + 31'000;
  drift.last_clean = kT0 - 2 * 86'400'000 + 31'000;
  auto error = stack("stacks/cnpg", "error", kT0 + 32'000);
  error.line = "ERROR: Cannot read PG credentials from Vault. Vault output follows:";
  error.rule = "builtin.fatal.pg-credentials";
  auto skipped = stack("stacks/vault", "skipped", kT0 + 33'000);
  skipped.reason = "human-only: Tier-0, human-applied via OIDC";
  p.stacks = {drift, clean, error, skipped};
  const std::string want =
      "repo infra, pipeline drift (schedule nightly): last completed run 12 (failed) at "
      "2026-12-01 03:17:40; dead-man window 26h ok until 2026-12-02 05:17:40\n"
      "  error    stacks/cnpg                 run 12  ERROR: Cannot read PG credentials from "
      "Vault. Vault output follows: [builtin.fatal.pg-credentials]; never clean\n"
      "  drift    stacks/dbaas                run 12  1 to add, 1 to change, 1 to destroy; "
      "drifting since 2026-11-30 03:17:31; last clean 2026-11-29 03:17:31\n"
      "             update  helm_release.this\n"
      "             replace kubernetes_secret.db\n"
      "  skipped  stacks/vault                run 12  human-only: Tier-0, human-applied via OIDC\n"
      "  clean    stacks/infra                run 12\n"
      "  4 stacks: 1 drift, 1 error, 1 skipped, 1 clean\n";
  EXPECT_EQ(format_drift_report(wire::DriftReport{kT0 + 60'000, {p}}, Style::plain()), want);
}

TEST(FormatDrift, ABreachedWindowSaysSinceWhenAndNoRunSaysSo) {
  wire::DriftPipelineView p;
  p.repo = "infra";
  p.pipeline = "drift";
  p.deadman_ms = 60'000;
  p.deadman_due = kT0;
  p.deadman_breached = true;
  EXPECT_EQ(format_drift_report(wire::DriftReport{kT0 + 90'000, {p}}, Style::plain()),
            "repo infra, pipeline drift: no run has completed yet; dead-man window 1m BREACHED "
            "since 2026-12-01 03:17:00 (1m30s ago)\n"
            "  0 stacks\n");
  EXPECT_EQ(format_drift_report(wire::DriftReport{}, Style::plain()),
            "no drift runs yet: no pipeline of kind plan has run, and no schedule has a dead-man "
            "window (start one with `stackrun trigger run --pipeline drift`)\n");
}

TEST(FormatDrift, SchedulesShowNextLastTheWindowAndWhyOneIsOff) {
  wire::ScheduleSummary on;
  on.id = 1;
  on.repo = "infra";
  on.pipeline = "drift";
  on.name = "nightly";
  on.cron = "17 3 * * *";
  on.timezone = "UTC";
  on.state = "enabled";
  on.next_fire_at = kT0 + 86'400'000;
  on.last_fire_at = kT0;
  on.last_run = 12;
  on.last_run_status = "drift";
  on.deadman_ms = 26 * 3'600'000LL;
  wire::ScheduleSummary gone = on;
  gone.id = 2;
  gone.name = "weekly";
  gone.state = "gone";
  gone.reason = "schedule \"weekly\" is no longer declared by pipeline drift at 0123456789ab";
  gone.next_fire_at.reset();
  gone.last_run.reset();
  gone.last_outcome = "no run: repo infra: authentication failed";
  gone.deadman_ms = 0;
  EXPECT_EQ(format_schedule_list(wire::ScheduleList{{on, gone}}, Style::plain()),
            "ID  REPO        PIPELINE    SCHEDULE    CRON            ZONE            STATE     "
            "NEXT (UTC)           LAST (UTC)           DEAD-MAN      LAST OUTCOME\n"
            "1   infra       drift       nightly     17 3 * * *      UTC             enabled   "
            "2026-12-02 03:17:00  2026-12-01 03:17:00  26h ok        run 12 drift\n"
            "2   infra       drift       weekly      17 3 * * *      UTC             gone      "
            "-                    2026-12-01 03:17:00  -             no run: repo infra: "
            "authentication failed\n"
            "    gone: schedule \"weekly\" is no longer declared by pipeline drift at "
            "0123456789ab\n");
}

}  // namespace
}  // namespace stackrun::client
