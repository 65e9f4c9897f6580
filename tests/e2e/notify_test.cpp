// Commit statuses and notifications end to end: a real `stackrun server --config` whose repo
// has a forge token, an API URL and a notify URL, both served by a receiver on 127.0.0.1 that
// answers 500 until the run has finished. The run's outcome does not wait for them; once the
// receiver answers, the statuses (pending, pending, failure) and the failed-run notification
// arrive, each target's in order.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/receiver.hpp"

namespace stackrun::e2e {
namespace {

TEST(E2eNotify, StatusesAndAFailedRunNotificationArriveInOrderAfterA500Spell) {
  Receiver receiver;
  ASSERT_EQ(receiver.start(), "");
  Cluster c;
  testing::write_file(c.root() + "/forge-token", "forge-t0ken\n");
  c.use_server_config(
      "infra", c.repo(), "    notify: [" + receiver.url() + "/hook]\n",
      "        token: {file: forge-token}\n        api_url: " + receiver.url() + "/api/v1\n");
  c.start_server();
  c.start_agent("a1");
  c.add_fault("stacks/dbaas", "fatal");
  const std::string sha = c.commit_change({"stacks/dbaas/terragrunt.hcl"}, "bump dbaas");
  const long long run = c.trigger_push();
  const auto done = c.wait_run(run);
  ASSERT_EQ(done.value("status", ""), "failed") << done.dump(2);
  // The run ended while every status and notification was refused: none was accepted yet.
  EXPECT_TRUE(receiver.accepted("/").empty());
  EXPECT_FALSE(receiver.all().empty()) << "the notifier tried while the run went on";
  receiver.stop_failing();

  // Owner and repo are the clone URL's last two path segments (here a local path).
  const std::string owner = std::filesystem::path(c.root()).filename().string();
  const std::string statuses = "/api/v1/repos/" + owner + "/infra/statuses/" + sha;
  bool arrived = false;
  for (int i = 0; i < 1200 && !arrived; ++i) {  // bounded: 120 s (first retries wait ~10 s)
    arrived = receiver.accepted(statuses).size() >= 3 && !receiver.accepted("/hook").empty();
    if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(arrived) << "server log: " << c.root() << "/server.log";
  const auto got = receiver.accepted(statuses);
  ASSERT_EQ(got.size(), 3u);
  const std::string id = std::to_string(run);
  const std::vector<std::string> want = {
      "{\"state\":\"pending\",\"description\":\"run " + id + " queued: stackrun logs " + id +
          " -f\",\"context\":\"stackrun/apply\"}",
      "{\"state\":\"pending\",\"description\":\"run " + id + " running: stackrun logs " + id +
          " -f\",\"context\":\"stackrun/apply\"}",
      "{\"state\":\"failure\",\"description\":\"run " + id + " failed (0 ok, 0 skipped, 1 " +
          "failed): stackrun logs " + id + " -f\",\"context\":\"stackrun/apply\"}",
  };
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].body, want[i]);
    EXPECT_EQ(got[i].authorization, "token forge-t0ken");
  }
  const auto notes = receiver.accepted("/hook");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].authorization, "");
  EXPECT_EQ(notes[0].body,
            "{\"text\":\"stackrun: run " + id + " of infra (apply, master at " + sha.substr(0, 12) +
                ") failed: 0 ok, 0 skipped, 1 failed. Logs: stackrun logs " + id + "\"}");
  // The run's outcome is what it was before anything was delivered.
  EXPECT_EQ(c.show(run).value("status", ""), "failed");
  // The token never reaches the server's log.
  std::ifstream in(c.root() + "/server.log");
  std::stringstream log;
  log << in.rdbuf();
  EXPECT_EQ(log.str().find("forge-t0ken"), std::string::npos);
}

}  // namespace
}  // namespace stackrun::e2e
