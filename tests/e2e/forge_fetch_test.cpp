// A push flow against a repo on a "forge": the sample repo served over real smart HTTP by
// `git http-backend` on 127.0.0.1 behind basic auth (tests/support/git_http_server.hpp). A real
// `stackrun server --config` whose repo's clone URL is that http URL with a token file fetches
// the pushed commit into its mirror, plans and fans out; real agents given the same token
// file (--git-token-file) fetch the commit from the same URL and apply it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runner/forge/signature.hpp"
#include "runner/http/http.hpp"
#include "tests/e2e/harness.hpp"
#include "tests/support/git_http_server.hpp"

namespace stackrun::e2e {
namespace {

namespace fs = std::filesystem;

const char* const kPayloadAfter = "ef98532add3b2feb7a137426bba1248724367df5";
const char* const kToken = "forge-tok-4b7e19d2a0c5";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string git(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = testing::run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << "git failed: " << r.err;
  return r.out;
}

// The sample repo's bare copy served at `url` with basic auth (user x-access-token, kToken),
// and a server configuration whose repo "forge-infra" fetches it with the token in
// `server_token` (its own repo name: the harness registers "infra" as the local path).
struct Forge {
  explicit Forge(Cluster& cluster, const std::string& server_token = kToken) : c(cluster) {
    fs::create_directories(served);
    git({"clone", "-q", "--bare", c.repo(), served + "/infra.git"});
    const std::vector<std::pair<std::string, std::string>> tokens = {
        {token_file, kToken}, {c.root() + "/server-token", server_token}};
    for (const auto& [file, text] : tokens) {
      testing::write_file(file, text + "\n");
      ::chmod(file.c_str(), 0600);
    }
    config = c.use_server_config("forge-infra", url, "", "        token: {file: server-token}\n");
  }
  // Commits a change to two stacks, publishes it to the forge and posts its signed push
  // delivery; returns the commit.
  std::string push() {
    const std::string sha =
        c.commit_change({"stacks/grafana/terragrunt.hcl", "stacks/immich/terragrunt.hcl"}, "bump");
    git({"-C", c.repo(), "push", "-q", served + "/infra.git", "master"});
    std::string body = replace_all(
        slurp(std::string(STACKRUN_SOURCE_DIR) + "/tests/data/webhooks/forgejo-HookPush.json"),
        kPayloadAfter, sha);
    body = replace_all(body, "\"refs/heads/main\"", "\"refs/heads/master\"");
    http::Client hook(c.server_url());
    hook.set_header("X-Forgejo-Event", "push");
    hook.set_header("X-Forgejo-Delivery", "forge-fetch-" + sha.substr(0, 8));
    hook.set_header("X-Forgejo-Signature", forge::hmac_sha256_hex("s3cret", body));
    auto r = hook.request("POST", "/hooks/infra-forgejo", body);
    EXPECT_TRUE(r) << r.error();
    if (r) {
      EXPECT_EQ(r->status, 202) << r->body;
    }
    return sha;
  }

