// Scheduling semantics end to end: tier order and fan-out across agents, one apply per stack,
// lock waits and skips, transient retries, fatal failures, re-applying failed stacks, live
// logs, human-only stacks and cancel. Every outcome is read from `stackrun show --json`,
// `stackrun logs` and the stub's own lock.log; no assertion depends on elapsed time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

using nlohmann::json;
using std::chrono::seconds;
const std::string kSrc = STACKRUN_SOURCE_DIR;

// The sample pipeline with waits short enough for tests; `lock_wait` is on_failure.lock.wait.
std::string pipeline(const std::string& lock_wait = "3s", int apps_parallelism = 4) {
  return R"(version: 1
name: apply
kind: apply
when:
  - event: push
    branch: [master, main]
    path: {include: ["stacks/**", "modules/**"], exclude: ["**/*.md"]}
  - event: manual
stacks:
  root: stacks
  marker: terragrunt.hcl
  select: changed
  human_only:
    vault: Tier-0, human-applied via OIDC
tiers:
  - name: platform
    stacks: [infra, cnpg, dbaas, vault, external-secrets]
    parallelism: 1
  - name: apps
    parallelism: )" +
         std::to_string(apps_parallelism) + R"(
steps:
  - name: apply
    command: terragrunt apply --non-interactive -auto-approve -lock-timeout=0s
    timeout: 2m
on_failure:
  lock: {wait: )" +
         lock_wait + R"(, poll: 500ms, then: skip}
  transient: {attempts: 3, backoff: 300ms, max_backoff: 1s}
)";
}

std::string hcl(const std::string& stack) {
  return "stacks/" + stack + "/terragrunt.hcl";
}

