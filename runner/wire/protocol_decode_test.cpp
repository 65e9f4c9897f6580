// Decode errors as exact text (they are the server's 400 answers), and what decoding accepts:
// unknown keys, null or absent optionals, empty bodies where every field is optional.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "runner/wire/protocol.hpp"
#include "runner/wire/protocol_test_samples.hpp"

namespace stackrun::wire {
namespace {

using Decoder = std::function<std::string(std::string_view)>;

// The decoder's error text, or "<decoded>" when the body decoded.
template <class T>
Decoder err(Result<T> (*decode)(std::string_view)) {
  return [decode](std::string_view body) {
    auto r = decode(body);
    return r.ok() ? std::string("<decoded>") : r.error();
  };
}

// `text` with its one occurrence of `from` replaced by `to`; a marker that fails the test's
// comparison when `from` does not occur exactly once (the sample changed under the test).
std::string edit(const std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos)
    return "<edit: '" + from + "' does not occur exactly once in " + text + ">";
  return text.substr(0, at) + to + text.substr(at + from.size());
}

struct Case {
  std::string name;
  Decoder decode;
  std::string body;
  std::string expected;
};

const std::string kClasses = "expected one of success, drift, lock, transient, fatal";
const std::string kInt = "expected an integer from -2147483648 to 2147483647";
const std::string kInt64 = "expected an integer from -9223372036854775808 to 9223372036854775807";

void run_table(const std::vector<Case>& cases) {
  for (const Case& c : cases)
    EXPECT_EQ(c.decode(c.body), c.expected) << c.name << "\n  body: " << c.body;
}

TEST(WireDecodeError, BodyIsNotAnObject) {
  const auto claim = err(decode_claim_request);
  run_table({
      {"array", claim, "[]", "claim: body is not a JSON object"},
      {"string", err(decode_offer), R"("offer")", "offer: body is not a JSON object"},
      {"null", err(decode_finish_request), "null", "finish: body is not a JSON object"},
      {"number", err(decode_log_page), " 5 ", "log page: body is not a JSON object"},
      {"truncated", claim, R"({"wait_ms":)", "claim: body is not valid JSON (it ends too early)"},
      {"trailing", err(decode_run_detail), "{} x",
       "run: body is not valid JSON (syntax error at byte 4)"},
      {"quotes", err(decode_created), "{'id':1}",
       "created: body is not valid JSON (syntax error at byte 2)"},
      {"bad utf-8", err(decode_error_body), "{\"error\":\"a\xFF\"}",
       "error: body is not valid JSON (syntax error at byte 12)"},
      {"unclosed", err(decode_log_batch), R"({"attempt_id":1,"chunks":[)",
       "logs: body is not valid JSON (it ends too early)"},
      {"empty", err(decode_offer), "", "offer: body is empty, expected a JSON object"},
  });
}

TEST(WireDecodeError, RequiredFieldMissing) {
  const std::string offer = encode(samples::offer()), finish = encode(samples::finish_request());
  const std::string run = encode(samples::run_detail());
  const auto dec_finish = err(decode_finish_request), dec_run = err(decode_run_detail);
  run_table({
      {"offer", err(decode_offer), edit(offer, R"("commit":"c0ffee",)", ""),
       R"(offer: field "commit" is missing)"},
      {"attempt", err(decode_attempt_ref), R"({"attempt_id":1})",
       R"(attempt: field "epoch" is missing)"},
      {"lease", err(decode_lease_answer), R"({"lease_expires_at":5})",
       R"(lease: field "cancel" is missing)"},
      {"logs", err(decode_log_batch), R"({"attempt_id":1,"epoch":2})",
       R"(logs: field "chunks" is missing)"},
      {"chunk", err(decode_log_batch),
       R"({"attempt_id":1,"epoch":2,"chunks":[{"seq":0,"data":""},{"seq":1}]})",
       R"(logs: field "chunks[1].data" is missing)"},
      {"logs answer", err(decode_log_ack), "{}", R"(logs answer: field "acked" is missing)"},
      {"finish exit", dec_finish, edit(finish, R"("exit_code":-2,)", ""),
       R"(finish: field "exit_code" is missing)"},
      {"finish verdict", dec_finish, R"({"attempt_id":1,"epoch":2,"exit_code":0})",
       R"(finish: field "verdict" is missing)"},
      {"verdict class", dec_finish, edit(finish, R"("class":"lock",)", ""),
       R"(finish: field "verdict.class" is missing)"},
      {"finish answer", err(decode_finish_answer), "{}",
       R"(finish answer: field "idempotent" is missing)"},
      {"repo", err(decode_repo_registration), R"({"name":"x"})", R"(repo: field "url" is missing)"},
      {"agent", err(decode_agent_registration), R"({"labels":"a","capacity":2})",
       R"(agent: field "name" is missing)"},
      {"credentials", err(decode_agent_credentials), R"({"id":1})",
       R"(agent credentials: field "token" is missing)"},
      {"created", err(decode_created), "{}", R"(created: field "id" is missing)"},
      {"trigger answer", err(decode_trigger_answer), "{}",
       R"(trigger answer: field "runs" is missing)"},
      {"run list", err(decode_run_list), "{}", R"(run list: field "runs" is missing)"},
      {"run list item", err(decode_run_list), R"({"runs":[{}]})",
       R"(run list: field "runs[0].id" is missing)"},
      {"run cancel", dec_run, edit(run, R"("cancel":"graceful",)", ""),
       R"(run: field "cancel" is missing)"},
      {"run jobs", dec_run,
       edit(encode(RunDetail{samples::run_summary(), {}}), R"(,"jobs":[])", ""),
       R"(run: field "jobs" is missing)"},
      {"attempt agent", dec_run, edit(run, R"("agent":"runner-1",)", ""),
       R"(run: field "jobs[0].attempts[0].agent" is missing)"},
      {"log page", err(decode_log_page), R"({"chunks":[],"next":1,"status":"success"})",
       R"(log page: field "done" is missing)"},
      {"cancel answer", err(decode_cancel_answer), R"({"already_finished":true})",
       R"(cancel answer: field "status" is missing)"},
      {"health", err(decode_health), R"({"ok":true})", R"(health: field "protocol" is missing)"},
      {"error", err(decode_error_body), R"({"message":"x"})", R"(error: field "error" is missing)"},
  });
}

TEST(WireDecodeError, WrongType) {
  const std::string offer = encode(samples::offer()), finish = encode(samples::finish_request());
  const std::string run = encode(samples::run_detail());
  const auto attempt = err(decode_attempt_ref), logs = err(decode_log_batch);
  const auto dec_finish = err(decode_finish_request);
  const std::string expected_int = R"(attempt: field "attempt_id": expected an integer)";
  run_table({
      {"string for int", attempt, R"({"attempt_id":"1","epoch":2})", expected_int},
      {"float for int", attempt, R"({"attempt_id":1.5,"epoch":2})", expected_int},
      {"integral float", attempt, R"({"attempt_id":1.0,"epoch":2})", expected_int},
      {"exponent", attempt, R"({"attempt_id":1e3,"epoch":2})", expected_int},
      {"bool for int", attempt, R"({"attempt_id":true,"epoch":2})", expected_int},
      {"null for int", attempt, R"({"attempt_id":null,"epoch":2})", expected_int},
      {"first error wins", attempt, R"({"attempt_id":"x"})", expected_int},
      {"int for bool", err(decode_lease_answer), R"({"cancel":1,"lease_expires_at":5})",
       R"(lease: field "cancel": expected true or false)"},
      {"string for bool", err(decode_cancel_request), R"({"force":"true"})",
       R"(cancel: field "force": expected true or false)"},
      {"null for string", err(decode_offer),
       edit(offer, R"("commit":"c0ffee")", R"("commit":null)"),
       R"(offer: field "commit": expected a string)"},
      {"int for string", err(decode_repo_registration), R"({"name":"x","url":5})",
       R"(repo: field "url": expected a string)"},
      {"optional field", err(decode_claim_request), R"({"wait_ms":"5"})",
       R"(claim: field "wait_ms": expected an integer)"},
      {"array for string", err(decode_claim_request), R"({"labels":["a"]})",
       R"(claim: field "labels": expected a string)"},
      {"object for array", logs, R"({"attempt_id":1,"epoch":2,"chunks":{}})",
       R"(logs: field "chunks": expected an array)"},
      {"item not object", logs, R"({"attempt_id":1,"epoch":2,"chunks":[1]})",
       R"(logs: field "chunks[0]": expected an object)"},
      {"chunk seq", logs,
       R"({"attempt_id":1,"epoch":2,"chunks":[{"seq":0,"data":""},{"seq":1,"data":""},)"
       R"({"seq":"2","data":""}]})",
       R"(logs: field "chunks[2].seq": expected an integer)"},
      {"chunk data", logs,
       R"({"attempt_id":1,"epoch":2,"chunks":[{"seq":0,"data":""},{"seq":1,"data":5}]})",
       R"(logs: field "chunks[1].data": expected a string)"},
      {"verdict", dec_finish, R"({"attempt_id":1,"epoch":2,"exit_code":0,"verdict":"x"})",
       R"(finish: field "verdict": expected an object)"},
      {"verdict line_no", dec_finish, edit(finish, R"("line_no":12)", R"("line_no":"12")"),
       R"(finish: field "verdict.line_no": expected an integer)"},
      {"verdict lock", dec_finish, edit(finish, R"("lock":{)", R"("lock":"x","old":{)"),
       R"(finish: field "verdict.lock": expected an object)"},
      {"verdict lock who", dec_finish, edit(finish, R"("who":"ci@runner-1")", R"("who":7)"),
       R"(finish: field "verdict.lock.who": expected a string)"},
      {"id list item", err(decode_trigger_answer), R"({"runs":[1,"2"]})",
       R"(trigger answer: field "runs[1]": expected an integer)"},
      {"id list", err(decode_trigger_answer), R"({"runs":5})",
       R"(trigger answer: field "runs": expected an array)"},
      {"trigger event", err(decode_trigger_request), R"({"event":5})",
       R"(trigger: field "event": expected a string)"},
      {"run list item", err(decode_run_list), R"({"runs":[5]})",
       R"(run list: field "runs[0]": expected an object)"},
      {"attempt exit", err(decode_run_detail), edit(run, R"("exit":1,)", R"("exit":"1",)"),
       R"(run: field "jobs[0].attempts[0].exit": expected an integer)"},
      {"attempt lock who", err(decode_run_detail),
       edit(run, R"("who":"ci@runner-1")", R"("who":[])"),
       R"(run: field "jobs[0].attempts[0].lock.who": expected a string)"},
      {"health ok", err(decode_health), R"({"ok":"yes","protocol":2})",
       R"(health: field "ok": expected true or false)"},
  });
}

TEST(WireDecodeError, UnknownEnumText) {
  const std::string offer = encode(samples::offer()), finish = encode(samples::finish_request());
  const std::string run = encode(samples::run_detail());
  const auto dec_run = err(decode_run_detail);
  run_table({
      {"verdict class", err(decode_finish_request),
       edit(finish, R"("class":"lock")", R"("class":"oops")"),
       R"(finish: field "verdict.class": )" + kClasses},
      {"class as int", err(decode_finish_request),
       edit(finish, R"("class":"lock")", R"("class":2)"),
       R"(finish: field "verdict.class": )" + kClasses},
      {"kind", err(decode_offer), edit(offer, R"("kind":"plan")", R"("kind":"destroy")"),
       R"(offer: field "kind": expected one of apply, plan)"},
      {"kind case", err(decode_offer), edit(offer, R"("kind":"plan")", R"("kind":"Plan")"),
       R"(offer: field "kind": expected one of apply, plan)"},
      {"run status", dec_run, edit(run, R"("status":"running")", R"("status":"walking")"),
       R"(run: field "status": expected one of queued, running, success, failed, cancelled, superseded, drift)"},
      {"cancel level", dec_run, edit(run, R"("cancel":"graceful")", R"("cancel":"soft")"),
       R"(run: field "cancel": expected one of none, graceful, force)"},
      {"job status", dec_run, edit(run, R"("status":"drift")", R"("status":"blocked")"),
       R"(run: field "jobs[0].status": expected one of pending, queued, running, )"
       R"(needs_approval, success, drift, skipped, failed, interrupted, cancelled, superseded, )"
       R"(refused)"},
      {"attempt status", dec_run, edit(run, R"("status":"finished")", R"("status":"done")"),
       R"(run: field "jobs[0].attempts[0].status": expected one of offered, running, finished, )"
       R"(lost, interrupted)"},
      {"attempt class", dec_run, edit(run, R"("class":"transient")", R"("class":"flaky")"),
       R"(run: field "jobs[0].attempts[0].class": )" + kClasses},
      {"null for required enum", err(decode_cancel_answer),
       R"({"status":null,"already_finished":true})",
       R"(cancel answer: field "status": expected one of queued, running, success, failed, )"
       R"(cancelled, superseded, drift)"},
  });
}

TEST(WireDecodeError, IntegerOutOfRange) {
  const std::string offer = encode(samples::offer()), finish = encode(samples::finish_request());
  const std::string run = encode(samples::run_detail());
  run_table({
      {"int above", err(decode_offer), edit(offer, R"("n":3,)", R"("n":2147483648,)"),
       R"(offer: field "n": )" + kInt},
      {"int below", err(decode_finish_request),
       edit(finish, R"("exit_code":-2,)", R"("exit_code":-2147483649,)"),
       R"(finish: field "exit_code": )" + kInt},
      {"capacity", err(decode_agent_registration), R"({"name":"a","capacity":4294967296})",
       R"(agent: field "capacity": )" + kInt},
      {"nested int", err(decode_run_detail),
       edit(run, R"("line_no":9,)", R"("line_no":3000000000,)"),
       R"(run: field "jobs[0].attempts[0].line_no": )" + kInt},
      {"int64 above", err(decode_attempt_ref), R"({"attempt_id":9223372036854775808,"epoch":1})",
       R"(attempt: field "attempt_id": )" + kInt64},
      {"uint64 max", err(decode_attempt_ref), R"({"attempt_id":1,"epoch":18446744073709551615})",
       R"(attempt: field "epoch": )" + kInt64},
  });
}

// ---------------------------------------------------------------- what decoding accepts

TEST(WireDecode, IntegerBoundsAreAccepted) {
  auto f = decode_agent_registration(R"({"name":"a","capacity":2147483647})");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->capacity, 2147483647);
  f = decode_agent_registration(R"({"name":"a","capacity":-2147483648})");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(f->capacity, -2147483647 - 1);
}