  Cluster& c;
  std::string served = c.root() + "/served";
  testing::GitHttpServer server{served,
                                testing::GitHttpServer::BasicAuth{"x-access-token", kToken}};
  std::string url = server.url("infra.git");
  std::string token_file = c.root() + "/agent-git-token";
  std::string config = c.root() + "/server.yml";
};

TEST(E2eForgeFetch, ServerAndAgentsFetchAPushedCommitFromAnHttpForgeWithAToken) {
  Cluster c;
  Forge f(c);
  c.set_server_args({"--config", f.config});
  c.start_server();
  c.set_agent_args({"--git-token-file", f.token_file});
  c.start_agent("a1");
  c.start_agent("a2");
  const std::string sha = f.push();
  const std::string url = f.url;
  testing::GitHttpServer& forge_git = f.server;

  http::Client op(c.server_url(), c.operator_token());
  nlohmann::json runs;
  for (int i = 0; i < 600; ++i) {  // bounded: 60 s (the fetch happens before the run exists)
    auto list = op.request("GET", "/api/v1/runs");
    if (list && list->status == 200) {
      runs = nlohmann::json::parse(list->body)["runs"];
      if (!runs.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(runs.size(), 1u) << runs.dump(2) << slurp(c.root() + "/server.log");
  const auto run = c.wait_run(runs[0]["id"].get<long long>());
  ASSERT_EQ(run.value("status", ""), "success") << run.dump(2);
  EXPECT_EQ(run.value("commit", ""), sha);
  std::vector<std::string> applied;
  for (const auto& j : run["jobs"])
    if (j.value("status", "") == "success") applied.push_back(j.value("label", ""));
  EXPECT_EQ(applied, (std::vector<std::string>{"grafana", "immich"})) << run.dump(2);

  // The server fetched into its mirror beside the database, with the token.
  const std::string server_log = slurp(c.root() + "/server.log");
  EXPECT_NE(server_log.find("repo forge-infra: fetched commit " + sha.substr(0, 12) + " from " +
                            url + " into " + c.root() + "/mirrors/1-forge-infra.git" +
                            " (credentials: token for user x-access-token)"),
            std::string::npos)
      << server_log;
  // The agents fetched from the same URL (the server's clone plus at least one agent's).
  int uploads = 0;
  for (const auto& q : forge_git.requests())
    uploads += q.method == "POST" && q.target == "/infra.git/git-upload-pack" && q.status == 200;
  EXPECT_GE(uploads, 2);
  bool agent_cache = false;
  const std::string port_tail = std::to_string(forge_git.port()) + "_infra_git-";
  for (const std::string agent : {"a1", "a2"}) {
    const fs::path cache = c.root() + "/agents/" + agent + "/cache";
    std::error_code ec;
    if (!fs::is_directory(cache, ec)) continue;
    for (const auto& e : fs::directory_iterator(cache))
      agent_cache =
          agent_cache || e.path().filename().string().find(port_tail) != std::string::npos;
  }
  EXPECT_TRUE(agent_cache);
  // The token is in no log.
  for (const std::string log : {"server.log", "agent-a1.log", "agent-a2.log"})
    EXPECT_EQ(slurp(c.root() + "/" + log).find(kToken), std::string::npos) << log;
}

TEST(E2eForgeFetch, AFetchRefusedByTheForgeIsTheDeliverysErrorWithoutTheToken) {
  const std::string wrong = "wrong-tok-81d0f3";
  Cluster c;
  Forge f(c, wrong);
  c.set_server_args({"--config", f.config});
  c.start_server();
  f.push();
  http::Client op(c.server_url(), c.operator_token());
  nlohmann::json delivery = nlohmann::json::object();
  for (int i = 0; i < 600 && delivery.value("error", "").empty(); ++i) {  // bounded: 60 s
    auto list = op.request("GET", "/api/v1/deliveries");
    if (list && list->status == 200) {
      const auto all = nlohmann::json::parse(list->body)["deliveries"];
      if (all.size() == 1) delivery = all[0];
    }
    if (delivery.value("error", "").empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(delivery.value("outcome", ""), "accept") << delivery.dump(2);
  EXPECT_EQ(delivery.value("error", ""),
            "repo forge-infra: authentication failed for " + f.url +
                ": the server rejected the token for user x-access-token");
  EXPECT_FALSE(delivery.contains("run") && !delivery["run"].is_null()) << delivery.dump(2);
  auto runs = op.request("GET", "/api/v1/runs");
  ASSERT_TRUE(runs);
  EXPECT_EQ(nlohmann::json::parse(runs->body)["runs"].size(), 0u);
  const std::string server_log = slurp(c.root() + "/server.log");
  EXPECT_NE(server_log.find("created no run: repo forge-infra: authentication failed"),
            std::string::npos)
      << server_log;
  EXPECT_EQ(server_log.find(wrong), std::string::npos);
}

}  // namespace
}  // namespace stackrun::e2e
