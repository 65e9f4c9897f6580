// Cron schedules end to end: a schedule due every minute fires exactly once per due time while
// the server is restarted across a due time and killed between claiming one and creating its
// run (the claim and the run are one transaction: the killed claim is lost with it, and the
// due time fires once after the restart). And a dead-man window: with the schedule disabled
// and no drift run completing, the alert comes after the window, once.
// Real server, agent, SQLite, git and HTTP on 127.0.0.1; these wait for real minutes.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/receiver.hpp"

namespace stackrun::e2e {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const char* const kEveryMinute =
    "version: 1\nname: drift\nkind: plan\n"
    "schedules:\n  minutely: {cron: \"* * * * *\", timezone: Europe/Berlin}\n"
    "when:\n  - event: cron\n    cron: [minutely]\n  - event: manual\n"
    "stacks: {root: stacks, select: all, human_only: {vault: Tier-0}}\n"
    "tiers: [{name: all, parallelism: 4}]\n"
    "steps:\n  - name: plan\n    command: terragrunt plan -detailed-exitcode -input=false\n"
    "    exit_codes: {2: drift}\n";

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json schedules(Cluster& c) {
  auto r = c.cli({"schedules", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out)["schedules"] : json::array();
}

// The schedule once the server has read it (up to 20 s), else null.
json wait_schedule(Cluster& c) {
  for (int i = 0; i < 100; ++i) {
    const json all = schedules(c);
    if (all.size() == 1 && all[0]["next_fire_at"].is_number()) return all[0];
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return nullptr;
}

// due time -> the run ids made for it.
std::map<long long, std::vector<long long>> cron_runs(Cluster& c) {
  std::map<long long, std::vector<long long>> out;
  auto r = c.cli({"runs", "--json", "--limit", "1000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return out;
  const json list = json::parse(r.out);
  for (const auto& run : list["runs"])
    if (run["scheduled_for"].is_number())
      out[run["scheduled_for"].get<long long>()].push_back(run["id"].get<long long>());
  return out;
}

// Waits (up to `limit`) until a run exists for due time `due`.
bool wait_fired(Cluster& c, long long due, seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cron_runs(c).count(due)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

void sleep_until_ms(long long t) {
  const long long left = t - now_ms();
  if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(left));
}

// The dead-man alerts received (the manual drift run's own drift alert is not one).
std::vector<std::string> deadman_alerts(Receiver& r) {
  std::vector<std::string> out;
  for (const auto& m : r.accepted("/hook")) {
    const std::string text = json::parse(m.body).value("text", "");
    if (text.find("no drift run has completed in") != std::string::npos) out.push_back(text);
  }
  return out;
}

TEST(E2eSchedules, EveryMinuteFiresOncePerDueTimeAcrossRestartsAndAKillAtTheClaim) {
  Cluster c("", kEveryMinute);
  c.start_server();
  c.start_agent("a1", 4);
  const json s = wait_schedule(c);
  ASSERT_TRUE(s.is_object()) << schedules(c).dump(2);
  EXPECT_EQ(s.value("state", ""), "enabled");
  const long long m1 = s["next_fire_at"].get<long long>();
  ASSERT_EQ(m1 % 60'000, 0);
  ASSERT_LE(m1 - now_ms(), 61'000);
  const long long m2 = m1 + 60'000, m3 = m2 + 60'000;

  // M1 fires on time.
  ASSERT_TRUE(wait_fired(c, m1, seconds(90)));
  // Restart 1: down across M2; the overdue due time fires once when the server is back.
  c.kill_server(SIGTERM);
  sleep_until_ms(m2 + 3'000);
  c.start_server();
  ASSERT_TRUE(wait_fired(c, m2, seconds(30)));
  // Restart 2 with a fault point: the server kills itself (SIGKILL) right after claiming M3,
  // inside the transaction that would have inserted its run.
  c.kill_server(SIGTERM);
  c.set_server_env("STACKRUN_CRASH_AFTER_SCHEDULE_CLAIM", "1");
  c.start_server();
  ASSERT_LT(now_ms(), m3) << "the restart took past M3; the test cannot check the kill";
  ASSERT_TRUE(c.wait_server_exit(seconds((m3 - now_ms()) / 1000 + 30)))
      << "the server did not die at the claim of M3";
  c.clear_server_env();
  c.start_server();
  ASSERT_TRUE(wait_fired(c, m3, seconds(30)));

  // Exactly one run per due time, none for any other.
  const auto fired = cron_runs(c);
  ASSERT_EQ(fired.size(), 3u);
  for (long long due : {m1, m2, m3}) {
    ASSERT_EQ(fired.count(due), 1u) << due;
    ASSERT_EQ(fired.at(due).size(), 1u) << due;
    const auto run = c.wait_run(fired.at(due)[0]);
    EXPECT_EQ(run.value("event", ""), "cron");
    // Nothing was ever applied: every plan finds drift. A run still going when the next due
    // time fired (the server was down meanwhile) hands its unstarted plans to the newer run.
    const std::string status = run.value("status", "");
    if (due == m3 || status != "superseded")
      EXPECT_EQ(status, "drift") << run.dump(2);
    else
      EXPECT_GT(run.value("superseded_by", 0LL), fired.at(due)[0]) << run.dump(2);
  }
  const json after = schedules(c)[0];
  EXPECT_EQ(after.value("last_fire_at", 0LL), m3);
  EXPECT_EQ(after.value("last_run", 0LL), fired.at(m3)[0]);
  EXPECT_GT(after.value("next_fire_at", 0LL), m3);
  const auto text = c.cli({"schedules"});
  EXPECT_NE(text.out.find("minutely"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("run " + std::to_string(fired.at(m3)[0]) + " drift"), std::string::npos)
      << text.out;
}

TEST(E2eSchedules, ADisabledScheduleRaisesTheDeadManAlertAfterItsWindowOnce) {
  Receiver receiver(false);
  ASSERT_EQ(receiver.start(), "");
  // Due once a year: only the dead-man window can speak during the test.
  Cluster c("",
            "version: 1\nname: drift\nkind: plan\n"
            "schedules:\n  nightly: {cron: \"17 3 1 1 *\", deadman: 1m}\n"
            "when:\n  - event: cron\n    cron: [nightly]\n  - event: manual\n"
            "stacks: {root: stacks, select: all, human_only: {vault: Tier-0}}\n"
            "tiers: [{name: all, parallelism: 4}]\n"
            "steps:\n  - name: plan\n    command: terragrunt plan -detailed-exitcode\n"
            "    exit_codes: {2: drift}\n");
  c.use_server_config("infra", c.repo(), "    notify: [" + receiver.url() + "/hook]\n");
  c.start_server();
  c.start_agent("a1", 4);
  const json s = wait_schedule(c);
  ASSERT_TRUE(s.is_object()) << schedules(c).dump(2);
  EXPECT_EQ(s.value("deadman_ms", 0LL), 60'000);
  // A drift run completes, then the schedule is switched off.
  auto r = c.cli({"trigger", "run", "--pipeline", "drift"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto done = c.wait_run(std::stoll(r.out));
  ASSERT_TRUE(done["finished_at"].is_number()) << done.dump(2);
  const long long completed = done["finished_at"].get<long long>();
  auto off = c.cli(
      {"schedules", "disable", std::to_string(s.value("id", 0LL)), "--reason", "maintenance"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_NE(off.out.find("disabled: maintenance"), std::string::npos) << off.out;
  EXPECT_FALSE(schedules(c)[0]["next_fire_at"].is_number());
  // Within the window: no alert, the report says ok.
  const auto ok = c.cli({"drift"});
  EXPECT_NE(ok.out.find("dead-man window 1m ok until"), std::string::npos) << ok.out;
  EXPECT_EQ(deadman_alerts(receiver).size(), 0u);

  // Past it: one alert naming the schedule and the last completed run.
  std::string alert;
  for (int i = 0; i < 200 && alert.empty(); ++i) {  // bounded: window + 20 s
    if (now_ms() < completed + 60'000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    for (const auto& t : deadman_alerts(receiver)) alert = t;
    if (alert.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(alert.empty()) << "no dead-man alert";
  EXPECT_GE(now_ms(), completed + 60'000);
  EXPECT_NE(alert.find("schedule nightly"), std::string::npos) << alert;
  EXPECT_NE(alert.find("run " + std::to_string(done.value("id", 0LL))), std::string::npos) << alert;
  const auto breached = c.cli({"drift"});
  EXPECT_NE(breached.out.find("dead-man window 1m BREACHED since"), std::string::npos)
      << breached.out;
  const auto listed = c.cli({"schedules"});
  EXPECT_NE(listed.out.find("1m BREACHED"), std::string::npos) << listed.out;
  // Once per breach: a restart does not send it again.
  c.kill_server(SIGTERM);
  c.start_server();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(deadman_alerts(receiver).size(), 1u);
}

TEST(E2eSchedules, AScheduleRemovedFromTheDefaultBranchIsGoneWithTheReasonAndComesBack) {
  Cluster c("", kEveryMinute);
  c.start_server();
  ASSERT_TRUE(wait_schedule(c).is_object()) << schedules(c).dump(2);
  // A push that drops the schedule: read again when the default branch moves.
  const std::string sha =
      c.commit_file(".stackrun/drift.yml",
                    "version: 1\nname: drift\nkind: plan\nwhen:\n  - event: manual\n"
                    "stacks: {root: stacks, select: all, human_only: {vault: Tier-0}}\n"
                    "steps:\n  - name: plan\n    command: terragrunt plan -detailed-exitcode\n"
                    "    exit_codes: {2: drift}\n",
                    "no more minutely drift");
  ASSERT_EQ(c.cli({"trigger", "push"}).exit_code, 0);
  json gone;
  for (int i = 0; i < 100; ++i) {  // bounded: 20 s
    gone = schedules(c)[0];
    if (gone.value("state", "") == "gone") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(gone.value("state", ""), "gone") << gone.dump(2);
  EXPECT_EQ(gone.value("reason", ""),
            "pipeline drift is gone or declares no schedules at " + sha.substr(0, 12));
  EXPECT_FALSE(gone["next_fire_at"].is_number());
  // It cannot be enabled by hand; declared again, it comes back enabled.
  auto refused = c.cli({"schedules", "enable", std::to_string(gone.value("id", 0LL))});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("is gone"), std::string::npos) << refused.err;
  c.commit_file(".stackrun/drift.yml", kEveryMinute, "minutely drift again");
  ASSERT_EQ(c.cli({"trigger", "push"}).exit_code, 0);
  const json back = wait_schedule(c);
  ASSERT_TRUE(back.is_object());
  for (int i = 0; i < 100 && schedules(c)[0].value("state", "") != "enabled"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(schedules(c)[0].value("state", ""), "enabled");
  EXPECT_EQ(schedules(c)[0].value("id", 0LL), gone.value("id", 0LL));  // the same schedule
}

}  // namespace
}  // namespace stackrun::e2e
