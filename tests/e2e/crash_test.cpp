// Crashes and fencing on real processes: kill -9 of an agent during an apply (interrupted,
// never re-run on its own) and during a plan (requeued, finished elsewhere); kill -9 of the
// server mid-run (the run completes, no log line lost or doubled); a graceful agent stop; and
// the server refusing reports under a stale epoch or from an agent that did not claim.
// Outcomes are read from `stackrun show --json`, `stackrun logs`, the stub's lock log and
// state files; every wait is bounded and no assertion is about elapsed time.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "runner/http/http.hpp"
#include "runner/wire/protocol.hpp"
#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using Pred = std::function<bool(const json&)>;

// Replaces .stackrun/apply.yml: a push plans the changed stacks; plan's exit 2 is drift.
const char* const kPlanPipeline = R"(version: 1
name: plan
kind: plan
when:
  - event: push
stacks:
  root: stacks
  select: changed
tiers:
  - name: all
    parallelism: 4
steps:
  - name: plan
    command: terragrunt plan -detailed-exitcode -input=false -lock-timeout=1m
    timeout: 5m
    exit_codes: {2: drift}
)";

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Polls `pred` every 100 ms until it holds or `timeout` passes; returns whether it held.
bool eventually(const std::function<bool()>& pred, seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

// `label`'s job is running and its latest attempt is running on `agent`.
Pred running_on(const std::string& label, const std::string& agent) {
  return [=](const json& run) {
    const json& job = job_of(run, label);
    const json& atts = job["attempts"];
    return job.value("status", "") == "running" && !atts.empty() &&
           atts.back().value("agent", "") == agent && atts.back().value("status", "") == "running";
  };
}

// The stub's lock events of one kind ("acquire"/"release") for `stack`, in log order.
std::vector<Cluster::LockEvent> lock_events(const Cluster& c, const std::string& what,
                                            const std::string& stack) {
  std::vector<Cluster::LockEvent> out;
  for (const auto& e : c.lock_log())
    if (e.what == what && e.stack == stack) out.push_back(e);
  return out;
}

// True once `pid` has exited. A zombie counts: its parent (a killed agent) is gone and the
// container's init may never reap it.
bool process_gone(long long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// `stackrun logs RUN` output ("[label] text" per line) grouped by label, in order.
std::map<std::string, std::vector<std::string>> lines_by_label(const std::string& out) {
  std::map<std::string, std::vector<std::string>> by;
  for (const auto& line : split_lines(out)) {
    const auto close = line.find("] ");
    if (line.empty() || line[0] != '[' || close == std::string::npos) {
      ADD_FAILURE() << "unprefixed log line: " << line;
      continue;
    }
    by[line.substr(1, close - 1)].push_back(line.substr(close + 2));
  }
  return by;
}

// A stack's log lines without the server's (» ...) and the agent's ([stackrun] ..., $ cmd)
// own lines: what the step printed.
std::vector<std::string> step_output(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines)
    if (l.rfind("» ", 0) != 0 && l.rfind("[stackrun] ", 0) != 0 && l.rfind("$ ", 0) != 0)
      out.push_back(l);
  return out;
}

// What the stub prints for a first apply of `stack` taking `apply_seconds`, run outside
// stackrun in a scratch state directory: the stub's output is deterministic given these.
std::vector<std::string> reference_apply(const std::string& stack, const std::string& apply_seconds,
                                         const std::string& scratch) {
  auto r = testing::run_command({std::string(STACKRUN_SOURCE_DIR) + "/examples/bin/terragrunt",
                                 "apply", "--non-interactive", "-auto-approve"},
                                "", seconds(60),
                                {{"STACKRUN_STUB_STATE", scratch},
                                 {"STACKRUN_STACK", stack},
                                 {"STACKRUN_STUB_APPLY_SECONDS", apply_seconds}});
  if (r.exit_code != 0)
    throw std::runtime_error("reference apply of " + stack + " failed: " + r.err);
  return split_lines(r.out);
}

// An agent registered through the operator API and driven by hand (no agent process).
class HandAgent {
 public:
  HandAgent(const Cluster& c, const std::string& name) : name_(name) {
    http::Client op(c.server_url(), c.operator_token());
    auto r = op.request("POST", "/api/v1/agents", json{{"name", name}, {"capacity", 1}}.dump());
    if (!r || r->status != 200) throw std::runtime_error("cannot register agent " + name);
    client_ =
        std::make_unique<http::Client>(c.server_url(), json::parse(r->body).value("token", ""));
    client_->set_header("Stackrun-Protocol", std::to_string(wire::kProtocolVersion));
  }
  // POST /api/v1/agent/<route>: {status, parsed body (null when empty)}.
  std::pair<int, json> post(const std::string& route, const json& body) {
    auto r = client_->request("POST", "/api/v1/agent/" + route, body.dump(), seconds(30));
    if (!r) throw std::runtime_error(name_ + " " + route + ": " + r.error());
    return {r->status, r->body.empty() ? json() : json::parse(r->body, nullptr, false)};
  }
  // Claims a job and confirms the offer, as an agent does before it runs anything.
  json claim() {
    auto [status, body] = post("claim", {{"wait_ms", 5000}});
    if (status != 200)
      throw std::runtime_error(name_ + " claimed nothing (" + std::to_string(status) + ")");
    auto [started, answer] =
        post("start", {{"attempt_id", body["attempt_id"]}, {"epoch", body["epoch"]}});
    if (started != 200)
      throw std::runtime_error(name_ + " could not start its offer: " + answer.dump());
    return body;
  }
  int heartbeat(const json& claimed, std::int64_t epoch) {
    return post("heartbeat", {{"attempt_id", claimed["attempt_id"]}, {"epoch", epoch}}).first;
  }
  int finish(const json& claimed, std::int64_t epoch, int exit_code, const std::string& cls) {
    return post("finish", finish_body(claimed, epoch, exit_code, cls)).first;
  }
  static json finish_body(const json& claimed, std::int64_t epoch, int exit_code,
                          const std::string& cls) {
    return {{"attempt_id", claimed["attempt_id"]},
            {"epoch", epoch},
            {"exit_code", exit_code},
            {"stopped", false},
            {"seq_count", 0},
            {"verdict", {{"class", cls}, {"rule", "e2e.hand"}, {"line", ""}, {"line_no", 0}}}};
  }

 private:
  std::string name_;
  std::unique_ptr<http::Client> client_;
};

std::int64_t epoch_of(const json& claimed) {
  return claimed["epoch"].get<std::int64_t>();
}

// kill -9 of the agent running an apply: after the lease the attempt is `interrupted`, the
// run fails saying it was not re-run, and no second apply of the stack starts on its own,
// although another agent is idle. A manual re-apply then succeeds.
TEST(E2eCrashAgent, KilledDuringApplyIsInterruptedAndNeverRerun) {
  Cluster c(kOneStepApply);
  c.start_server("2s");
  c.add_fault("stacks/grafana", "sleep 6");
  c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  ASSERT_TRUE(c.wait_until(run, running_on("grafana", "a1"))) << c.show(run).dump(2);
  // a2 joins only now, so a1 holds the job; from here on a2 is idle and could take a re-run.
  c.start_agent("a2");
  // Mid-apply: the stub holds the lock and is creating resources.
  ASSERT_TRUE(eventually(
      [&] {
        return c.cli({"logs", std::to_string(run), "--stack", "grafana"})
                   .out.find("helm_release.this: Creating...") != std::string::npos;
      },
      seconds(30)))
      << "the apply never started creating";
  ASSERT_EQ(lock_events(c, "acquire", "stacks/grafana").size(), 1u);
  const long long orphan = lock_events(c, "acquire", "stacks/grafana").front().pid;
  c.kill_agent("a1", SIGKILL);

  const json r = c.wait_run(run, seconds(60));
  ASSERT_EQ(r.value("status", ""), "failed") << r.dump(2);
  const json& job = job_of(r, "grafana");
  EXPECT_EQ(job.value("status", ""), "interrupted") << r.dump(2);
  EXPECT_NE(job.value("result_reason", "").find("not re-run"), std::string::npos) << job.dump(2);
  ASSERT_EQ(job["attempts"].size(), 1u) << job.dump(2);
  EXPECT_EQ(job["attempts"][0].value("agent", ""), "a1");
  EXPECT_EQ(job["attempts"][0].value("status", ""), "interrupted");

  // The orphaned stub (its process group outlives the agent) may finish its apply; wait until
  // it is gone, giving any wrongful re-run every chance to show, then count the applies.
  ASSERT_TRUE(eventually([&] { return process_gone(orphan); }, seconds(30)))
      << "stub " << orphan << " still running";
  EXPECT_EQ(lock_events(c, "acquire", "stacks/grafana").size(), 1u)
      << "a second apply of grafana started";
  const json after = c.show(run);
  EXPECT_EQ(job_of(after, "grafana")["attempts"].size(), 1u) << after.dump(2);
  EXPECT_EQ(read_text(c.root() + "/agent-a2.log").find("claimed"), std::string::npos)
      << "a2 claimed something";

  const auto t = c.cli({"trigger", "apply", "--stack", "grafana"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const long long again = std::stoll(t.out);
  ASSERT_NE(again, run);
  const json r2 = c.wait_run(again, seconds(60));
  ASSERT_EQ(r2.value("status", ""), "success") << r2.dump(2);
  const json& job2 = job_of(r2, "grafana");
  ASSERT_EQ(job2["attempts"].size(), 1u);
  EXPECT_EQ(job2["attempts"][0].value("agent", ""), "a2");
  const auto acquires = lock_events(c, "acquire", "stacks/grafana");
  ASSERT_EQ(acquires.size(), 2u);
  EXPECT_NE(acquires[1].pid, orphan);
}

// kill -9 of the agent running a plan: the attempt is `lost`, the job requeued, and it
// completes on the other agent.
TEST(E2eCrashAgent, KilledDuringPlanIsRequeuedAndCompletesElsewhere) {
  Cluster c(kPlanPipeline);
  c.start_server("2s");
  c.set_agent_env("STACKRUN_STUB_PLAN_SECONDS", "5");
  c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  ASSERT_TRUE(c.wait_until(run, running_on("grafana", "a1"))) << c.show(run).dump(2);
  ASSERT_TRUE(
      eventually([&] { return !lock_events(c, "acquire", "stacks/grafana").empty(); }, seconds(30)))
      << "the stub never took grafana's lock";
  c.kill_agent("a1", SIGKILL);
  c.set_agent_env("STACKRUN_STUB_PLAN_SECONDS", "0.1");
  c.start_agent("a2");

  const json r = c.wait_run(run, seconds(90));
  ASSERT_EQ(r.value("status", ""), "drift") << r.dump(2);  // a plan found drift, none failed
  const json& job = job_of(r, "grafana");
  EXPECT_EQ(job.value("status", ""), "drift")
      << job.dump(2);  // a never-applied stack has changes: exit 2
  ASSERT_EQ(job["attempts"].size(), 2u) << job.dump(2);
  EXPECT_EQ(job["attempts"][0].value("agent", ""), "a1");
  EXPECT_EQ(job["attempts"][0].value("status", ""), "lost");
  EXPECT_EQ(job["attempts"][1].value("agent", ""), "a2");
  EXPECT_EQ(job["attempts"][1].value("status", ""), "finished");
  EXPECT_EQ(job["attempts"][1].value("class", ""), "drift");
  EXPECT_EQ(job["attempts"][1]["exit"], 2);
  const auto logs = c.cli({"logs", std::to_string(run)});
  EXPECT_NE(logs.out.find("[grafana] Plan: 1 to add, 0 to change, 0 to destroy."),
            std::string::npos)
      << logs.out;
}

// kill -9 of the server with two applies in flight and a third queued; the two applies end
// while it is down (their last lines and reports must wait in the agents); restart on the
// same database: the run completes, both agents report to the new server, the queued job is
// claimed after the restart, and every stack's output is in the log exactly once, in order.
TEST(E2eCrashServer, KilledMidRunAndRestartedCompletesWithEveryLogLineOnce) {
  const std::vector<std::string> labels = {"grafana", "immich", "paperless"};
  const std::string apply_seconds = "2";
  Cluster c(kOneStepApply);
  // The reference outputs, made outside stackrun while the cluster works.
  const std::string scratch = c.root() + "/reference-state";
  std::filesystem::create_directories(scratch);
  std::map<std::string, std::future<std::vector<std::string>>> reference;
  for (const auto& l : labels)
    reference[l] =
        std::async(std::launch::async, reference_apply, "stacks/" + l, apply_seconds, scratch);

  c.set_agent_env("STACKRUN_STUB_APPLY_SECONDS", apply_seconds);
  c.start_server("5s");
  c.start_agent("a1");
  c.start_agent("a2");
  c.commit_change({"stacks/grafana/terragrunt.hcl", "stacks/immich/terragrunt.hcl",
                   "stacks/paperless/terragrunt.hcl"});
  const long long run = c.trigger_push();
  // Two stubs holding their locks means both agents are mid-apply and the third job waits.
  std::set<std::string> in_flight;
  ASSERT_TRUE(eventually(
      [&] {
        in_flight.clear();
        for (const auto& e : c.lock_log())
          if (e.what == "acquire") in_flight.insert(e.stack);
        return in_flight.size() == 2;
      },
      seconds(60)))
      << c.show(run).dump(2);
  const long long killed_ms = now_ms();
  c.kill_server(SIGKILL);
  // Down for about as long as the applies have left (~2 s, under the 5 s lease).
  ASSERT_TRUE(eventually(
      [&] {
        int released = 0;
        for (const auto& e : c.lock_log())
          released += e.what == "release" && in_flight.count(e.stack);
        return released == 2;
      },
      seconds(30)))
      << "the in-flight applies did not end";
  const long long restart_ms = now_ms();
  c.start_server("5s");

  const json r = c.wait_run(run, seconds(120));
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  // The scenario held: both in-flight applies ended after the kill (so while it was down).
  for (const auto& e : c.lock_log()) {
    if (e.what == "release" && in_flight.count(e.stack)) {
      EXPECT_GT(e.ns / 1'000'000, killed_ms) << e.stack << " finished before the server was killed";
    }
  }
  std::set<std::string> reporters;
  for (const auto& l : labels) {
    const json& job = job_of(r, l);
    EXPECT_EQ(job.value("status", ""), "success") << job.dump(2);
    ASSERT_EQ(job["attempts"].size(), 1u)
        << "stack " << l << " ran more than once: " << job.dump(2);
    const json& att = job["attempts"][0];
    EXPECT_EQ(att.value("status", ""), "finished") << job.dump(2);  // never interrupted
    if (in_flight.count("stacks/" + l)) {
      EXPECT_GT(att["finished_at"].get<long long>(), killed_ms) << job.dump(2);
      reporters.insert(att.value("agent", ""));
    } else {
      EXPECT_GE(att.value("started_at", 0LL), restart_ms)
          << "queued job claimed before the restart: " << job.dump(2);
    }
  }
  EXPECT_EQ(reporters, (std::set<std::string>{"a1", "a2"}))
      << "both agents report to the restarted server";

  const auto logs = c.cli({"logs", std::to_string(run)});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  std::multiset<std::string> seen;
  for (const auto& line : split_lines(logs.out)) {
    const auto close = line.find("] ");
    if (close != std::string::npos && close + 2 < line.size())
      seen.insert(line);  // blank step lines repeat
  }
  for (const auto& line : seen) EXPECT_EQ(seen.count(line), 1u) << "duplicated log line: " << line;
  auto by = lines_by_label(logs.out);
  for (const auto& l : labels) {
    const auto out = step_output(by[l]);
    EXPECT_EQ(std::count(out.begin(), out.end(),
                         "Apply complete! Resources: 1 added, 0 changed, 0 destroyed."),
              1)
        << l;
    EXPECT_EQ(out, reference[l].get()) << "output of " << l << " differs from the stub's own";
  }
  EXPECT_EQ(c.lock_log().size(), 6u);
  c.expect_no_overlap();
}

// SIGTERM to an agent mid-apply: it claims nothing more, lets the apply finish, reports it
// and exits 0; the other queued stack waits for another agent.
TEST(E2eCrashAgent, GracefulStopFinishesAndReportsTheRunningApply) {
  Cluster c(kOneStepApply);
  c.start_server();
  c.set_agent_env("STACKRUN_STUB_APPLY_SECONDS", "4");
  c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl", "stacks/immich/terragrunt.hcl"});
  const long long run = c.trigger_push();
  std::string mine, other;
  ASSERT_TRUE(c.wait_until(run, [&](const json& r) {
    for (const auto& [m, o] : {std::pair{"grafana", "immich"}, {"immich", "grafana"}})
      if (running_on(m, "a1")(r)) std::tie(mine, other) = std::pair{m, o};
    return !mine.empty();
  })) << c.show(run).dump(2);
  ASSERT_TRUE(eventually([&] { return !lock_events(c, "acquire", "stacks/" + mine).empty(); },
                         seconds(30)));

  const int status = c.stop_agent("a1", SIGTERM, seconds(60));
  ASSERT_NE(status, -1) << "agent did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
  // Reported before it exited: no waiting needed.
  const json r = c.show(run);
  const json& job = job_of(r, mine);
  EXPECT_EQ(job.value("status", ""), "success") << r.dump(2);
  ASSERT_EQ(job["attempts"].size(), 1u);
  EXPECT_EQ(job["attempts"][0].value("status", ""), "finished");
  EXPECT_EQ(job["attempts"][0].value("class", ""), "success");
  EXPECT_TRUE(job_of(r, other)["attempts"].empty()) << "a stopping agent claimed " << other;
  EXPECT_EQ(lock_events(c, "release", "stacks/" + mine).size(), 1u)
      << "the apply did not end normally";
  EXPECT_TRUE(std::filesystem::exists(c.stub_state() + "/stacks__" + mine + ".tfstate"));
  const auto logs = c.cli({"logs", std::to_string(run), "--stack", mine});
  EXPECT_NE(logs.out.find("Apply complete! Resources: 1 added"), std::string::npos) << logs.out;

  c.set_agent_env("STACKRUN_STUB_APPLY_SECONDS", "0.3");
  c.start_agent("a2");
  const json done = c.wait_run(run, seconds(60));
  EXPECT_EQ(done.value("status", ""), "success") << done.dump(2);
  EXPECT_EQ(job_of(done, other)["attempts"][0].value("agent", ""), "a2");
  c.expect_no_overlap();
}

// A report under a wrong epoch is refused (409) and changes nothing; an agent cannot
// heartbeat, log to or finish an attempt another agent claimed (403).
TEST(E2eCrashFencing, WrongEpochAndForeignAgentAreRefused) {
  Cluster c(kOneStepApply);
  c.start_server("30s");  // no lease runs out during the test: only our calls change state
  HandAgent x(c, "x"), y(c, "y");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  const json claimed = x.claim();
  const std::int64_t epoch = epoch_of(claimed);
  const json before = c.show(run);
  ASSERT_EQ(job_of(before, "grafana").value("status", ""), "running") << before.dump(2);
  const std::string logs_before = c.cli({"logs", std::to_string(run)}).out;

  EXPECT_EQ(x.finish(claimed, epoch + 1, 0, "success"), 409);
  EXPECT_EQ(x.finish(claimed, epoch - 1, 0, "success"), 409);
  EXPECT_EQ(x.heartbeat(claimed, epoch + 1), 409);
  EXPECT_EQ(y.heartbeat(claimed, epoch), 403);
  EXPECT_EQ(y.finish(claimed, epoch, 0, "success"), 403);
  EXPECT_EQ(y.post("logs", {{"attempt_id", claimed["attempt_id"]},
                            {"epoch", epoch},
                            {"chunks", {{{"seq", 0}, {"data", "forged by y\n"}}}}})
                .first,
            403);
  EXPECT_EQ(c.show(run), before);
  EXPECT_EQ(c.cli({"logs", std::to_string(run)}).out, logs_before);

  // The claimer, under its epoch, is heard; a repeated finish is idempotent, a stale one not.
  EXPECT_EQ(x.heartbeat(claimed, epoch), 200);
  EXPECT_EQ(x.post("logs", {{"attempt_id", claimed["attempt_id"]},
                            {"epoch", epoch},
                            {"chunks", {{{"seq", 0}, {"data", "applied by x\n"}}}}})
                .first,
            200);
  EXPECT_EQ(x.finish(claimed, epoch, 0, "success"), 200);
  const auto [again, again_body] =
      x.post("finish", HandAgent::finish_body(claimed, epoch, 0, "success"));
  EXPECT_EQ(again, 200);
  EXPECT_EQ(again_body.value("idempotent", false), true) << again_body.dump();
  EXPECT_EQ(x.finish(claimed, epoch + 1, 1, "fatal"), 409);
  const json r = c.show(run);
  EXPECT_EQ(r.value("status", ""), "success") << r.dump(2);
  const json& att = job_of(r, "grafana")["attempts"][0];
  EXPECT_EQ(att.value("agent", ""), "x");
  EXPECT_EQ(att["exit"], 0);
  const std::string logs = c.cli({"logs", std::to_string(run)}).out;
  EXPECT_NE(logs.find("[grafana] applied by x"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("forged by y"), std::string::npos) << logs;
}

// After a lost lease the job is claimed again under a newer epoch: the first claimer's
// late heartbeat and finish are refused (409) and its report never lands.
TEST(E2eCrashFencing, StaleEpochAfterLostLeaseIsRefused) {
  Cluster c(kPlanPipeline);
  c.start_server("2s");
  HandAgent x(c, "x"), y(c, "y");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  const json first = x.claim();  // and then x goes silent
  ASSERT_TRUE(c.wait_until(run, [](const json& r) {
    const json& job = job_of(r, "grafana");
    return job.value("status", "") == "queued" && job["attempts"].size() == 1 &&
           job["attempts"][0].value("status", "") == "lost";
  })) << c.show(run).dump(2);
  const json second = y.claim();
  ASSERT_EQ(second["job_id"], first["job_id"]);
  EXPECT_EQ(second.value("n", 0), 2);
  ASSERT_GT(epoch_of(second), epoch_of(first));

  EXPECT_EQ(x.heartbeat(first, epoch_of(first)), 409);
  EXPECT_EQ(x.finish(first, epoch_of(first), 0, "success"), 409);
  EXPECT_EQ(x.finish(first, epoch_of(second), 0, "success"), 409);
  EXPECT_EQ(x.finish(second, epoch_of(second), 0, "success"), 403);
  EXPECT_EQ(job_of(c.show(run), "grafana").value("status", ""), "running");

  EXPECT_EQ(y.finish(second, epoch_of(second), 2, "drift"), 200);
  const json r = c.wait_run(run, seconds(30));
  EXPECT_EQ(r.value("status", ""), "drift") << r.dump(2);
  const json& job = job_of(r, "grafana");
  EXPECT_EQ(job.value("status", ""), "drift");
  ASSERT_EQ(job["attempts"].size(), 2u);
  EXPECT_EQ(job["attempts"][0].value("agent", ""), "x");
  EXPECT_EQ(job["attempts"][0].value("status", ""), "lost");
  EXPECT_TRUE(job["attempts"][0]["exit"].is_null()) << "x's stale report landed: " << job.dump(2);
  EXPECT_EQ(job["attempts"][1].value("agent", ""), "y");
  EXPECT_EQ(job["attempts"][1]["exit"], 2);
}

}  // namespace
}  // namespace stackrun::e2e
