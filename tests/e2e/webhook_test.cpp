// Webhook intake end to end: a real `stackrun server --config` whose repo's clone URL is the
// sample repo, a Forgejo push delivery signed as Forgejo signs it, and real agents applying
// the run it starts.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "runner/forge/signature.hpp"
#include "runner/http/http.hpp"
#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

const char* const kPayloadAfter = "ef98532add3b2feb7a137426bba1248724367df5";

std::string read_payload() {
  std::ifstream in(std::string(STACKRUN_SOURCE_DIR) + "/tests/data/webhooks/forgejo-HookPush.json",
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

TEST(E2eWebhook, ASignedForgejoPushStartsOneRunThatTheAgentsApply) {
  Cluster c;
  c.use_server_config("infra", c.repo());
  c.start_server();
  c.start_agent("a1");
  const std::string sha = c.commit_change({"stacks/dbaas/terragrunt.hcl"}, "bump dbaas");
  std::string body = replace_all(read_payload(), kPayloadAfter, sha);
  body = replace_all(body, "\"refs/heads/main\"", "\"refs/heads/master\"");

  http::Client forge(c.server_url());
  forge.set_header("X-Forgejo-Event", "push");
  forge.set_header("X-Forgejo-Delivery", "e2e-1");
  forge.set_header("X-Forgejo-Signature", forge::hmac_sha256_hex("s3cret", body));
  auto r = forge.request("POST", "/hooks/infra-forgejo", body);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->status, 202) << r->body;
  // The same delivery again: acknowledged, nothing new.
  auto again = forge.request("POST", "/hooks/infra-forgejo", body);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;

  http::Client op(c.server_url(), c.operator_token());
  nlohmann::json runs;
  for (int i = 0; i < 300; ++i) {  // bounded: 30 s
    auto list = op.request("GET", "/api/v1/runs");
    if (list && list->status == 200) {
      runs = nlohmann::json::parse(list->body)["runs"];
      if (!runs.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(runs.size(), 1u) << runs.dump(2);
  const auto run = c.wait_run(runs[0]["id"].get<long long>());
  ASSERT_EQ(run.value("status", ""), "success") << run.dump(2);
  EXPECT_EQ(run.value("commit", ""), sha) << run.dump(2);
  std::vector<std::string> applied;
  for (const auto& j : run["jobs"])
    if (j.value("status", "") == "success") applied.push_back(j.value("label", ""));
  EXPECT_EQ(applied, (std::vector<std::string>{"dbaas"}));
  // The configuration registered the repo at start-up (before the harness's own registration).
  std::ifstream log(c.root() + "/server.log");
  std::stringstream server_log;
  server_log << log.rdbuf();
  EXPECT_NE(server_log.str().find("registered repo infra (" + c.repo() + ")"), std::string::npos)
      << server_log.str();
  // Still one run after the repeated delivery.
  auto list = op.request("GET", "/api/v1/runs");
  ASSERT_TRUE(list);
  EXPECT_EQ(nlohmann::json::parse(list->body)["runs"].size(), 1u);
}

}  // namespace
}  // namespace stackrun::e2e
