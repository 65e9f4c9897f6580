// Round trips (decode(encode(x)) == x) for every message, and golden text for the encodings
// whose keys differ from the member names.
#include <gtest/gtest.h>

#include <limits>

#include "runner/wire/protocol.hpp"
#include "runner/wire/protocol_test_samples.hpp"

namespace stackrun::wire {
namespace {

// Decodes encode(m) and checks the value comes back, and that it re-encodes to the same text.
template <class T, class Decode>
void expect_round_trip(const T& m, Decode decode) {
  const std::string text = encode(m);
  auto back = decode(text);
  ASSERT_TRUE(back.ok()) << back.error() << "\n  in: " << text;
  EXPECT_TRUE(*back == m) << "changed by a round trip: " << text << "\n  became: " << encode(*back);
  EXPECT_EQ(encode(*back), text);
}

TEST(WireRoundTrip, AgentMessages) {
  expect_round_trip(samples::claim(), decode_claim_request);
  expect_round_trip(samples::offer(), decode_offer);
  expect_round_trip(samples::attempt_ref(), decode_attempt_ref);
  expect_round_trip(samples::lease_answer(), decode_lease_answer);
  expect_round_trip(samples::log_batch(), decode_log_batch);
  expect_round_trip(LogBatch{1, 2, {}}, decode_log_batch);  // chunks may be empty
  expect_round_trip(samples::log_ack(), decode_log_ack);
  expect_round_trip(samples::finish_request(), decode_finish_request);
  expect_round_trip(samples::finish_answer(), decode_finish_answer);
}

// A finish that also claims the slot's next job, and the answer that carries its offer.
TEST(WireRoundTrip, FinishThatClaimsTheNextJob) {
  FinishRequest f = samples::finish_request();
  f.claim_labels = "os=linux,big";
  expect_round_trip(f, decode_finish_request);
  f.claim_labels = "";  // claiming with no labels is not the same as not claiming
  expect_round_trip(f, decode_finish_request);
  FinishAnswer a = samples::finish_answer();
  a.offer = samples::offer();
  expect_round_trip(a, decode_finish_answer);
  EXPECT_FALSE(decode_finish_answer(R"({"idempotent":false,"offer":{"attempt_id":1}})").ok())
      << "an offer missing its required fields";
}

TEST(WireRoundTrip, FinishWithoutLock) {
  FinishRequest f = samples::finish_request();
  f.verdict.lock.reset();
  expect_round_trip(f, decode_finish_request);
  f.verdict.lock = core::LockInfo{};  // a lock block whose fields were all empty stays a lock
  expect_round_trip(f, decode_finish_request);
}

// A saved plan is binary (a zip): every byte value crosses as base64.
SavedPlanFile saved_plan() {
  std::string bytes = "PK\x03\x04";
  for (int i = 0; i < 256; ++i) bytes += char(i);
  return {0, "tfplan", std::string(64, 'a'), bytes};
}

TEST(WireRoundTrip, TheDestroyGuardsMessages) {
  FinishRequest f = samples::finish_request();
  f.guard = GuardReport{{core::DestroyGuard::approve,
                         {{"kubernetes_secret.legacy", "destroy"}, {"x[\"a\"]", "replace"}},
                         2,
                         "show -json"},
                        saved_plan()};
  expect_round_trip(f, decode_finish_request);
  std::string text = encode(f);
  text.replace(text.find("\"guard\":\"approve\""), 17, "\"guard\":\"allow\"\"");
  EXPECT_FALSE(decode_finish_request(text).ok()) << "a guard never stops with allow";
  f.guard->stop.guard = core::DestroyGuard::refuse;
  expect_round_trip(f, decode_finish_request);
  Offer o = samples::offer();
  o.approved_plan = saved_plan();
  o.approved_by = "alice";
  expect_round_trip(o, decode_offer);
  RunDetail r = samples::run_detail();
  ASSERT_FALSE(r.jobs.empty());
  r.jobs[0].destroys = {{"kubernetes_secret.legacy", "destroy"}};
  r.jobs[0].approved_by = "alice";
  r.jobs[0].approved_at = 1234;
  expect_round_trip(r, decode_run_detail);
  expect_round_trip(ApproveRequest{"stacks/app", "alice@laptop"}, decode_approve_request);
  expect_round_trip(ApproveAnswer{7, 12, std::string(64, 'f')}, decode_approve_answer);
}

TEST(WireRoundTrip, OperatorMessages) {
  expect_round_trip(samples::repo_registration(), decode_repo_registration);
  expect_round_trip(samples::agent_registration(), decode_agent_registration);
  expect_round_trip(samples::agent_credentials(), decode_agent_credentials);
  expect_round_trip(samples::created(), decode_created);
  expect_round_trip(samples::trigger_request(), decode_trigger_request);
  expect_round_trip(samples::trigger_answer(), decode_trigger_answer);
  expect_round_trip(TriggerAnswer{}, decode_trigger_answer);
  expect_round_trip(samples::cancel_request(), decode_cancel_request);
  expect_round_trip(samples::cancel_answer(), decode_cancel_answer);
  expect_round_trip(samples::health(), decode_health);
  expect_round_trip(samples::error_body(), decode_error_body);
}

TEST(WireRoundTrip, RunViews) {
  expect_round_trip(RunList{{samples::run_summary(), RunSummary{}}}, decode_run_list);
  expect_round_trip(samples::run_detail(), decode_run_detail);
  expect_round_trip(samples::log_page(), decode_log_page);
}

TEST(WireRoundTrip, RunViewsWithOptionalsUnset) {
  RunDetail d = samples::run_detail();
  d.run.started_at.reset();
  d.run.finished_at.reset();
  d.jobs[0].finished_at.reset();
  AttemptDetail& a = d.jobs[0].attempts[0];
  a.exit_code.reset();
  a.cls.reset();
  a.lock.reset();
  a.finished_at.reset();
  expect_round_trip(d, decode_run_detail);
  d.jobs.push_back(JobDetail{});  // no attempts at all
  expect_round_trip(d, decode_run_detail);
}

TEST(WireRoundTrip, ExtremeIntegers) {
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  expect_round_trip(AttemptRef{lo, hi}, decode_attempt_ref);
  FinishRequest f = samples::finish_request();
  f.exit_code = std::numeric_limits<int>::min();
  f.verdict.line_no = std::numeric_limits<int>::max();
  expect_round_trip(f, decode_finish_request);
}

TEST(WireRoundTrip, UnicodeSurvives) {
  const std::string text = "h\xC3\xA9llo \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\x80";
  expect_round_trip(LogBatch{1, 2, {{0, text}}}, decode_log_batch);
  expect_round_trip(
      ErrorBody{"quote \" backslash \\ newline \n tab \t nul " + std::string(1, '\0')},
      decode_error_body);
  expect_round_trip(HookAnswer{"ignored", "ignored: tag push \"v1\"\n", 42}, decode_hook_answer);
}

TEST(WireRoundTrip, DeliveryListKeepsEveryFieldAndAnAbsentRun) {
  DeliverySummary accepted{7,     "forgejo", "infra", "d-1",    1'000, "push", "refs/heads/main",
                           "abc", "42",      "alice", "accept", "",    12,     ""};
  DeliverySummary rejected;
  rejected.id = 8;
  rejected.outcome = "rejected";
  rejected.reason = "signature does not match";
  expect_round_trip(DeliveryList{{accepted, rejected}}, decode_delivery_list);
  EXPECT_NE(encode(DeliveryList{{rejected}}).find(R"("run":null)"), std::string::npos);
}

TEST(WireRoundTrip, SchedulesAndTheDriftReportKeepEveryField) {
  ScheduleSummary s;
  s.id = 3;
  s.repo = "infra";
  s.pipeline = "drift";
  s.name = "nightly";
  s.cron = "17 3 * * *";
  s.timezone = "Europe/Berlin";
  s.file = ".stackrun/drift.yml";
  s.commit = std::string(40, 'c');
  s.state = "disabled";
  s.reason = "maintenance";
  s.deadman_ms = 93'600'000;
  s.last_fire_at = 1'000;
  s.last_run = 12;
  s.last_run_status = "drift";
  s.last_outcome = "run 12";
  s.deadman_due = 2'000;
  s.deadman_breached = true;
  ScheduleSummary bare;  // no next, no last, no window
  bare.state = "gone";
  expect_round_trip(ScheduleList{{s, bare}}, decode_schedule_list);
  expect_round_trip(s, decode_schedule_summary);
  expect_round_trip(ScheduleChange{false, "maintenance"}, decode_schedule_change);
  expect_round_trip(ScheduleChange{true, ""}, decode_schedule_change);

  DriftStackView drifted;
  drifted.stack = "stacks/dbaas";
  drifted.state = "drift";
  drifted.run = 12;
  drifted.at = 5'000;
  drifted.plan = core::PlanSummary{1, 1, 1, 0, false, {{"kubernetes_secret.db", "replace"}}, 0};
  drifted.last_clean = 4'000;
  drifted.drifting_since = 4'500;
  DriftStackView errored;
  errored.stack = "stacks/cnpg";
  errored.state = "error";
  errored.line = "ERROR: Cannot read PG credentials from Vault. Vault output follows:";
  errored.rule = "builtin.fatal.pg-credentials";
  DriftPipelineView p;
  p.repo = "infra";
  p.pipeline = "drift";
  p.last_run = 12;
  p.last_completed = 5'000;
  p.last_status = "failed";
  p.schedules = {"nightly", "weekly"};
  p.deadman_ms = 93'600'000;
  p.deadman_due = 93'605'000;
  p.stacks = {drifted, errored};
  expect_round_trip(DriftReport{6'000, {p, DriftPipelineView{}}}, decode_drift_report);
  EXPECT_EQ(decode_schedule_change(R"({"reason":"x"})").error(),
            R"(schedule change: field "enabled" is missing)");
}

TEST(WireRoundTrip, InvalidUtf8IsReplaced) {
  const std::string encoded = encode(LogBatch{1,
                                              2,
                                              {{0,
                                                "a\xFF"
                                                "b\xC3"}}});
  EXPECT_EQ(encoded,
            "{\"attempt_id\":1,\"epoch\":2,\"chunks\":[{\"seq\":0,\"data\":\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\"}]}");
  auto back = decode_log_batch(encoded);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->chunks.at(0).data,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

// ---------------------------------------------------------------- golden text

TEST(WireEncode, CompactInStructOrder) {
  EXPECT_EQ(encode(samples::claim()), R"({"wait_ms":5000,"labels":"os=linux,big"})");
  EXPECT_EQ(encode(Health{}), R"({"ok":true,"protocol":3})");
  EXPECT_EQ(encode(TriggerAnswer{}), R"({"runs":[]})");
  EXPECT_EQ(encode(samples::cancel_answer()), R"({"status":"cancelled","already_finished":true})");
}

TEST(WireEncode, FinishVerdictIsAnObjectWithLock) {
  EXPECT_EQ(
      encode(samples::finish_request()),
      R"({"attempt_id":41,"epoch":42,"exit_code":-2,"stopped":true,"seq_count":7,)"
      R"("verdict":{"class":"lock","rule":"builtin.lock.state-lock",)"
      R"("line":"Error acquiring the state lock","line_no":12,)"
      R"("lock":{"id":"4f6c-lock","path":"bucket/pg/terraform.tfstate",)"
      R"("operation":"OperationTypeApply","who":"ci@runner-1","version":"1.9.8",)"
      R"("created":"2026-06-28 10:00:00.123 +0000 UTC","info":"held by run 7"},)"
      R"("plan":{"add":1,"change":2,"destroy":3,"import":4,"no_changes":false,)"
      R"("changes":[{"address":"module.db.aws_db_instance.this[0]","action":"update"},)"
      R"({"address":"aws_s3_bucket.logs","action":"destroy"}],"more":5}},"guard":null,"claim":null})");
  FinishRequest f;
  EXPECT_EQ(encode(f),
            R"({"attempt_id":0,"epoch":0,"exit_code":0,"stopped":false,"seq_count":0,)"
            R"("verdict":{"class":"success","rule":"","line":"","line_no":0,"lock":null,)"
            R"("plan":null},"guard":null,"claim":null})");
}

TEST(WireEncode, RunDetailIsFlatWithRenamedAttemptKeys) {
  RunDetail d;
  d.run.id = 5;
  d.jobs.resize(1);
  d.jobs[0].attempts.resize(1);
  d.jobs[0].attempts[0].exit_code = 3;
  d.jobs[0].attempts[0].cls = core::Class::fatal;
  EXPECT_EQ(encode(d),
            R"({"id":5,"repo":"","pipeline":"","pipeline_file":"","kind":"apply","event":"",)"
            R"("ref":"","before":"","commit":"","message":"","status":"queued","summary":"",)"
            R"("cancel":"none","created_at":0,"started_at":null,"finished_at":null,)"
            R"("superseded_by":null,"schedule":null,"scheduled_for":null,"jobs":[)"
            R"({"id":0,"stack":"","label":"","tier":"","kind":"apply","status":"pending",)"
            R"("reason":"","result_reason":"","not_before":0,"created_at":0,"finished_at":null,)"
            R"("attempts":[{"n":0,"agent":"","status":"running","exit":3,"class":"fatal",)"
            R"("rule":"","line":"","line_no":0,"lock":null,"plan":null,"started_at":0,)"
            R"("finished_at":null}],"destroys":[],"approved_by":"","approved_at":null}]})");
}

TEST(WireEncode, LogPage) {
  EXPECT_EQ(encode(samples::log_page()),
            R"({"chunks":[{"id":101,"stack":"pg","stream":"out","data":"Plan: 1 to add\n"},)"
            R"({"id":102,"stack":"","stream":"sys","data":"run finished\n"}],)"
            R"("next":102,"done":true,"status":"success"})");
}

// ---------------------------------------------------------------- error_text

TEST(WireErrorText, ErrorFieldOrRawBody) {
  EXPECT_EQ(error_text(R"({"error":"no run 5"})"), "no run 5");
  EXPECT_EQ(error_text(encode(ErrorBody{"fenced"})), "fenced");
  EXPECT_EQ(error_text(R"({"error":5})"), R"({"error":5})");
  EXPECT_EQ(error_text(R"(["error"])"), R"(["error"])");
  EXPECT_EQ(error_text("<html>502 Bad Gateway</html>"), "<html>502 Bad Gateway</html>");
  EXPECT_EQ(error_text(""), "");
  const std::string big(600, 'x');
  EXPECT_EQ(error_text(big), std::string(500, 'x'));
  EXPECT_EQ(error_text(std::string(500, 'y')), std::string(500, 'y'));
}

}  // namespace
}  // namespace stackrun::wire

namespace stackrun::wire {
namespace {

TEST(LockCodec, RoundTripsAndNamesItsFields) {
  const core::LockInfo l{"4f1c",
                         "bucket/x.tfstate",
                         "OperationTypeApply",
                         "alice@laptop",
                         "1.9.8",
                         "2026-06-28 10:00:00.123 +0000 UTC",
                         ""};
  auto back = decode_lock(encode_lock(l));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, l);
  auto bad = decode_lock(R"({"who": 7})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "lock: field \"who\": expected a string");
}

}  // namespace
}  // namespace stackrun::wire
