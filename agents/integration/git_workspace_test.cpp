// GitWorkspaceMaker, the agent's real workspace maker, against a repo served over real smart
// HTTP by `git http-backend` on 127.0.0.1 with basic auth (tests/support/git_http_server.hpp):
// the agent's --git-token-file credentials answer the forge for a remote URL; a local path is
// read without them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agents/workspace.hpp"
#include "tests/support/git_http_server.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;
using testing::GitHttpServer;

constexpr const char* kToken = "tok-71be0c9a4d36";

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class GitWorkspaceTest : public ::testing::Test {
 protected:
  std::string git(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = testing::run_command(argv, "", std::chrono::seconds(60), env_);
    EXPECT_EQ(r.exit_code, 0) << "git failed: " << r.err;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  std::string commit(const std::string& content) {
    testing::write_file(fs::path(work_) / "stacks/app/terragrunt.hcl", content);
    git({"-C", work_, "add", "-A"});
    git({"-C", work_, "commit", "-q", "-m", "change"});
    git({"-C", work_, "push", "-q", "-f", served_ + "/infra.git", "main"});
    return git({"-C", work_, "rev-parse", "HEAD"});
  }
  void SetUp() override {
    fs::create_directories(work_);
    git({"-C", work_, "init", "-q", "-b", "main"});
    testing::write_file(fs::path(work_) / "README", "infra\n");
    git({"-C", work_, "add", "-A"});
    git({"-C", work_, "commit", "-q", "-m", "root"});
    git({"init", "-q", "--bare", served_ + "/infra.git"});
  }
  std::string ws(const std::string& name) const { return (tmp_.path() / "ws" / name).string(); }

  testing::TempDir tmp_{"stackrun-agent-git"};
  std::string work_ = (tmp_.path() / "work").string();
  std::string served_ = (tmp_.path() / "served").string();
  std::string cache_ = (tmp_.path() / "agent" / "cache").string();
  std::map<std::string, std::string> env_{
      {"GIT_AUTHOR_NAME", "Ada"},         {"GIT_AUTHOR_EMAIL", "ada@example.org"},
      {"GIT_COMMITTER_NAME", "Ada"},      {"GIT_COMMITTER_EMAIL", "ada@example.org"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
};

TEST_F(GitWorkspaceTest, ChecksOutFromAnHttpUrlWithTheAgentsToken) {
  const std::string c1 = commit("one\n");
  GitHttpServer server(served_, GitHttpServer::BasicAuth{"x-access-token", kToken});
  const std::string url = server.url("infra.git");
  GitWorkspaceMaker maker(cache_, git::Credentials::token(kToken));
  const Status made = maker.make(url, c1, ws("1"));
  ASSERT_TRUE(made.ok()) << made.error();
  EXPECT_EQ(slurp(ws("1") + "/stacks/app/terragrunt.hcl"), "one\n");
  EXPECT_TRUE(fs::is_directory(fs::path(cache_) / cache_name(url)));
  EXPECT_EQ(server.requests().front().status, 401);  // the forge asked, the token answered

  // A later commit of the same URL is fetched into the same cache.
  const std::string c2 = commit("two\n");
  const Status next = maker.make(url, c2, ws("2"));
  ASSERT_TRUE(next.ok()) << next.error();
  EXPECT_EQ(slurp(ws("2") + "/stacks/app/terragrunt.hcl"), "two\n");
  for (const auto& e : fs::recursive_directory_iterator(tmp_.path() / "agent")) {
    if (e.is_regular_file()) {
      EXPECT_EQ(slurp(e.path()).find(kToken), std::string::npos) << e.path();
    }
  }
}

TEST_F(GitWorkspaceTest, AWrongOrMissingTokenFailsNamingTheUrl) {
  const std::string c1 = commit("one\n");
  GitHttpServer server(served_, GitHttpServer::BasicAuth{"x-access-token", kToken});
  const std::string url = server.url("infra.git");
  GitWorkspaceMaker wrong(cache_, git::Credentials::token("not-it", "ci-bot"));
  const Status refused = wrong.make(url, c1, ws("1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(),
            "authentication failed for " + url + ": the server rejected the token for user ci-bot");
  GitWorkspaceMaker none(cache_);
  const Status missing = none.make(url, c1, ws("2"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "authentication failed for " + url +
                                 ": the server asks for credentials and none are configured");
}

TEST_F(GitWorkspaceTest, ALocalPathNeedsNoCredentialsAndPlainHttpOffLoopbackGetsNoToken) {
  const std::string c1 = commit("one\n");
  GitWorkspaceMaker maker(cache_, git::Credentials::token(kToken));
  const Status local = maker.make(served_ + "/infra.git", c1, ws("1"));
  ASSERT_TRUE(local.ok()) << local.error();
  EXPECT_EQ(slurp(ws("1") + "/stacks/app/terragrunt.hcl"), "one\n");
  // Refused before any connection: the name need not resolve.
  const Status clear = maker.make("http://git.example.invalid/infra.git", c1, ws("2"));
  ASSERT_FALSE(clear.ok());
  EXPECT_EQ(clear.error(),
            "refusing to send a token to http://git.example.invalid/infra.git over plain http (it "
            "would cross the network in clear): use an https:// URL");
}

}  // namespace
}  // namespace stackrun::agent
