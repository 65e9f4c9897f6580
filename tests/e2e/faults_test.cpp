// Faults at the edges of the server core, on real processes: no job is handed to nobody (an
// agent killed while parked in a claim, a server stalled past its clients' timeouts), and store
// faults (another process holding the write lock, a file-size limit, a read-only database file)
// answer 503 without killing the server, which recovers by itself once the fault clears.
// Outcomes come from `stackrun show --json`, the stub's lock log and the database itself; every
// wait is bounded and no assertion is about elapsed time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <future>
#include <thread>

#include "runner/http/http.hpp"
#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const std::vector<std::string> kThreeStacks = {
    "stacks/dbaas/terragrunt.hcl", "stacks/grafana/terragrunt.hcl", "stacks/immich/terragrunt.hcl"};

// Every selected job succeeded with exactly one attempt, which started and finished: nothing
// ran twice, nothing was marked interrupted without having started.
void expect_each_job_ran_once(Cluster& c, const json& run) {
  EXPECT_EQ(run.value("status", ""), "success") << run.dump(2);
  for (const auto& job : run["jobs"]) {
    if (job.value("reason", "") == "excluded") continue;
    EXPECT_EQ(job.value("status", ""), "success") << job.dump(2);
    ASSERT_EQ(job["attempts"].size(), 1u) << job.dump(2);
    EXPECT_EQ(job["attempts"][0].value("status", ""), "finished") << job.dump(2);
  }
  std::map<std::string, int> acquires;
  for (const auto& e : c.lock_log())
    if (e.what == "acquire") ++acquires[e.stack];
  for (const auto& [stack, n] : acquires)
    EXPECT_EQ(n, 1) << stack << " was applied " << n << " times";
  c.expect_no_overlap();
}

// No job was offered to a claim whose client had gone: such an offer would expire later,
// leaving its "did not confirm" line in the run log (and a delay), though the job would still
// run once.
void expect_no_offer_to_nobody(Cluster& c, long long run) {
  const auto logs = c.cli({"logs", std::to_string(run)});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_EQ(logs.out.find("did not confirm"), std::string::npos) << logs.out;
}

bool alive(pid_t pid) {
  return pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0;
}

// A direct request with the operator token (the CLI would retry a 503 for us).
int post_status(Cluster& c, const std::string& path, const std::string& body) {
  http::Client op(c.server_url(), c.operator_token());
  auto r = op.request("POST", path, body, std::chrono::seconds(20));
  return r ? r->status : -1;
}

std::string integrity(Cluster& c) {
  auto r = testing::run_command({"sqlite3", c.db(), "PRAGMA integrity_check;"});
  return r.exit_code == 0 ? r.out : "sqlite3 failed: " + r.err;
}

TEST(E2eFaults, AnAgentKilledWhileParkedInAClaimIsHandedNothing) {
  Cluster c(kOneStepApply);
  c.set_server_args({"--offer-timeout", "2s"});
  c.start_server("5s");
  c.commit_change(kThreeStacks);
  // The doomed agent is the only one parked in a claim (a 2 s long-poll) when it dies and the
  // push arrives at once: the job must not go to its dead claim (where it would sit until the
  // offer expired), but wait for the survivor, which starts only afterwards.
  c.start_agent("doomed");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  c.kill_agent("doomed", SIGKILL);
  const long long run = c.trigger_push();
  c.start_agent("survivor");
  const json done = c.wait_run(run, seconds(120));
  expect_each_job_ran_once(c, done);
  for (const auto& job : done["jobs"])
    for (const auto& a : job["attempts"])
      EXPECT_EQ(a.value("agent", ""), "survivor") << job.dump(2);
  expect_no_offer_to_nobody(c, run);
}

TEST(E2eFaults, AServerStalledPastItsClientsTimeoutsHandsEveryJobOutOnce) {
  Cluster c(kOneStepApply);
  c.set_server_args({"--offer-timeout", "2s"});
  c.start_server("30s");  // the stall must not cost a running lease
  c.start_agent("a1");
  c.start_agent("a2");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  c.commit_change(kThreeStacks);
  ASSERT_EQ(kill(c.server_pid(), SIGSTOP), 0);
  // The push arrives while the server is stopped; the agents' parked claims (2 s long-polls,
  // a dozen seconds of client timeout) give up meanwhile and claim again on new connections.
  auto pushed = std::async(std::launch::async, [&] {
    return c.cli({"trigger", "push"}, seconds(90));
  });
  std::this_thread::sleep_for(seconds(14));
  ASSERT_EQ(kill(c.server_pid(), SIGCONT), 0);
  const auto r = pushed.get();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json done = c.wait_run(std::stoll(r.out), seconds(120));
  expect_each_job_ran_once(c, done);
  expect_no_offer_to_nobody(c, std::stoll(r.out));
}