// Polls `pred` every 100 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, seconds timeout = seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// A helper process outside stackrun (e.g. hold-lock), in its own process group, with the
// stub's state directory. Stopped (SIGTERM, then SIGKILL; bounded) and reaped on destruction.
class Background {
 public:
  Background(const Cluster& c, const std::vector<std::string>& argv, const std::string& log)
      : log_(log) {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      setpgid(0, 0);
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      const int in = open("/dev/null", O_RDONLY);
      dup2(in, 0);
      setenv("STACKRUN_STUB_STATE", c.stub_state().c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Background() { stop(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // bounded: 10 s
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string output() const { return slurp(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// Starts `hold-lock STACK SECONDS WHO` and waits until it holds the lock.
std::unique_ptr<Background> hold_lock(const Cluster& c, const std::string& stack,
                                      const std::string& secs, const std::string& who) {
  auto bg = std::make_unique<Background>(
      c, std::vector<std::string>{kSrc + "/examples/bin/hold-lock", stack, secs, who},
      c.root() + "/hold-lock.log");
  EXPECT_TRUE(eventually([&] { return bg->output().find("holding " + stack) != std::string::npos; },
                         seconds(10)))
      << "hold-lock did not take the lock: " << bg->output();
  return bg;
}

// The "ID:" of a stack's Lock Info while it is held ("" if none).
std::string lock_id(const Cluster& c, const std::string& stack) {
  std::string key;
  for (char ch : stack) key += ch == '/' ? std::string("__") : std::string(1, ch);
  std::istringstream in(slurp(c.stub_state() + "/" + key + ".lockinfo"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("ID:", 0) == 0) return line.substr(line.find_first_not_of(' ', 3));
  return "";
}

struct Interval {
  std::string stack;
  long long pid = 0, from = 0, to = 0;
};

// Lock holdings (acquire..release of one pid on one stack) from the stub's lock.log.
std::vector<Interval> holdings(const Cluster& c) {
  std::vector<Interval> out;
  for (const auto& e : c.lock_log()) {
    if (e.what == "acquire") {
      out.push_back({e.stack, e.pid, e.ns, 0});
    } else {
      for (auto& i : out)
        if (i.stack == e.stack && i.pid == e.pid && i.to == 0) i.to = e.ns;
    }
  }
  return out;
}

int lock_events(const Cluster& c, const std::string& what, const std::string& stack) {
  int n = 0;
  for (const auto& e : c.lock_log()) n += e.what == what && e.stack == stack;
  return n;
}

std::vector<std::string> labels_of(const json& run) {
  std::vector<std::string> out;
  for (const auto& j : run["jobs"]) out.push_back(j.value("label", ""));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> classes_of(const json& job) {
  std::vector<std::string> out;
  for (const auto& a : job["attempts"]) out.push_back(a.value("class", ""));
  return out;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + needle.size()))
    ++n;
  return n;
}

// Cluster with the test pipeline, a server, and `agents` agents of `capacity` slots each.
// Both runs succeeded, each applied `label` in exactly one attempt, and the newer run's
// attempt started only after the older one's finished.
void expect_applied_in_run_order(const json& older, const json& newer, const std::string& label) {
  ASSERT_EQ(older.value("status", ""), "success") << older.dump(2);
  ASSERT_EQ(newer.value("status", ""), "success") << newer.dump(2);
  const json& g1 = job_of(older, label);
  const json& g2 = job_of(newer, label);
  ASSERT_EQ(g1["attempts"].size(), 1u) << g1.dump(2);
  ASSERT_EQ(g2["attempts"].size(), 1u) << g2.dump(2);
  EXPECT_GE(g2["attempts"][0].value("started_at", 0LL), g1["attempts"][0].value("finished_at", 0LL))
      << "the newer commit of " << label << " was applied before the older one";
}

void start(Cluster& c, int agents = 2, int capacity = 1) {
  c.start_server();
  for (int i = 1; i <= agents; ++i) c.start_agent("a" + std::to_string(i), capacity);
}

TEST(E2eSchedFanOut, PlatformFirstThenAppsInParallelOnTwoAgents) {
  Cluster c(pipeline());
  c.set_agent_env("STACKRUN_STUB_APPLY_SECONDS", "1.5");
  start(c, 2, 2);
  c.commit_change(
      {hcl("dbaas"), hcl("grafana"), hcl("immich"), hcl("paperless"), hcl("nextcloud")});
  const long long run = c.trigger_push();
  const json r = c.wait_run(run);
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  EXPECT_EQ(labels_of(r),
            (std::vector<std::string>{"dbaas", "grafana", "immich", "nextcloud", "paperless"}));
  std::set<std::string> app_agents;
  for (const auto& j : r["jobs"]) {
    EXPECT_EQ(j.value("status", ""), "success") << j.dump(2);
    EXPECT_EQ(j["attempts"].size(), 1u) << j.dump(2);
    if (j.value("tier", "") == "apps")
      for (const auto& a : j["attempts"]) app_agents.insert(a.value("agent", ""));
  }
  EXPECT_EQ(app_agents.size(), 2u) << "apps ran on: " << r.dump(2);

  // Platform first: dbaas's whole holding precedes every app holding.
  const auto held = holdings(c);
  ASSERT_EQ(held.size(), 5u);
  EXPECT_EQ(held[0].stack, "stacks/dbaas");
  EXPECT_GT(held[0].to, 0) << "dbaas never released its lock";
  for (std::size_t i = 1; i < held.size(); ++i)
    EXPECT_GT(held[i].from, held[0].to) << held[i].stack;
  // Fan-out: at least two different app stacks held their locks at the same time.
  int overlapping = 0;
  for (std::size_t i = 1; i < held.size(); ++i)
    for (std::size_t k = i + 1; k < held.size(); ++k)
      overlapping +=
          held[i].stack != held[k].stack && held[i].from < held[k].to && held[k].from < held[i].to;
  EXPECT_GE(overlapping, 1) << "no two app applies overlapped";
  c.expect_no_overlap();
}

TEST(E2eSchedOneApplyPerStack, SecondPushWaitsForTheFirstApplyOfTheSameStack) {
  Cluster c(pipeline());
  start(c, 2, 1);
  c.add_fault("stacks/grafana", "sleep 3");  // the first apply lasts long enough to push again
  c.commit_change({hcl("grafana")}, "first");
  const long long first = c.trigger_push();
  ASSERT_TRUE(eventually([&] { return lock_events(c, "acquire", "stacks/grafana") == 1; }))
      << "first apply never started";
  c.commit_change({hcl("grafana")}, "second");
  const long long second = c.trigger_push();
  ASSERT_NE(first, second);
  const json r1 = c.wait_run(first), r2 = c.wait_run(second);
  expect_applied_in_run_order(r1, r2, "grafana");
  if (::testing::Test::HasFatalFailure()) return;
  // Two applies of grafana, one after the other, each applying a changed configuration.
  const auto held = holdings(c);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_GT(held[1].from, held[0].to);
  c.expect_no_overlap();
  for (long long run : {first, second}) {
    const auto logs = c.cli({"logs", std::to_string(run)});
    EXPECT_EQ(logs.exit_code, 0) << logs.err;
    EXPECT_EQ(count_of(logs.out, "[grafana] Apply complete! Resources: 1 added"), 1u) << logs.out;
  }
}

// The older run has not reached grafana yet (it waits for its apps tier's parallelism behind
// authentik) when the newer push arrives: the newer run takes grafana over (supersede), so the
// older configuration is never applied after the newer one, nor at all; authentik, already
// running in the older run, finishes there and the newer run applies it again after it.
TEST(E2eSchedOneApplyPerStack, NewerPushTakesOverWhatTheOlderRunHadNotStarted) {
  Cluster c(pipeline("3s", 1));
  start(c, 2, 1);
  c.add_fault("stacks/authentik", "sleep 3");
  c.commit_change({hcl("authentik"), hcl("grafana")}, "first");
  const long long first = c.trigger_push();
  ASSERT_TRUE(eventually([&] { return lock_events(c, "acquire", "stacks/authentik") == 1; }))
      << "authentik never started";
  c.commit_change({hcl("grafana")}, "second");
  const long long second = c.trigger_push();
  const json r1 = c.wait_run(first), r2 = c.wait_run(second);
  EXPECT_EQ(r1.value("status", ""), "superseded") << r1.dump(2);
  EXPECT_EQ(r1.value("superseded_by", 0LL), second);
  EXPECT_EQ(job_of(r1, "grafana").value("status", ""), "superseded");
  EXPECT_TRUE(job_of(r1, "grafana")["attempts"].empty());
  EXPECT_EQ(job_of(r1, "authentik").value("status", ""), "success");
  ASSERT_EQ(r2.value("status", ""), "success") << r2.dump(2);
  EXPECT_EQ(job_of(r2, "grafana").value("status", ""), "success");
  // authentik again in the newer run, strictly after the older run's apply of it.
  const json& a1 = job_of(r1, "authentik");
  const json& a2 = job_of(r2, "authentik");
  ASSERT_EQ(a2["attempts"].size(), 1u) << a2.dump(2);
  EXPECT_GE(a2["attempts"][0].value("started_at", 0LL),
            a1["attempts"][0].value("finished_at", 0LL));
  EXPECT_EQ(lock_events(c, "acquire", "stacks/grafana"), 1);  // grafana applied once, newest
  c.expect_no_overlap();
}

TEST(E2eSchedLock, LockHeldOutsideIsWaitedOut) {
  Cluster c(pipeline("10s"));
  start(c, 1, 1);
  auto holder = hold_lock(c, "stacks/grafana", "2", "alice@laptop");
  c.commit_change({hcl("grafana")});
  const long long run = c.trigger_push();
  const json r = c.wait_run(run);
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  const json& g = job_of(r, "grafana");
  EXPECT_EQ(g.value("status", ""), "success");
  const auto classes = classes_of(g);
  ASSERT_GE(classes.size(), 2u) << g.dump(2);
  EXPECT_EQ(classes.back(), "success");
  for (std::size_t i = 0; i + 1 < classes.size(); ++i) {
    const json& a = g["attempts"][i];
    EXPECT_EQ(a.value("class", ""), "lock") << a.dump(2);
    EXPECT_EQ(a.value("line", ""), "Error: Error acquiring the state lock") << a.dump(2);
    ASSERT_TRUE(a["lock"].is_object()) << a.dump(2);
    EXPECT_EQ(a["lock"].value("who", ""), "alice@laptop");
  }
  // The stub took the lock only after alice released it.
  const auto held = holdings(c);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_GT(held[1].from, held[0].to);
  c.expect_no_overlap();
}

TEST(E2eSchedLock, LockHeldPastTheWaitSkipsTheStackNamingTheHolder) {
  Cluster c(pipeline("2s"));
  start(c, 2, 1);
  auto holder = hold_lock(c, "stacks/grafana", "20", "alice@laptop");
  const std::string id = lock_id(c, "stacks/grafana");
  ASSERT_FALSE(id.empty());
  c.commit_change({hcl("grafana"), hcl("immich")});
  const long long run = c.trigger_push();
  const json r = c.wait_run(run);
  holder->stop();
  EXPECT_EQ(r.value("status", ""), "success") << "a skip is not a failure: " << r.dump(2);
  const json& g = job_of(r, "grafana");
  EXPECT_EQ(g.value("status", ""), "skipped") << g.dump(2);
  const std::string why = g.value("result_reason", "");
  EXPECT_NE(why.find("alice@laptop"), std::string::npos) << why;
  EXPECT_NE(why.find(id), std::string::npos) << why;
  for (const auto& cls : classes_of(g)) EXPECT_EQ(cls, "lock");
  EXPECT_EQ(job_of(r, "immich").value("status", ""), "success");
  EXPECT_EQ(lock_events(c, "acquire", "stacks/grafana"), 1)
      << "only alice ever held grafana's lock";
  c.expect_no_overlap();
}

TEST(E2eSchedRetry, TransientFailureIsRetriedWithBackoffAndSucceeds) {
  Cluster c(pipeline());
  start(c, 1, 1);
  c.add_fault("stacks/immich", "transient");
  c.add_fault("stacks/immich", "transient");
  c.commit_change({hcl("immich")});
  const long long run = c.trigger_push();
  const json r = c.wait_run(run);
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  const json& j = job_of(r, "immich");
  EXPECT_EQ(j.value("status", ""), "success");
  EXPECT_EQ(classes_of(j), (std::vector<std::string>{"transient", "transient", "success"}))
      << j.dump(2);
  // The stub's provider-install timeout: its headline decides (earliest transient match).
  EXPECT_EQ(j["attempts"][0].value("line", ""), "Error: Failed to install provider");
  EXPECT_EQ(j["attempts"][0].value("rule", ""), "builtin.transient.failed-install-provider");
  const auto logs = c.cli({"logs", std::to_string(run)});
  EXPECT_EQ(count_of(logs.out, "-> retry in "), 2u) << logs.out;
  EXPECT_EQ(count_of(logs.out, "[immich] Apply complete!"), 1u) << logs.out;
  c.expect_no_overlap();
}

TEST(E2eSchedRetry, FatalFailureFailsAtOnceWithItsDecidingLine) {
  Cluster c(pipeline());
  start(c, 2, 1);
  c.add_fault("stacks/immich", "fatal");
  c.commit_change({hcl("immich"), hcl("grafana")});
  const long long run = c.trigger_push();
  const json r = c.wait_run(run);
  EXPECT_EQ(r.value("status", ""), "failed") << r.dump(2);
  const json& j = job_of(r, "immich");
  EXPECT_EQ(j.value("status", ""), "failed");
  ASSERT_EQ(j["attempts"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["attempts"][0].value("class", ""), "fatal");
  EXPECT_EQ(j["attempts"][0].value("line", ""), "Error: Missing required argument");
  EXPECT_EQ(job_of(r, "grafana").value("status", ""), "success");
  const auto logs = c.cli({"logs", std::to_string(run)});
  EXPECT_EQ(logs.exit_code, 1) << logs.out << logs.err;
  EXPECT_NE(logs.out.find("[immich] │ Error: Missing required argument"), std::string::npos)
      << logs.out;
}

TEST(E2eSchedReapply, FailedStackIsAppliedByTheNextPushThatDidNotTouchIt) {
  Cluster c(pipeline());
  start(c, 2, 1);
  c.add_fault("stacks/immich", "fatal");
  c.commit_change({hcl("immich"), hcl("grafana")});
  const json r1 = c.wait_run(c.trigger_push());
  ASSERT_EQ(job_of(r1, "immich").value("status", ""), "failed") << r1.dump(2);
  ASSERT_EQ(job_of(r1, "grafana").value("status", ""), "success") << r1.dump(2);

  c.commit_change({hcl("grafana")}, "only grafana");
  const json r2 = c.wait_run(c.trigger_push());
  ASSERT_EQ(r2.value("status", ""), "success") << r2.dump(2);
  EXPECT_EQ(labels_of(r2), (std::vector<std::string>{"grafana", "immich"}));
  EXPECT_EQ(job_of(r2, "grafana").value("status", ""), "success");
  const json& immich = job_of(r2, "immich");
  EXPECT_EQ(immich.value("status", ""), "success") << immich.dump(2);
  EXPECT_EQ(immich.value("reason", ""), "changed: " + hcl("immich")) << immich.dump(2);
  c.expect_no_overlap();

  // Applied now: a third push touching only grafana leaves immich alone.
  c.commit_change({hcl("grafana")}, "only grafana again");
  const json r3 = c.wait_run(c.trigger_push());
  EXPECT_EQ(labels_of(r3), (std::vector<std::string>{"grafana"})) << r3.dump(2);
}

TEST(E2eSchedLogs, FollowShowsEveryLineOnceInOrderAndExitsWithTheRun) {
  Cluster c(pipeline());
  start(c, 2, 2);
  c.add_fault("stacks/immich", "sleep 3");
  c.commit_change({hcl("grafana"), hcl("immich"), hcl("paperless")});
  const long long run = c.trigger_push();
  testing::CommandResult followed;
  std::thread follower([&] { followed = c.cli({"logs", std::to_string(run), "-f"}, seconds(90)); });
  const std::string status_at_start = c.show(run).value("status", "");
  const json r = c.wait_run(run);
  EXPECT_TRUE(status_at_start == "queued" || status_at_start == "running")
      << "not a live follow: " << status_at_start;
  follower.join();
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  EXPECT_EQ(followed.exit_code, 0) << followed.err;

  const auto whole = c.cli({"logs", std::to_string(run)});
  EXPECT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_EQ(followed.out, whole.out);
  std::istringstream lines(followed.out);
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_TRUE(line.rfind("[run] ", 0) == 0 || line.rfind("[grafana] ", 0) == 0 ||
                line.rfind("[immich] ", 0) == 0 || line.rfind("[paperless] ", 0) == 0)
        << line;
  }
  EXPECT_GT(n, 30u);
  for (const std::string s : {"grafana", "immich", "paperless"})
    EXPECT_EQ(count_of(followed.out, "[" + s + "] Apply complete!"), 1u) << followed.out;
  // The run's own first and last lines bracket everything.
  EXPECT_EQ(followed.out.rfind("[run] » run " + std::to_string(run) + ": apply", 0), 0u)
      << followed.out;
  EXPECT_NE(followed.out.find("[run] » run success: 3 ok, 0 skipped, 0 failed\n"),
            std::string::npos);
  EXPECT_EQ(followed.out.size() - followed.out.rfind("[run] » run success"),
            std::string("[run] » run success: 3 ok, 0 skipped, 0 failed\n").size());

  const auto grafana = c.cli({"logs", std::to_string(run), "--stack", "grafana"});
  EXPECT_EQ(grafana.exit_code, 0);
  std::istringstream glines(grafana.out);
  std::size_t gn = 0;
  while (std::getline(glines, line)) {
    ++gn;
    EXPECT_EQ(line.rfind("[grafana] ", 0), 0u) << line;
  }
  EXPECT_GT(gn, 5u);
  EXPECT_EQ(count_of(grafana.out, "[grafana] Apply complete!"), 1u) << grafana.out;
}

TEST(E2eSchedHumanOnly, VaultIsSkippedAndNeverRun) {
  Cluster c(pipeline());
  start(c, 1, 1);
  c.commit_change({hcl("vault"), hcl("infra")});
  const json r = c.wait_run(c.trigger_push());
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  const json& vault = job_of(r, "vault");
  EXPECT_EQ(vault.value("status", ""), "skipped");
  EXPECT_NE(vault.value("result_reason", "").find("human-only"), std::string::npos)
      << vault.dump(2);
  EXPECT_TRUE(vault["attempts"].empty()) << vault.dump(2);
  EXPECT_EQ(job_of(r, "infra").value("status", ""), "success");
  EXPECT_EQ(lock_events(c, "acquire", "stacks/infra"), 1);
  for (const auto& e : c.lock_log()) EXPECT_NE(e.stack, "stacks/vault");
}

TEST(E2eSchedCancel, GracefulCancelLetsTheRunningApplyFinish) {
  Cluster c(pipeline());
  start(c, 2, 1);
  c.add_fault("stacks/dbaas", "sleep 4");
  c.commit_change({hcl("dbaas"), hcl("grafana"), hcl("immich")});
  const long long run = c.trigger_push();
  ASSERT_TRUE(eventually([&] { return lock_events(c, "acquire", "stacks/dbaas") == 1; }))
      << "dbaas never started";
  const auto cancel = c.cli({"cancel", std::to_string(run)});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  const json r = c.wait_run(run);
  EXPECT_EQ(r.value("status", ""), "cancelled") << r.dump(2);
  const json& dbaas = job_of(r, "dbaas");
  EXPECT_EQ(dbaas.value("status", ""), "success") << dbaas.dump(2);
  EXPECT_EQ(classes_of(dbaas), (std::vector<std::string>{"success"}));
  for (const std::string s : {"grafana", "immich"}) {
    EXPECT_EQ(job_of(r, s).value("status", ""), "cancelled");
    EXPECT_TRUE(job_of(r, s)["attempts"].empty());
  }
  const auto logs = c.cli({"logs", std::to_string(run)});
  EXPECT_EQ(logs.exit_code, 3) << logs.err;
  EXPECT_EQ(logs.out.find("Interrupt received"), std::string::npos) << logs.out;
  EXPECT_EQ(count_of(logs.out, "[dbaas] Apply complete!"), 1u) << logs.out;
  EXPECT_EQ(
      lock_events(c, "acquire", "stacks/grafana") + lock_events(c, "acquire", "stacks/immich"), 0);
}

TEST(E2eSchedCancel, ForceCancelInterruptsTheRunningApplyWithSigint) {
  Cluster c(pipeline());
  start(c, 1, 1);
  c.add_fault("stacks/grafana", "sleep 30");
  c.commit_change({hcl("grafana")});
  const long long run = c.trigger_push();
  ASSERT_TRUE(eventually([&] { return lock_events(c, "acquire", "stacks/grafana") == 1; }))
      << "grafana never started";
  const auto cancel = c.cli({"cancel", std::to_string(run), "--force"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  const json r = c.wait_run(run, seconds(60));
  EXPECT_EQ(r.value("status", ""), "cancelled") << r.dump(2);
  const json& g = job_of(r, "grafana");
  EXPECT_EQ(g.value("status", ""), "cancelled") << g.dump(2);
  ASSERT_EQ(g["attempts"].size(), 1u);
  const auto logs = c.cli({"logs", std::to_string(run)});
  EXPECT_EQ(logs.exit_code, 3);
  EXPECT_NE(logs.out.find("[grafana] Interrupt received."), std::string::npos) << logs.out;
  EXPECT_EQ(logs.out.find("Apply complete!"), std::string::npos) << logs.out;
  // The stub stopped gracefully: it released the lock itself.
  EXPECT_EQ(lock_events(c, "release", "stacks/grafana"), 1);
}

}  // namespace
}  // namespace stackrun::e2e
