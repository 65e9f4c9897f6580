// Drift runs end to end: the sample repo applied once, then its drift pipeline planned with
// out-of-band changes simulated by the terragrunt stand-in (two stacks changed by hand) and a
// credentials failure on a third. The report says exactly that, with counts and addresses, and
// the notify URL gets the drift alert and the error alert; once fixed, the next report is
// clean and "recovered" is sent. Real server, agent, SQLite, git and HTTP on 127.0.0.1.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/receiver.hpp"

namespace stackrun::e2e {
namespace {

using nlohmann::json;

// Runs the drift pipeline by hand and waits for it.
json drift_run(Cluster& c) {
  auto r = c.cli({"trigger", "run", "--pipeline", "drift"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return c.wait_run(std::stoll(r.out));
}

// The stacks of the report's only pipeline, by stack.
std::map<std::string, json> report_stacks(Cluster& c) {
  auto r = c.cli({"drift", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(r.out);
  EXPECT_EQ(report["pipelines"].size(), 1u) << report.dump(2);
  std::map<std::string, json> out;
  if (report["pipelines"].empty()) return out;
  for (const auto& s : report["pipelines"][0]["stacks"]) out[s.value("stack", "")] = s;
  return out;
}

// The notification texts received so far.
std::vector<std::string> texts(Receiver& r) {
  std::vector<std::string> out;
  for (const auto& m : r.accepted("/hook")) out.push_back(json::parse(m.body).value("text", ""));
  return out;
}

// The first received text containing `needle`, waiting up to 20 s for it.
std::string wait_text(Receiver& r, const std::string& needle) {
  for (int i = 0; i < 200; ++i) {
    for (const auto& t : texts(r))
      if (t.find(needle) != std::string::npos) return t;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

TEST(E2eDrift, TwoDriftedStacksAndACredentialsErrorAreReportedAlertedAndRecovered) {
  Receiver receiver(false);
  ASSERT_EQ(receiver.start(), "");
  Cluster c;
  c.use_server_config("infra", c.repo(), "    notify: [" + receiver.url() + "/hook]\n");
  c.start_server();
  c.start_agent("a1", 4);
  // Everything applied once, then a drift run finds it all clean.
  const auto applied = c.wait_run(c.trigger_push());
  ASSERT_EQ(applied.value("status", ""), "success") << applied.dump(2);
  const auto clean = drift_run(c);
  ASSERT_EQ(clean.value("status", ""), "success") << clean.dump(2);

  // Someone changes two stacks by hand; the third cannot read its state credentials.
  namespace fs = std::filesystem;
  fs::create_directories(c.stub_state() + "/drift");
  testing::write_file(c.stub_state() + "/drift/stacks__dbaas",
                      "update helm_release.this\nreplace kubernetes_secret.db\n");
  testing::write_file(c.stub_state() + "/drift/stacks__grafana",
                      "create kubernetes_config_map.dashboards\n");
  c.add_fault("stacks/cnpg", "pgcreds");
  const auto found = drift_run(c);
  // An error is a failure, whatever else was found.
  ASSERT_EQ(found.value("status", ""), "failed") << found.dump(2);
  const long long found_run = found.value("id", 0LL);

  auto stacks = report_stacks(c);
  ASSERT_EQ(stacks.size(), found["jobs"].size());
  std::set<std::string> drifted, errored, skipped, clean_now;
  for (const auto& [name, s] : stacks) {
    const std::string state = s.value("state", "");
    if (state == "drift") drifted.insert(name);
    if (state == "error") errored.insert(name);
    if (state == "skipped") skipped.insert(name);
    if (state == "clean") clean_now.insert(name);
    EXPECT_EQ(s.value("run", 0LL), found_run) << name;
  }
  EXPECT_EQ(drifted, (std::set<std::string>{"stacks/dbaas", "stacks/grafana"}));
  EXPECT_EQ(errored, std::set<std::string>{"stacks/cnpg"});
  EXPECT_EQ(skipped, std::set<std::string>{"stacks/vault"});
  EXPECT_EQ(clean_now.size(), stacks.size() - 4);
  const json& dbaas = stacks["stacks/dbaas"];
  EXPECT_EQ(dbaas["plan"].value("add", -1), 1) << dbaas.dump(2);  // replace = add + destroy
  EXPECT_EQ(dbaas["plan"].value("change", -1), 1);
  EXPECT_EQ(dbaas["plan"].value("destroy", -1), 1);
  std::set<std::string> addresses;
  for (const auto& ch : dbaas["plan"]["changes"])
    addresses.insert(ch.value("action", "") + " " + ch.value("address", ""));
  EXPECT_EQ(addresses,
            (std::set<std::string>{"update helm_release.this", "replace kubernetes_secret.db"}));
  EXPECT_TRUE(dbaas["drifting_since"].is_number());
  EXPECT_TRUE(dbaas["last_clean"].is_number());  // the clean run before
  const json& grafana = stacks["stacks/grafana"];
  EXPECT_EQ(grafana["plan"].value("add", -1), 1);
  EXPECT_EQ(grafana["plan"]["changes"][0].value("address", ""), "kubernetes_config_map.dashboards");
  const json& cnpg = stacks["stacks/cnpg"];
  EXPECT_EQ(cnpg.value("line", ""),
            "ERROR: Cannot read PG credentials from Vault. Vault output follows:");
  EXPECT_EQ(cnpg.value("rule", ""), "builtin.fatal.pg-credentials");
  EXPECT_FALSE(stacks["stacks/vault"].value("reason", "").empty());

  // The text report: errors first, then drift, with counts and addresses.
  const auto text = c.cli({"drift"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("pipeline drift (schedule nightly): last completed run " +
                          std::to_string(found_run) + " (failed)"),
            std::string::npos)
      << text.out;
  const auto err_at = text.out.find("error    stacks/cnpg");
  const auto drift_at = text.out.find("drift    stacks/dbaas");
  ASSERT_NE(err_at, std::string::npos) << text.out;
  ASSERT_NE(drift_at, std::string::npos) << text.out;
  EXPECT_LT(err_at, drift_at);
  EXPECT_NE(text.out.find("1 to add, 1 to change, 1 to destroy; drifting since"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("replace kubernetes_secret.db"), std::string::npos) << text.out;

  // Alerts: the newly drifted stacks, and separately the error.
  const std::string drift_alert = wait_text(receiver, "drift in 2 stacks");
  ASSERT_FALSE(drift_alert.empty()) << ::testing::PrintToString(texts(receiver));
  EXPECT_NE(drift_alert.find("stacks/dbaas (1 to add, 1 to change, 1 to destroy)"),
            std::string::npos)
      << drift_alert;
  EXPECT_NE(drift_alert.find("stacks/grafana"), std::string::npos) << drift_alert;
  EXPECT_EQ(drift_alert.find("stacks/cnpg"), std::string::npos) << drift_alert;
  const std::string error_alert = wait_text(receiver, "drift check failed in 1 stack");
  ASSERT_FALSE(error_alert.empty()) << ::testing::PrintToString(texts(receiver));
  EXPECT_NE(error_alert.find("stacks/cnpg: ERROR: Cannot read PG credentials from Vault"),
            std::string::npos)
      << error_alert;

  // Fixed: the changes are reverted and the credentials work again.
  fs::remove(c.stub_state() + "/drift/stacks__dbaas");
  fs::remove(c.stub_state() + "/drift/stacks__grafana");
  const auto fixed = drift_run(c);
  ASSERT_EQ(fixed.value("status", ""), "success") << fixed.dump(2);
  for (const auto& [name, s] : report_stacks(c)) {
    if (name == "stacks/vault") continue;
    EXPECT_EQ(s.value("state", ""), "clean") << name;
    EXPECT_EQ(s.value("last_clean", 0LL), s.value("at", -1LL)) << name;
  }
  const std::string recovered = wait_text(receiver, "clean again");
  ASSERT_FALSE(recovered.empty()) << ::testing::PrintToString(texts(receiver));
  for (const char* s : {"stacks/dbaas", "stacks/grafana", "stacks/cnpg"})
    EXPECT_NE(recovered.find(s), std::string::npos) << recovered;
  // The first clean run said nothing: only the three alerts above were sent.
  EXPECT_EQ(texts(receiver).size(), 3u) << ::testing::PrintToString(texts(receiver));
}

}  // namespace
}  // namespace stackrun::e2e