TEST(E2eFaults, AWriteLockHeldByAnotherProcessAnswers503UntilItIsReleased) {
  Cluster c(kOneStepApply);
  c.set_server_args({"--busy-timeout", "300ms"});
  c.set_agent_env("STACKRUN_STUB_APPLY_SECONDS", "3");
  c.start_server("20s");
  c.start_agent("a1", 2);
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  ASSERT_TRUE(c.wait_until(
      run, [](const json& j) { return job_of(j, "grafana").value("status", "") == "running"; },
      seconds(60)));
  // A real second process takes the write lock for 4 s, far past the server's busy timeout.
  // Why .timeout: the server may be inside a short write (a heartbeat, a log chunk) at that
  // instant; the holder waits for it instead of failing its BEGIN at once.
  auto holder = std::async(std::launch::async, [&] {
    return testing::run_command({"sqlite3", c.db()},
                                ".timeout 5000\nBEGIN IMMEDIATE;\n.shell sleep 4\nCOMMIT;\n",
                                seconds(30));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(post_status(c, "/api/v1/agents", R"({"name": "late"})"), 503);
  http::Client anyone(c.server_url());
  auto health = anyone.request("GET", "/api/v1/health");
  EXPECT_TRUE(health && health->status == 200);
  EXPECT_EQ(holder.get().exit_code, 0);
  EXPECT_TRUE(alive(c.server_pid()));
  EXPECT_EQ(post_status(c, "/api/v1/agents", R"({"name": "late"})"), 200);
  const json done = c.wait_run(run, seconds(60));
  expect_each_job_ran_once(c, done);
  EXPECT_EQ(integrity(c), "ok\n");
}

TEST(E2eFaults, AFileSizeLimitAnswers503AndLiftingItRecovers) {
  Cluster c(kOneStepApply);
  c.start_server("20s");
  c.start_agent("a1", 2);
  const std::string pid = std::to_string(c.server_pid());
  // Every write past byte 1 of any file now fails with EFBIG, as on a full disk.
  ASSERT_EQ(testing::run_command({"prlimit", "--pid", pid, "--fsize=1:unlimited"}).exit_code, 0);
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  EXPECT_EQ(post_status(c, "/api/v1/runs", R"({"event": "push"})"), 503);
  EXPECT_EQ(post_status(c, "/api/v1/agents", R"({"name": "late"})"), 503);
  EXPECT_TRUE(alive(c.server_pid()));  // SIGXFSZ did not kill it; nothing escaped the io loop
  ASSERT_EQ(testing::run_command({"prlimit", "--pid", pid, "--fsize=unlimited"}).exit_code, 0);
  const long long run = c.trigger_push();
  const json done = c.wait_run(run, seconds(60));
  expect_each_job_ran_once(c, done);
  EXPECT_EQ(integrity(c), "ok\n");
}

TEST(E2eFaults, AReadOnlyDatabaseFileIsServedAndWritableAgainOnceFixed) {
  Cluster c(kOneStepApply);
  c.start_server("20s");
  c.kill_server(SIGTERM);
  if (testing::run_command({"chattr", "+i", c.db()}).exit_code != 0)
    GTEST_SKIP() << "chattr +i is not available here (needs root on ext4/xfs); cannot make the "
                    "file read-only";
  struct Unfreeze {
    std::string db;
    ~Unfreeze() { testing::run_command({"chattr", "-i", db}); }
  } unfreeze{c.db()};
  c.start_server("20s");  // starts on a file it cannot write
  EXPECT_TRUE(alive(c.server_pid()));
  auto runs = c.cli({"runs"});
  EXPECT_EQ(runs.exit_code, 0) << runs.err;  // reads still work
  EXPECT_EQ(post_status(c, "/api/v1/agents", R"({"name": "a1"})"), 503);
  ASSERT_EQ(testing::run_command({"chattr", "-i", c.db()}).exit_code, 0);
  // The next write fault reopened the connection; a write now succeeds (bounded retries).
  int status = 0;
  for (int i = 0; i < 20 && status != 200; ++i) {
    status = post_status(c, "/api/v1/agents", R"({"name": "probe"})");
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(status, 200);
  c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const json done = c.wait_run(c.trigger_push(), seconds(60));
  expect_each_job_ran_once(c, done);
  EXPECT_EQ(integrity(c), "ok\n");
}

}  // namespace
}  // namespace stackrun::e2e
