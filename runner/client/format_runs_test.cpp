// Golden tests of what `stackrun runs`, `show`, `trigger` and `cancel` print: each case builds
// the decoded answer by hand and compares the formatter's text with tests/data/golden/<name>.
#include "runner/client/format_runs.hpp"

#include <gtest/gtest.h>

#include "tests/support/golden.hpp"

namespace stackrun::client {
namespace {

using core::AttemptStatus;
using core::Class;
using core::JobStatus;
using core::RunStatus;

const std::string kGolden = std::string(STACKRUN_DATA_DIR) + "/golden";
constexpr wire::Millis kT0 = 1'782'665'881'123;  // 2026-06-28 16:58:01.123 UTC

::testing::AssertionResult golden(const std::string& name, const std::string& text) {
  return testing::matches_golden(kGolden, name, text);
}

wire::RunSummary summary(wire::Id id, RunStatus status, std::string pipeline, std::string event,
                         std::string summary_text, wire::Millis created) {
  wire::RunSummary r;
  r.id = id;
  r.repo = "infra";
  r.pipeline = std::move(pipeline);
  r.pipeline_file = ".stackrun/" + r.pipeline + ".yml";
  r.event = std::move(event);
  r.ref = "refs/heads/main";
  r.before = "fedcba9876543210fedcba9876543210fedcba98";
  r.commit = "0123456789abcdef0123456789abcdef01234567";
  r.message = "Bump dbaas, grafana and immich\n\nThe body is never shown.";
  r.status = status;
  r.summary = std::move(summary_text);
  r.created_at = created;
  return r;
}

wire::AttemptDetail attempt(int n, std::string agent, AttemptStatus status, std::optional<int> exit,
                            std::optional<Class> cls, std::string rule, wire::Millis started,
                            std::optional<wire::Millis> finished) {
  wire::AttemptDetail a;
  a.n = n;
  a.agent = std::move(agent);
  a.status = status;
  a.exit_code = exit;
  a.cls = cls;
  a.rule = std::move(rule);
  a.started_at = started;
  a.finished_at = finished;
  return a;
}

wire::JobDetail job(wire::Id id, std::string label, std::string tier, JobStatus status,
                    std::string reason, std::string result_reason = "") {
  wire::JobDetail j;
  j.id = id;
  j.stack = "stacks/" + label;
  j.label = std::move(label);
  j.tier = std::move(tier);
  j.status = status;
  j.reason = std::move(reason);
  j.result_reason = std::move(result_reason);
  j.created_at = kT0;
  return j;
}

// A finished, failed push: two tiers, a lock wait then success, a fatal failure with its
// deciding line, a human-only stack skipped with its reason.
wire::RunDetail failed_run() {
  wire::RunDetail d;
  d.run = summary(10, RunStatus::failed, "apply", "push", "2 ok, 1 skipped, 1 failed", kT0);
  d.run.started_at = kT0 + 500;
  d.run.finished_at = kT0 + 300'000;

  auto dbaas =
      job(1, "dbaas", "platform", JobStatus::success, "changed: stacks/dbaas/terragrunt.hcl");
  dbaas.attempts.push_back(attempt(1, "agent-1", AttemptStatus::finished, 0, Class::success,
                                   "exit:0", kT0 + 1'000, kT0 + 13'345));

  auto grafana =
      job(2, "grafana", "apps", JobStatus::success, "shared file changed: stacks/terragrunt.hcl",
          "retried after 2 lock waits: held by alice@laptop");
  auto locked = attempt(1, "agent-2", AttemptStatus::finished, 1, Class::lock,
                        "builtin.lock.state-lock", kT0 + 14'000, kT0 + 14'850);
  locked.line = "Error: Error acquiring the state lock";
  locked.line_no = 2;
  locked.lock = core::LockInfo{"9d0e4c1a-2b3c-4d5e-8f90-123456789abc",
                               "state/stacks__grafana",
                               "OperationTypeApply",
                               "alice@laptop",
                               "1.5.7",
                               "2026-06-28 16:58:01.123456789 +0000 UTC",
                               ""};
  grafana.attempts.push_back(locked);
  grafana.attempts.push_back(attempt(2, "agent-1", AttemptStatus::finished, 0, Class::success,
                                     "exit:0", kT0 + 30'000, kT0 + 275'000));

  auto immich = job(3, "immich", "apps", JobStatus::failed, "changed: stacks/immich/main.tf",
                    "fatal: not retried");
  auto fatal = attempt(1, "an-agent-with-a-long-name", AttemptStatus::finished, 1, Class::fatal,
                       "builtin.fatal.error", kT0 + 14'000, kT0 + 21'000);
  fatal.line_no = 57;
  fatal.line = "Error: creating Helm release: " + std::string(250, 'x') + " (truncated here)";
  immich.attempts.push_back(fatal);

  auto vault = job(4, "vault", "apps", JobStatus::skipped, "changed: stacks/vault/terragrunt.hcl",
                   "human-only: Tier-0, human-applied via OIDC");
  d.jobs = {dbaas, grafana, immich, vault};
  return d;
}

// A run still going: an attempt offered to an agent that has not confirmed it, one running,
// one lost then requeued, a job still pending, and a job with no tier.
wire::RunDetail running_run() {
  wire::RunDetail d;
  d.run = summary(11, RunStatus::running, "drift", "manual", "", kT0);
  d.run.kind = core::JobKind::plan;
  d.run.message = "";
  auto paperless = job(5, "paperless", "apps", JobStatus::running, "select: all");
  paperless.kind = core::JobKind::plan;
  paperless.attempts.push_back(
      attempt(1, "agent-1", AttemptStatus::offered, std::nullopt, std::nullopt, "", kT0, {}));
  auto n8n = job(6, "n8n", "apps", JobStatus::running, "select: all",
                 "agent agent-2 stopped heartbeating; plan requeued");
  n8n.attempts.push_back(
      attempt(1, "agent-2", AttemptStatus::lost, std::nullopt, std::nullopt, "", kT0, kT0 + 95));
  n8n.attempts.push_back(attempt(2, "agent-1", AttemptStatus::running, std::nullopt, std::nullopt,
                                 "", kT0 + 1'000, {}));
  auto later = job(7, "later", "late", JobStatus::pending, "select: all");
  auto loose = job(8, "loose", "", JobStatus::queued, "select: all");
  d.jobs = {paperless, n8n, later, loose};
  return d;
}

TEST(FormatRunList, StatusesAndALongSummary) {
  wire::RunList list;
  list.runs.push_back(
      summary(12, RunStatus::success, "apply", "push", "3 ok, 0 skipped, 0 failed", kT0));
  list.runs.push_back(summary(11, RunStatus::running, "drift-nightly", "manual", "", kT0 - 60'000));
  list.runs.push_back(summary(10, RunStatus::failed, "apply", "push",
                              "1 ok, 1 skipped, 2 failed: stacks/immich (fatal: "
                              "builtin.fatal.error), stacks/n8n (interrupted: agent lost)\n"
                              "a second line that is not shown",
                              kT0 - 3'481'123));
  list.runs.push_back(
      summary(9, RunStatus::cancelled, "apply", "push", "cancelled: 0 ok", kT0 - 86'281'123));
  list.runs.push_back(summary(8, RunStatus::queued, "apply", "manual", "", kT0 - 86'281'123));
  auto superseded = summary(7, RunStatus::superseded, "apply", "push",
                            "0 ok, 0 skipped, 0 failed, 2 superseded", kT0 - 90'000'000);
  superseded.superseded_by = 8;
  list.runs.push_back(superseded);
  EXPECT_TRUE(golden("run_list.txt", format_run_list(list, Style::plain())));
  EXPECT_TRUE(golden("run_list_colour.txt", format_run_list(list, Style::coloured())));
}

TEST(FormatRunDetail, ASupersededRunNamesTheRunThatTookOver) {
  wire::RunDetail d;
  d.run = summary(7, RunStatus::superseded, "apply", "push",
                  "0 ok, 0 skipped, 0 failed, 1 superseded", kT0);
  d.run.superseded_by = 9;
  const std::string text = format_run_detail(d, Style::plain());
  EXPECT_NE(text.find("run 7  superseded  apply"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  superseded by run 9: it applies the stacks that had not started here "
                      "at its newer commit\n"),
            std::string::npos)
      << text;
}

TEST(FormatRunDetail, AStackWaitingForApprovalListsWhatItsPlanDestroys) {
  wire::RunDetail d;
  d.run = summary(7, RunStatus::running, "apply", "push", "", kT0);
  wire::JobDetail waiting;
  waiting.stack = waiting.label = "stacks/dbaas";
  waiting.tier = "platform";
  waiting.status = core::JobStatus::needs_approval;
  waiting.reason = "changed: stacks/dbaas/terragrunt.hcl";
  waiting.result_reason =
      "the plan destroys 2 resources: destroy a.b, replace c.d (from show "
      "-json); approve with `stackrun approve 7 --stack stacks/dbaas`";
  waiting.destroys = {{"a.b", "destroy"}, {"c.d", "replace"}};
  wire::JobDetail approved = waiting;
  approved.stack = approved.label = "stacks/cnpg";
  approved.status = core::JobStatus::success;
  approved.result_reason.clear();
  approved.approved_by = "alice@laptop";
  d.jobs = {approved, waiting};
  const std::string text = format_run_detail(d, Style::plain());
  EXPECT_NE(text.find("\n  needs_approval stacks/dbaas"), std::string::npos) << text;
  EXPECT_NE(text.find("\n      - destroy  a.b\n      - replace  c.d\n"), std::string::npos) << text;
  EXPECT_NE(text.find("stacks/cnpg"), std::string::npos);
  EXPECT_NE(text.find("\n      approved by alice@laptop\n"), std::string::npos) << text;
  EXPECT_NE(format_run_detail(d, Style::coloured()).find("\x1b[35mneeds_approval"),
            std::string::npos);
}

TEST(FormatDeliveryList, OutcomesRefsAndReasons) {
  wire::DeliveryList list;
  wire::DeliverySummary ok{
      7,    "forgejo", "infra",           "d-7",
      kT0,  "push",    "refs/heads/main", "0123456789abcdef0123456789abcdef01234567",
      "42", "alice",   "accept",          "",
      12,   ""};
  wire::DeliverySummary mirror = ok;
  mirror.id = 8;
  mirror.source = "github";
  mirror.outcome = "ignored";
  mirror.reason = "ignored: mirror source github never applies";
  mirror.run.reset();
  wire::DeliverySummary bad;
  bad.id = 9;
  bad.source = "forgejo";
  bad.received_at = kT0;
  bad.outcome = "rejected";
  bad.reason = "signature does not match any secret of source forgejo";
  wire::DeliverySummary failed = ok;
  failed.id = 10;
  failed.run.reset();
  failed.error = "fetching http://git.example/infra.git: authentication failed";
  list.deliveries = {failed, bad, mirror, ok};
  EXPECT_TRUE(golden("delivery_list.txt", format_delivery_list(list, Style::plain())));
}

TEST(FormatRunList, EmptyListIsTheHeaderAlone) {
  EXPECT_EQ(format_run_list({}, Style::plain()),
            "RUN   STATUS     PIPELINE  EVENT   COMMIT        CREATED (UTC)        SUMMARY\n");
}

TEST(FormatRunDetail, FinishedRunWithTiersAttemptsAndReasons) {
  EXPECT_TRUE(golden("run_detail_failed.txt", format_run_detail(failed_run(), Style::plain())));
}

TEST(FormatRunDetail, Coloured) {
  EXPECT_TRUE(
      golden("run_detail_failed_colour.txt", format_run_detail(failed_run(), Style::coloured())));
}

TEST(FormatRunDetail, RunningRunWithAnOfferedAttempt) {
  const std::string text = format_run_detail(running_run(), Style::plain());
  EXPECT_TRUE(golden("run_detail_running.txt", text));
  EXPECT_NE(text.find("      #1 offered to agent-1, not started\n"), std::string::npos) << text;
}

TEST(FormatRunDetail, OfferedAttemptWithoutAgentName) {
  wire::RunDetail d = running_run();
  d.jobs.resize(1);
  d.jobs[0].attempts[0].agent = "";
  EXPECT_NE(format_run_detail(d, Style::plain()).find("      #1 offered, not started\n"),
            std::string::npos);
}

TEST(FormatRunDetail, DecidingLineIsCutAtA200ByteCharacterBoundary) {
  wire::RunDetail d = failed_run();
  d.jobs.resize(1);
  d.jobs[0].attempts[0].line = std::string(199, 'x') + "\xC3\xBC" + "tail";  // ü at 199..200
  d.jobs[0].attempts[0].line_no = 1;
  EXPECT_NE(format_run_detail(d, Style::plain()).find(": " + std::string(199, 'x') + "\n"),
            std::string::npos);
}

TEST(FormatDuration, Table) {
  const std::pair<wire::Millis, std::string> cases[] = {
      {-5, "0ms"},      {0, "0ms"},        {999, "999ms"},
      {1'000, "1.0s"},  {12'345, "12.3s"}, {59'949, "59.9s"},
      {60'000, "1m0s"}, {245'000, "4m5s"}, {3'600'000, "60m0s"},
  };
  for (const auto& [ms, text] : cases) EXPECT_EQ(format_duration(ms), text) << ms;
}

TEST(FormatUtc, IsUtcToTheSecond) {
  EXPECT_EQ(format_utc(kT0), "2026-06-28 16:58:01");
  EXPECT_EQ(format_utc(0), "1970-01-01 00:00:00");
}

TEST(FormatTrigger, IdsOnStdoutOrANoteOnStderr) {
  const Printed two = format_trigger(wire::TriggerAnswer{{41, 42}});
  EXPECT_EQ(two.out, "41\n42\n");
  EXPECT_EQ(two.err, "");
  const Printed none = format_trigger(wire::TriggerAnswer{});
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, "no pipeline matched: nothing to run\n");
}

TEST(FormatCancel, RequestedOrAlreadyFinished) {
  EXPECT_EQ(format_cancel(7, false, {RunStatus::running, false}), "run 7: cancel requested\n");
  EXPECT_EQ(format_cancel(7, true, {RunStatus::running, false}),
            "run 7: cancel requested (force)\n");
  EXPECT_EQ(format_cancel(7, true, {RunStatus::success, true}),
            "run 7 already finished: success\n");
}

}  // namespace
}  // namespace stackrun::client

namespace stackrun::client {
namespace {

TEST(FormatRunDetail, TextFromTheRepositoryCannotDriveTheTerminal) {
  wire::RunDetail d;
  d.run.id = 4;
  d.run.pipeline = "apply\x1b]0;x\x07";
  d.run.message = "fix \x1b[2Jeverything";
  wire::JobDetail j;
  j.label = "ev\x1bil";
  j.tier = "apps";
  j.result_reason = "locked by \x1b[8mhidden";
  wire::AttemptDetail a;
  a.n = 1;
  a.agent = "agent-1";
  a.status = core::AttemptStatus::finished;
  a.line = "Error: \x1b[1A\x1b[2K fake success";
  a.line_no = 3;
  j.attempts.push_back(a);
  d.jobs.push_back(j);
  const std::string out = format_run_detail(d, Style::plain());
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find("fix ^[[2Jeverything"), std::string::npos) << out;
  EXPECT_NE(out.find("line 3: Error: ^[[1A^[[2K fake success"), std::string::npos) << out;
  EXPECT_NE(out.find("locked by hidden"), std::string::npos) << out;  // SGR (conceal) dropped
}

}  // namespace
}  // namespace stackrun::client
