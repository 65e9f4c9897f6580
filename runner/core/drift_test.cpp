#include "runner/core/drift.hpp"

#include <gtest/gtest.h>

namespace stackrun::core {
namespace {

using J = JobStatus;
using D = DriftState;

constexpr Millis kHour = 3'600'000;

DriftJob job(std::int64_t run_id, const std::string& stack, JobStatus status, Millis at) {
  DriftJob j;
  j.run_id = run_id;
  j.stack = stack;
  j.status = status;
  j.finished_at = at;
  return j;
}

PlanSummary plan(int add, int change, int destroy, std::vector<std::string> addresses,
                 int more = 0) {
  PlanSummary p;
  p.add = add;
  p.change = change;
  p.destroy = destroy;
  for (auto& a : addresses) p.changes.push_back({a, "update"});
  p.more = more;
  return p;
}

// "stack state run" per report line, for compact expectations.
std::vector<std::string> brief(const std::vector<StackDrift>& report) {
  std::vector<std::string> out;
  for (const auto& s : report)
    out.push_back(s.stack + " " + std::string(to_string(s.state)) + " " + std::to_string(s.run_id));
  return out;
}

TEST(DriftState, EachJobStatus) {
  const struct {
    J status;
    std::optional<D> want;
  } rows[] = {
      {J::pending, std::nullopt},    {J::queued, std::nullopt},  {J::running, std::nullopt},
      {J::success, D::clean},        {J::drift, D::drift},       {J::skipped, D::skipped},
      {J::failed, D::error},         {J::interrupted, D::error}, {J::cancelled, std::nullopt},
      {J::superseded, std::nullopt},
  };
  for (const auto& r : rows) EXPECT_EQ(drift_state(r.status), r.want) << to_string(r.status);
  EXPECT_EQ(to_string(D::clean), "clean");
  EXPECT_EQ(to_string(D::drift), "drift");
  EXPECT_EQ(to_string(D::error), "error");
  EXPECT_EQ(to_string(D::skipped), "skipped");
}

TEST(DriftReport, LatestDecidingJobPerStackSortedByStack) {
  const struct {
    const char* name;
    std::vector<DriftJob> history;
    std::vector<std::string> want;
  } rows[] = {
      {"empty", {}, {}},
      {"latest wins whatever the input order",
       {job(2, "s/b", J::drift, 20), job(1, "s/b", J::success, 10), job(1, "s/a", J::failed, 10)},
       {"s/a error 1", "s/b drift 2"}},
      {"ties on finished_at: the higher run id",
       {job(6, "s/a", J::drift, 10), job(5, "s/a", J::success, 10)},
       {"s/a drift 6"}},
      {"ties on finished_at and run: the later input",
       {job(5, "s/a", J::drift, 10), job(5, "s/a", J::failed, 10)},
       {"s/a error 5"}},
      {"cancelled, superseded and unfinished decided nothing",
       {job(1, "s/a", J::drift, 10), job(2, "s/a", J::cancelled, 20),
        job(3, "s/a", J::superseded, 30), job(4, "s/a", J::running, 40),
        job(4, "s/b", J::cancelled, 40)},
       {"s/a drift 1"}},
      {"skipped is a result: the latest",
       {job(1, "s/a", J::drift, 10), job(2, "s/a", J::skipped, 20)},
       {"s/a skipped 2"}},
      {"interrupted is an error",
       {job(1, "s/a", J::success, 10), job(2, "s/a", J::interrupted, 20)},
       {"s/a error 2"}},
  };
  for (const auto& r : rows) EXPECT_EQ(brief(drift_report(r.history)), r.want) << r.name;
}

TEST(DriftReport, LastCleanAndDriftingSince) {
  // One stack's results in order; drifting_since is only set in state drift. Rule: the streak
  // is the drift results since the latest clean or error; skipped neither starts nor breaks it.
  const struct {
    const char* name;
    std::vector<J> results;  // at 1h, 2h, 3h, ... in runs 1, 2, 3, ...
    D state;
    std::optional<Millis> last_clean, drifting_since;
  } rows[] = {
      {"clean", {J::success}, D::clean, 1 * kHour, std::nullopt},
      {"never clean", {J::drift}, D::drift, std::nullopt, 1 * kHour},
      {"three drift runs",
       {J::success, J::drift, J::drift, J::drift},
       D::drift,
       1 * kHour,
       2 * kHour},
      {"a clean result resets the streak",
       {J::drift, J::drift, J::success, J::drift, J::drift},
       D::drift,
       3 * kHour,
       4 * kHour},
      {"an error resets the streak",
       {J::drift, J::failed, J::drift},
       D::drift,
       std::nullopt,
       3 * kHour},
      {"skipped does not break the streak",
       {J::drift, J::skipped, J::drift},
       D::drift,
       std::nullopt,
       1 * kHour},
      {"skipped does not start one",
       {J::success, J::skipped, J::drift},
       D::drift,
       1 * kHour,
       3 * kHour},
      {"skipped now: no drifting_since",
       {J::drift, J::skipped},
       D::skipped,
       std::nullopt,
       std::nullopt},
      {"clean again", {J::success, J::drift, J::success}, D::clean, 3 * kHour, std::nullopt},
      {"error keeps last_clean", {J::success, J::failed}, D::error, 1 * kHour, std::nullopt},
      {"cancelled is not a result",
       {J::drift, J::cancelled, J::drift},
       D::drift,
       std::nullopt,
       1 * kHour},
  };
  for (const auto& r : rows) {
    std::vector<DriftJob> history;
    for (std::size_t i = 0; i < r.results.size(); ++i)
      history.push_back(job(static_cast<std::int64_t>(i + 1), "s/a", r.results[i],
                            static_cast<Millis>(i + 1) * kHour));
    std::reverse(history.begin(), history.end());  // input order does not matter
    const auto report = drift_report(history);
    ASSERT_EQ(report.size(), 1u) << r.name;
    EXPECT_EQ(report[0].state, r.state) << r.name;
    EXPECT_EQ(report[0].last_clean, r.last_clean) << r.name;
    EXPECT_EQ(report[0].drifting_since, r.drifting_since) << r.name;
  }
}

TEST(DriftReport, EachStateCarriesItsOwnDetails) {
  auto drifted = job(3, "s/drift", J::drift, 30);
  drifted.plan = plan(1, 1, 0, {"aws_instance.web", "aws_s3_bucket.logs"});
  drifted.line = "exit status 2";
  drifted.rule = "exit:2";
  auto failed = job(3, "s/error", J::failed, 31);
  failed.line = "Error: No valid credential sources found";
  failed.rule = "builtin.fatal.credentials";
  failed.plan = plan(0, 0, 0, {});
  auto skipped = job(3, "s/skip", J::skipped, 32);
  skipped.reason = "human-only stack";
  skipped.line = "ignored";
  const auto report = drift_report({skipped, failed, drifted});
  ASSERT_EQ(report.size(), 3u);

  StackDrift want_drift;
  want_drift.stack = "s/drift";
  want_drift.state = D::drift;
  want_drift.run_id = 3;
  want_drift.at = 30;
  want_drift.plan = drifted.plan;
  want_drift.drifting_since = 30;
  EXPECT_EQ(report[0], want_drift);

  StackDrift want_error;
  want_error.stack = "s/error";
  want_error.state = D::error;
  want_error.run_id = 3;
  want_error.at = 31;
  want_error.line = failed.line;
  want_error.rule = failed.rule;
  EXPECT_EQ(report[1], want_error);

  StackDrift want_skip;
  want_skip.stack = "s/skip";
  want_skip.state = D::skipped;
  want_skip.run_id = 3;
  want_skip.at = 32;
  want_skip.reason = "human-only stack";
  EXPECT_EQ(report[2], want_skip);
}

TEST(DriftAlerts, ComparesTheRunWithEachStacksPreviousResult) {
  using V = std::vector<std::string>;
  const struct {
    const char* name;
    std::vector<DriftJob> history;
    std::int64_t run;
    V newly_drifted, errors, recovered;
  } rows[] = {
      {"first-ever drift is new", {job(1, "s/a", J::drift, 10)}, 1, {"s/a"}, {}, {}},
      {"first-ever clean says nothing", {job(1, "s/a", J::success, 10)}, 1, {}, {}, {}},
      {"first-ever error", {job(1, "s/a", J::failed, 10)}, 1, {}, {"s/a"}, {}},
      {"drift after clean is new",
       {job(1, "s/a", J::success, 10), job(2, "s/a", J::drift, 20)},
       2,
       {"s/a"},
       {},
       {}},
      {"continuing drift is not new",
       {job(1, "s/a", J::drift, 10), job(2, "s/a", J::drift, 20)},
       2,
       {},
       {},
       {}},
      {"drift after error is new",
       {job(1, "s/a", J::failed, 10), job(2, "s/a", J::drift, 20)},
       2,
       {"s/a"},
       {},
       {}},
      {"drift, skipped, drift is not new",
       {job(1, "s/a", J::drift, 10), job(2, "s/a", J::skipped, 20), job(3, "s/a", J::drift, 30)},
       3,
       {},
       {},
       {}},
      {"an error every time",
       {job(1, "s/a", J::failed, 10), job(2, "s/a", J::interrupted, 20)},
       2,
       {},
       {"s/a"},
       {}},
      {"recovered from drift",
       {job(1, "s/a", J::drift, 10), job(2, "s/a", J::success, 20)},
       2,
       {},
       {},
       {"s/a"}},
      {"recovered from error",
       {job(1, "s/a", J::failed, 10), job(2, "s/a", J::success, 20)},
       2,
       {},
       {},
       {"s/a"}},
      {"recovered across a skipped run",
       {job(1, "s/a", J::drift, 10), job(2, "s/a", J::skipped, 20), job(3, "s/a", J::success, 30)},
       3,
       {},
       {},
       {"s/a"}},
      {"clean after clean says nothing",
       {job(1, "s/a", J::success, 10), job(2, "s/a", J::success, 20)},
       2,
       {},
       {},
       {}},
      {"skipped now says nothing",
       {job(1, "s/a", J::drift, 10), job(2, "s/a", J::skipped, 20)},
       2,
       {},
       {},
       {}},
      {"a stack absent from the run gives nothing",
       {job(1, "s/a", J::drift, 10), job(2, "s/b", J::success, 20)},
       2,
       {},
       {},
       {}},
      {"a stack only cancelled in the run gives nothing",
       {job(1, "s/a", J::failed, 10), job(2, "s/a", J::cancelled, 20)},
       2,
       {},
       {},
       {}},
      {"the previous result skips cancelled and superseded jobs",
       {job(1, "s/a", J::drift, 10), job(2, "s/a", J::superseded, 20), job(3, "s/a", J::drift, 30)},
       3,
       {},
       {},
       {}},
      {"later runs are not previous",
       {job(1, "s/a", J::success, 10), job(2, "s/a", J::drift, 20), job(3, "s/a", J::drift, 30)},
       2,
       {"s/a"},
       {},
       {}},
      {"ties: the lower run id is previous",
       {job(8, "s/a", J::success, 10), job(7, "s/a", J::drift, 10)},
       8,
       {},
       {},
       {"s/a"}},
      {"several stacks, sorted",
       {job(1, "s/c", J::success, 10), job(1, "s/b", J::drift, 10), job(1, "s/a", J::failed, 10),
        job(2, "s/c", J::drift, 20), job(2, "s/b", J::success, 20), job(2, "s/a", J::success, 20),
        job(2, "s/d", J::failed, 20), job(2, "s/e", J::drift, 20)},
       2,
       {"s/c", "s/e"},
       {"s/d"},
       {"s/a", "s/b"}},
  };
  for (const auto& r : rows) {
    const auto got = drift_alerts(r.history, r.run);
    EXPECT_EQ(got.newly_drifted, r.newly_drifted) << r.name;
    EXPECT_EQ(got.errors, r.errors) << r.name;
    EXPECT_EQ(got.recovered, r.recovered) << r.name;
    EXPECT_EQ(got.empty(), r.newly_drifted.empty() && r.errors.empty() && r.recovered.empty())
        << r.name;
  }
}

const RunRef kRun{42, "infra", "nightly", "0123456789abcdef0123", "refs/heads/master"};

StackDrift drifted(const std::string& stack, std::optional<PlanSummary> p) {
  StackDrift s;
  s.stack = stack;
  s.state = D::drift;
  s.plan = std::move(p);
  return s;
}

StackDrift errored(const std::string& stack, const std::string& line, const std::string& rule) {
  StackDrift s;
  s.stack = stack;
  s.state = D::error;
  s.line = line;
  s.rule = rule;
  return s;
}

TEST(DriftMessage, CountsAndFirstAddressesPerStack) {
  auto many = plan(7, 0, 1, {"a.one", "a.two", "a.three", "a.four", "a.five", "a.six"}, 2);
  many.import = 1;
  const auto m = drift_message(
      kRun, {drifted("stacks/dbaas", plan(1, 1, 0, {"aws_instance.web", "aws_s3_bucket.logs"})),
             drifted("stacks/net", many), drifted("stacks/odd", std::nullopt)});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text,
            "stackrun: run 42 of infra (nightly, master at 0123456789ab): drift in 3 stacks\n"
            "- stacks/dbaas (1 to add, 1 to change, 0 to destroy): aws_instance.web, "
            "aws_s3_bucket.logs\n"
            "- stacks/net (1 to import, 7 to add, 0 to change, 1 to destroy): a.one, a.two, "
            "a.three, a.four, a.five and 3 more\n"
            "- stacks/odd\n"
            "Report: stackrun drift --repo infra. Logs: stackrun logs 42");
  EXPECT_EQ(drift_message(kRun, {}), std::nullopt);
}

TEST(DriftMessage, ListsAtMostTwentyStacks) {
  std::vector<StackDrift> stacks;
  for (int i = 0; i < 23; ++i) stacks.push_back(drifted("s/" + std::to_string(i), std::nullopt));
  const auto m = drift_message(kRun, stacks);
  ASSERT_TRUE(m);
  EXPECT_NE(m->text.find(": drift in 23 stacks\n"), std::string::npos) << m->text;
  EXPECT_NE(m->text.find("- s/19\n- and 3 more stacks\n"), std::string::npos) << m->text;
  EXPECT_EQ(m->text.find("- s/20\n"), std::string::npos) << m->text;
}

TEST(DriftMessage, ErrorsNameTheDecidingLine) {
  const auto m = drift_error_message(
      {7, "infra", "nightly", "", ""},
      {errored("stacks/dbaas", "Error: No valid credential sources found", "builtin.fatal.auth"),
       errored("stacks/net", "", "exit:1"), errored("stacks/odd", "", "")});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text,
            "stackrun: run 7 of infra (nightly): drift check failed in 3 stacks\n"
            "- stacks/dbaas: Error: No valid credential sources found\n"
            "- stacks/net (rule exit:1)\n"
            "- stacks/odd\n"
            "Report: stackrun drift --repo infra. Logs: stackrun logs 7");
  EXPECT_EQ(drift_error_message(kRun, {}), std::nullopt);
}

