// Three pushes in quick succession while an apply is running, delivered as signed webhooks by
// `stackrun hook send`: the running apply is never signalled, the newest run applies every
// changed stack at the newest commit, nothing is applied at the intermediate commit, no stack
// is dropped. Also `stackrun deliveries` and the superseded run's `show` / `logs` exit code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

std::set<std::string> labels_with(const nlohmann::json& run, const std::string& status) {
  std::set<std::string> out;
  for (const auto& j : run["jobs"])
    if (j.value("status", "") == status) out.insert(j.value("label", ""));
  return out;
}

class E2eSupersede : public ::testing::Test {
 protected:
  Cluster c;
  std::string config;

  void SetUp() override {
    config = c.use_server_config("infra", c.repo());
    c.start_server();
    c.start_agent("a1");
  }

  // `stackrun hook send` for the push of `after`; returns the run it started.
  long long push(const std::string& before, const std::string& after) {
    std::vector<std::string> args = {
        "hook",          "send",     "--config",     config,    "--source",
        "infra-forgejo", "--server", c.server_url(), "--after", after};
    if (!before.empty()) args.insert(args.end(), {"--before", before});
    auto r = c.cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("-> HTTP 202 "), std::string::npos) << r.out;
    // The run is created by the server's worker after the answer: find it by commit.
    for (int i = 0; i < 150; ++i) {  // bounded: 30 s
      auto runs = c.cli({"runs", "--json"});
      if (runs.exit_code == 0) {
        const auto list = nlohmann::json::parse(runs.out);  // kept alive for the loop
        for (const auto& run : list["runs"])
          if (run.value("commit", "") == after) return run["id"].get<long long>();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    auto runs = c.cli({"runs", "--json"});
    ADD_FAILURE() << "no run for " << after << ": " << runs.exit_code << " " << runs.out
                  << runs.err;
    return 0;
  }
};

TEST_F(E2eSupersede, ThreeQuickPushesWhileAnApplyRunsLeaveTheNewestCommitApplied) {
  // push 1 changes dbaas (platform tier, gated: it runs until the test opens the gate) and
  // grafana (apps tier, waits for the platform tier).
  c.add_fault("stacks/dbaas", "gate push1");
  const std::string sha1 =
      c.commit_change({"stacks/dbaas/terragrunt.hcl", "stacks/grafana/terragrunt.hcl"}, "one");
  const long long run1 = push("", sha1);
  ASSERT_TRUE(c.wait_until(run1, [](const nlohmann::json& r) {
    return job_of(r, "dbaas").value("status", "") == "running";
  }));
  const std::string sha2 = c.commit_change({"stacks/immich/terragrunt.hcl"}, "two");
  const long long run2 = push(sha1, sha2);
  const std::string sha3 = c.commit_change({"stacks/paperless/terragrunt.hcl"}, "three");
  const long long run3 = push(sha2, sha3);
  ASSERT_TRUE(run1 && run2 && run3);

  // While dbaas is still running at sha1: run 1 lost grafana to run 2, run 2 lost everything
  // to run 3 and ended; nothing ran at sha2.
  auto r1 = c.show(run1);
  EXPECT_EQ(job_of(r1, "dbaas").value("status", ""), "running");
  EXPECT_EQ(job_of(r1, "grafana").value("status", ""), "superseded");
  EXPECT_EQ(r1.value("superseded_by", 0LL), run2);
  auto r2 = c.show(run2);
  EXPECT_EQ(r2.value("status", ""), "superseded") << r2.dump(2);
  EXPECT_EQ(r2.value("superseded_by", 0LL), run3);
  for (const auto& j : r2["jobs"]) EXPECT_TRUE(j["attempts"].empty()) << j.dump();

  std::filesystem::create_directories(c.stub_state() + "/gates");
  testing::write_file(c.stub_state() + "/gates/push1", "");
  const auto last = c.wait_run(run3);
  ASSERT_EQ(last.value("status", ""), "success") << last.dump(2);
  EXPECT_EQ(last.value("commit", ""), sha3);
  // Every stack any push changed is applied by the newest run, at the newest commit.
  const auto applied = labels_with(last, "success");
  for (const char* s : {"dbaas", "grafana", "immich", "paperless"})
    EXPECT_TRUE(applied.count(s)) << s << " not applied by run " << run3 << ": " << last.dump(2);

  // The running apply was never signalled: it finished at sha1 in one attempt, exit 0.
  r1 = c.wait_run(run1);
  EXPECT_EQ(r1.value("status", ""), "superseded") << r1.dump(2);
  const auto& dbaas = job_of(r1, "dbaas");
  EXPECT_EQ(dbaas.value("status", ""), "success");
  ASSERT_EQ(dbaas["attempts"].size(), 1u);
  EXPECT_EQ(dbaas["attempts"][0].value("exit", -1), 0);
  c.expect_no_overlap();

  // How people see it.
  auto show = c.cli({"show", std::to_string(run1)});
  EXPECT_NE(show.out.find("superseded by run " + std::to_string(run2)), std::string::npos)
      << show.out;
  auto logs = c.cli({"logs", std::to_string(run2)});
  EXPECT_EQ(logs.exit_code, 6) << logs.err;
  EXPECT_NE(logs.out.find("superseded by run " + std::to_string(run3)), std::string::npos)
      << logs.out;
  auto deliveries = c.cli({"deliveries", "--json", "--repo", "infra"});
  ASSERT_EQ(deliveries.exit_code, 0) << deliveries.err;
  const auto list = nlohmann::json::parse(deliveries.out)["deliveries"];
  ASSERT_EQ(list.size(), 3u) << list.dump(2);
  EXPECT_EQ(list[0].value("after", ""), sha3);  // newest first
  for (const auto& d : list) {
    EXPECT_EQ(d.value("outcome", ""), "accept") << d.dump();
    EXPECT_TRUE(d["run"].is_number()) << d.dump();
  }
}

}  // namespace
}  // namespace stackrun::e2e