TEST(WireDecode, UnknownKeysAreIgnored) {
  const FinishRequest f = samples::finish_request();
  std::string body = R"({"future":{"x":[1,2.5,null]},)" + encode(f).substr(1);
  body = edit(body, R"("lock":{)", R"("lock":{"fingerprint":"zz",)");
  auto back = decode_finish_request(body);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(*back == f);

  const RunDetail d = samples::run_detail();
  std::string run = edit(encode(d), R"("agent":)", R"("pid":1234,"agent":)");
  run = edit(run, R"("reason":)", R"("owner":"team-db","reason":)");
  auto run_back = decode_run_detail(run);
  ASSERT_TRUE(run_back.ok()) << run_back.error();
  EXPECT_TRUE(*run_back == d);
}

TEST(WireDecode, EmptyBodyOnlyWhereEveryFieldIsOptional) {
  for (const char* body : {"", " \n\t"}) {
    auto claim = decode_claim_request(body);
    ASSERT_TRUE(claim.ok()) << claim.error();
    EXPECT_TRUE(*claim == ClaimRequest{});
    auto trigger = decode_trigger_request(body);
    ASSERT_TRUE(trigger.ok()) << trigger.error();
    EXPECT_TRUE(*trigger == TriggerRequest{});
    auto cancel = decode_cancel_request(body);
    ASSERT_TRUE(cancel.ok()) << cancel.error();
    EXPECT_TRUE(*cancel == CancelRequest{});
  }
  const std::vector<std::pair<std::string, Decoder>> others = {
      {"offer", err(decode_offer)},
      {"attempt", err(decode_attempt_ref)},
      {"lease", err(decode_lease_answer)},
      {"logs", err(decode_log_batch)},
      {"logs answer", err(decode_log_ack)},
      {"finish", err(decode_finish_request)},
      {"finish answer", err(decode_finish_answer)},
      {"repo", err(decode_repo_registration)},
      {"agent", err(decode_agent_registration)},
      {"agent credentials", err(decode_agent_credentials)},
      {"created", err(decode_created)},
      {"trigger answer", err(decode_trigger_answer)},
      {"run list", err(decode_run_list)},
      {"run", err(decode_run_detail)},
      {"log page", err(decode_log_page)},
      {"cancel answer", err(decode_cancel_answer)},
      {"health", err(decode_health)},
      {"error", err(decode_error_body)},
  };
  for (const auto& [name, decode] : others)
    EXPECT_EQ(decode(""), name + ": body is empty, expected a JSON object");
}