TEST(DriftMessage, ALongLineIsCutOnACharacterBoundary) {
  const std::string line =
      std::string(kMaxDriftLine - 4, 'x') + "\xc3\xa9\xc3\xa9\xc3\xa9";  // "ééé"
  const auto m = drift_error_message(kRun, {errored("s/a", line, "r")});
  ASSERT_TRUE(m);
  const std::string want = "- s/a: " + std::string(kMaxDriftLine - 4, 'x') + "...\n";
  EXPECT_NE(m->text.find(want), std::string::npos) << m->text;
}

TEST(DriftMessage, Recovered) {
  const auto m = drift_recovered_message(kRun, {"stacks/dbaas", "stacks/net"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text,
            "stackrun: run 42 of infra (nightly, master at 0123456789ab): clean again after drift "
            "or errors in 2 stacks\n"
            "- stacks/dbaas\n"
            "- stacks/net\n"
            "Report: stackrun drift --repo infra. Logs: stackrun logs 42");
  EXPECT_EQ(drift_recovered_message(kRun, {}), std::nullopt);
}

// 2026-11-29T03:17:40Z and 2026-11-28T00:00:00Z in ms since the epoch.
constexpr Millis kNov29 = 1'795'922'260'000;
constexpr Millis kNov28 = 1'795'824'000'000;

TEST(DeadmanDue, FromTheLastCompletedRunElseFromWhenTheScheduleAppeared) {
  const struct {
    const char* name;
    Deadman d;
    Millis now;
    Millis due;
    bool breached;
  } rows[] = {
      {"completed, within",
       {26 * kHour, kNov29, kNov28, 41},
       kNov29 + kHour,
       kNov29 + 26 * kHour,
       false},
      {"completed, at the due time",
       {26 * kHour, kNov29, kNov28, 41},
       kNov29 + 26 * kHour,
       kNov29 + 26 * kHour,
       false},
      {"completed, a millisecond late",
       {26 * kHour, kNov29, kNov28, 41},
       kNov29 + 26 * kHour + 1,
       kNov29 + 26 * kHour,
       true},
      {"none yet, within",
       {26 * kHour, std::nullopt, kNov28, 0},
       kNov28 + 25 * kHour,
       kNov28 + 26 * kHour,
       false},
      {"none yet, at the due time",
       {26 * kHour, std::nullopt, kNov28, 0},
       kNov28 + 26 * kHour,
       kNov28 + 26 * kHour,
       false},
      {"none yet, late",
       {26 * kHour, std::nullopt, kNov28, 0},
       kNov28 + 27 * kHour,
       kNov28 + 26 * kHour,
       true},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(deadman_due(r.d), r.due) << r.name;
    EXPECT_EQ(deadman_breached(r.d, r.now), r.breached) << r.name;
  }
}

TEST(DeadmanMessage, NamesTheScheduleTheWindowAndTheLastRun) {
  EXPECT_EQ(deadman_message("infra", "drift", "nightly", {26 * kHour, kNov29, kNov28, 41}).text,
            "stackrun: repo infra, pipeline drift (schedule nightly): no drift run has completed "
            "in 26h (last completed 2026-11-29T03:17:40Z, run 41)");
  EXPECT_EQ(deadman_message("infra", "drift", "nightly", {26 * kHour, kNov29, kNov28, 0}).text,
            "stackrun: repo infra, pipeline drift (schedule nightly): no drift run has completed "
            "in 26h (last completed 2026-11-29T03:17:40Z)");
  EXPECT_EQ(
      deadman_message("infra", "drift", "nightly", {90 * 60'000, std::nullopt, kNov28 + 500, 0})
          .text,
      "stackrun: repo infra, pipeline drift (schedule nightly): no drift run has completed "
      "in 1h30m (none since the schedule appeared at 2026-11-28T00:00:00Z)");
}

}  // namespace
}  // namespace stackrun::core