TEST(WireDecode, OptionalFieldsTakeDefaultsWhenAbsentOrNull) {
  auto claim = decode_claim_request(R"({"wait_ms":null,"labels":null})");
  ASSERT_TRUE(claim.ok()) << claim.error();
  EXPECT_TRUE(*claim == ClaimRequest{});
  EXPECT_EQ(decode_trigger_request("{}")->event, "push");
  EXPECT_EQ(decode_repo_registration(R"({"name":"n","url":"u"})")->default_branch, "master");
  EXPECT_EQ(decode_agent_registration(R"({"name":"n"})")->capacity, 1);

  auto f = decode_finish_request(
      R"({"attempt_id":1,"epoch":2,"exit_code":3,"verdict":{"class":"fatal","lock":null}})");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_TRUE(*f ==
              (FinishRequest{1, 2, 3, false, 0, {core::Class::fatal, "", "", 0, {}, {}}, {}, {}}));
  auto lock = decode_finish_request(
      R"({"attempt_id":1,"epoch":2,"exit_code":3,"verdict":{"class":"lock","lock":{"who":"me"}}})");
  ASSERT_TRUE(lock.ok()) << lock.error();
  ASSERT_TRUE(lock->verdict.lock.has_value());
  EXPECT_EQ(lock->verdict.lock->who, "me");
  EXPECT_EQ(lock->verdict.lock->id, "");

  const RunSummary s = samples::run_summary();
  auto run = decode_run_list(edit(edit(encode(RunList{{s}}), R"("started_at":2000,)", ""),
                                  R"("finished_at":3000)", R"("finished_at":null)"));
  ASSERT_TRUE(run.ok()) << run.error();
  EXPECT_FALSE(run->runs.at(0).started_at.has_value());
  EXPECT_FALSE(run->runs.at(0).finished_at.has_value());
  EXPECT_EQ(run->runs.at(0).created_at, 1000);
}

}  // namespace
}  // namespace stackrun::wire
