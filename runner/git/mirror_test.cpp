// Integration: mirrors and agent caches fetched over real HTTP from `git http-backend` on
// 127.0.0.1 (tests/support/git_http_server.hpp), with and without basic auth.
#include "runner/git/mirror.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runner/git/repo.hpp"
#include "tests/support/git_http_server.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::git {
namespace {

namespace fs = std::filesystem;
using testing::GitHttpServer;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

constexpr const char* kToken = "tok-3f9a1c7e55d2";

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every file under `dir` whose bytes contain `needle` (config, FETCH_HEAD, refs, packs...).
std::vector<std::string> files_containing(const fs::path& dir, const std::string& needle) {
  std::vector<std::string> hits;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return hits;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && slurp(e.path()).find(needle) != std::string::npos)
      hits.push_back(e.path().string());
  return hits;
}

// A work repository <tmp>/work on main and its bare copy <tmp>/served/infra.git, which the
// HTTP server serves; publish() pushes new commits of work to the served copy.
class MirrorTest : public ::testing::Test {
 protected:
  std::string git(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv, "", std::chrono::seconds(60), env_);
    EXPECT_EQ(r.exit_code, 0) << "git failed: " << r.err;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  std::string commit(const std::string& file, const std::string& content) {
    write_file(fs::path(work_) / file, content);
    git({"-C", work_, "add", "-A"});
    git({"-C", work_, "commit", "-q", "-m", "change " + file});
    return git({"-C", work_, "rev-parse", "HEAD"});
  }
  void publish() { git({"-C", work_, "push", "-q", served_ + "/infra.git", "main"}); }

  void SetUp() override {
    fs::create_directories(work_);
    git({"-C", work_, "init", "-q", "-b", "main"});
    first_ = commit("stacks/app/terragrunt.hcl", "one\n");
    fs::create_directories(served_);
    git({"clone", "-q", "--bare", work_, served_ + "/infra.git"});
  }
  MirrorSpec spec(const std::string& url, Credentials creds = {}) {
    return MirrorSpec{"infra", url, std::move(creds), mirrors_};
  }

  TempDir tmp_{"stackrun-mirror"};
  std::string work_ = (tmp_.path() / "work").string();
  std::string served_ = (tmp_.path() / "served").string();
  std::string mirrors_ = (tmp_.path() / "state" / "mirrors").string();
  std::string first_;
  std::map<std::string, std::string> env_{
      {"GIT_AUTHOR_NAME", "Ada"},         {"GIT_AUTHOR_EMAIL", "ada@example.org"},
      {"GIT_COMMITTER_NAME", "Ada"},      {"GIT_COMMITTER_EMAIL", "ada@example.org"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
};

TEST(CredentialsTest, DescribeAndPrintNeverShowTheSecret) {
  const auto token = Credentials::token(kToken);
  EXPECT_EQ(token.describe(), "token for user x-access-token");
  EXPECT_EQ(Credentials::token(kToken, "ci-bot").describe(), "token for user ci-bot");
  EXPECT_EQ(Credentials::ssh_key("/k/id_ed25519", "", "pass-phrase").describe(),
            "ssh key /k/id_ed25519 for user git");
  EXPECT_EQ(Credentials().describe(), "none");
  std::ostringstream os;
  os << token << Credentials::ssh_key("/k", "git", "pass-phrase");
  EXPECT_EQ(os.str(), "token for user x-access-tokenssh key /k for user git");
}

TEST(CredentialsTest, RedactUrlAndRefuseUrlsWithAPassword) {
  struct Row {
    std::string url, redacted, error;
  };
  const std::vector<Row> rows = {
      {"https://h/r.git", "https://h/r.git", ""},
      {"https://bot@h/r.git", "https://***@h/r.git", ""},
      {"ssh://git@h:22/r.git", "ssh://***@h:22/r.git", ""},
      {"git@h:org/r.git", "git@h:org/r.git", ""},
      {"/srv/git/r.git", "/srv/git/r.git", ""},
      {"https://h/r.git?x=a@b", "https://h/r.git?x=a@b", ""},
      {"https://u:secret@h/r.git", "https://***@h/r.git",
       "repository URL https://***@h/r.git contains a password: remove it from the URL and "
       "configure a token"},
      {"http://:secret@h:8080", "http://***@h:8080",
       "repository URL http://***@h:8080 contains a password: remove it from the URL and "
       "configure a token"},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(redact_url(row.url), row.redacted) << row.url;
    const Status s = check_url_has_no_secret(row.url);
    EXPECT_EQ(s.ok() ? "" : s.error(), row.error) << row.url;
  }
}

TEST_F(MirrorTest, FetchesOverHttpWithoutAuthAndSkipsTheForgeWhenTheCommitIsThere) {
  GitHttpServer server(served_);
  auto got = fetch_into_mirror(spec(server.url("infra.git")), first_.substr(0, 12));
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->path, mirrors_ + "/infra.git");
  EXPECT_EQ(got->commit, first_);
  EXPECT_TRUE(got->fetched);
  auto repo = open_repo(got->path);
  ASSERT_TRUE(repo.ok()) << repo.error();
  EXPECT_EQ(*(*repo)->read_file(first_, "stacks/app/terragrunt.hcl"), "one\n");
  const std::size_t asked = server.requests().size();
  EXPECT_GE(asked, 2u);  // info/refs, then upload-pack

  auto again = fetch_into_mirror(spec(server.url("infra.git")), first_);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_FALSE(again->fetched);
  EXPECT_EQ(again->commit, first_);
  EXPECT_EQ(server.requests().size(), asked);
}

TEST_F(MirrorTest, ANewCommitIsFetchedIntoTheExistingMirror) {
  GitHttpServer server(served_);
  auto got = fetch_into_mirror(spec(server.url("infra.git")), first_);
  ASSERT_TRUE(got.ok()) << got.error();
  write_file(fs::path(got->path) / "stackrun-marker", "kept\n");  // gone if re-cloned
  const std::string second = commit("stacks/db/terragrunt.hcl", "two\n");
  publish();

  auto next = fetch_into_mirror(spec(server.url("infra.git")), second);
  ASSERT_TRUE(next.ok()) << next.error();
  EXPECT_TRUE(next->fetched);
  EXPECT_EQ(next->commit, second);
  EXPECT_TRUE(fs::exists(fs::path(got->path) / "stackrun-marker"));
  auto repo = open_repo(next->path);
  ASSERT_TRUE(repo.ok()) << repo.error();
  EXPECT_EQ(*(*repo)->read_file(second, "stacks/db/terragrunt.hcl"), "two\n");
  EXPECT_EQ(*(*repo)->resolve("main"), second);
}

TEST_F(MirrorTest, BasicAuthWithTheRightTokenLeavesNoSecretOnDisk) {
  GitHttpServer server(served_, GitHttpServer::BasicAuth{"x-access-token", kToken});
  auto got = fetch_into_mirror(spec(server.url("infra.git"), Credentials::token(kToken)), first_);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->commit, first_);
  const auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.front().status, 401);  // asked, then answered
  EXPECT_EQ(requests.back().status, 200);
  EXPECT_EQ(files_containing(tmp_.path() / "state", kToken), std::vector<std::string>{});
  EXPECT_NE(slurp(got->path + "/config").find(server.url("infra.git")), std::string::npos);

  // A second forge account name: the user is sent as configured.
  GitHttpServer bot(served_, GitHttpServer::BasicAuth{"ci-bot", kToken});
  auto as_bot = fetch_into_mirror(
      MirrorSpec{"infra-bot", bot.url("infra.git"), Credentials::token(kToken, "ci-bot"), mirrors_},
      first_);
  EXPECT_TRUE(as_bot.ok()) << as_bot.error();
}

TEST_F(MirrorTest, WrongOrMissingTokenFailsNamingTheUrlOnly) {
  GitHttpServer server(served_, GitHttpServer::BasicAuth{"x-access-token", kToken});
  const std::string url = server.url("infra.git");
  auto wrong = fetch_into_mirror(spec(url, Credentials::token("not-the-token")), first_);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error(), "authentication failed for " + url +
                               ": the server rejected the token for user x-access-token");
  auto missing = fetch_into_mirror(spec(url), first_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "authentication failed for " + url +
                                 ": the server asks for credentials and none are configured");
  EXPECT_EQ(files_containing(tmp_.path() / "state", "not-the-token"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(mirrors_ + "/infra.git"));

  // The fetch into an existing mirror fails the same way.
  ASSERT_TRUE(fetch_into_mirror(spec(url, Credentials::token(kToken)), first_).ok());
  const std::string second = commit("b.txt", "b\n");
  publish();
  auto stale = fetch_into_mirror(spec(url, Credentials::token("not-the-token")), second);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error(), "authentication failed for " + url +
                               ": the server rejected the token for user x-access-token");
  EXPECT_EQ(files_containing(tmp_.path() / "state", kToken), std::vector<std::string>{});
}

TEST_F(MirrorTest, UnknownCommitAndBadInputsAreClearErrors) {
  GitHttpServer server(served_);
  const std::string url = server.url("infra.git");
  const std::string ghost = "0123456789abcdef0123456789abcdef01234567";
  auto missing = fetch_into_mirror(spec(url), ghost);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "commit " + ghost + " is not on any branch or tag of " + url +
                                 " (fetched into " + mirrors_ + "/infra.git)");

  const std::size_t asked = server.requests().size();
  const std::string with_password = "http://u:" + std::string(kToken) +
                                    "@127.0.0.1:" + std::to_string(server.port()) + "/infra.git";
  auto leaked = fetch_into_mirror(spec(with_password), first_);
  ASSERT_FALSE(leaked.ok());
  EXPECT_EQ(leaked.error(), "repository URL http://***@127.0.0.1:" + std::to_string(server.port()) +
                                "/infra.git contains a password: remove it from the URL and "
                                "configure a token");
  EXPECT_EQ(server.requests().size(), asked);

  auto bad_name = fetch_into_mirror(MirrorSpec{"../infra", url, {}, mirrors_}, first_);
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error(),
            "repo name \"../infra\" cannot name a mirror: use letters, digits, '.', '_' and '-', "
            "not starting with '.'");
}

TEST_F(MirrorTest, LocalPathsAreStillAccepted) {
  auto got = fetch_into_mirror(spec(served_ + "/infra.git"), first_);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->commit, first_);
}

TEST_F(MirrorTest, AgentCacheFetchesAndChecksOutFromTheSameHttpUrl) {
  GitHttpServer server(served_, GitHttpServer::BasicAuth{"x-access-token", kToken});
  const std::string cache = (tmp_.path() / "agent" / "cache.git").string();
  const auto creds = Credentials::token(kToken);
  ASSERT_TRUE(ensure_commit(server.url("infra.git"), cache, first_, creds).ok());
  const std::string second = commit("stacks/app/terragrunt.hcl", "two\n");
  publish();
  const Status fetched = ensure_commit(server.url("infra.git"), cache, second, creds);
  ASSERT_TRUE(fetched.ok()) << fetched.error();
  const std::string dest = (tmp_.path() / "ws").string();
  ASSERT_TRUE(checkout_commit(cache, second, dest).ok());
  EXPECT_EQ(slurp(fs::path(dest) / "stacks/app/terragrunt.hcl"), "two\n");
  EXPECT_EQ(files_containing(tmp_.path() / "agent", kToken), std::vector<std::string>{});

  const Status denied = ensure_commit(server.url("infra.git"),
                                      (tmp_.path() / "agent" / "other.git").string(), first_);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error(), "authentication failed for " + server.url("infra.git") +
                                ": the server asks for credentials and none are configured");
}

// The helper itself, against the git CLI, which sends gzip-encoded and chunked request bodies
// (libgit2 1.5 sends neither on fetch): a large negotiation is gzipped, and one over
// http.postBuffer is streamed chunked.
TEST_F(MirrorTest, ServerHandlesTheGitCliWithGzipAndChunkedBodies) {
  // 1,500 distinct commits on their own branches: ~75 KB of "want" lines, over git's smallest
  // allowed http.postBuffer (64 KiB), so that clone streams its request chunked.
  std::string stream;
  for (int i = 0; i < 1500; ++i) {
    stream += "commit refs/heads/b" + std::to_string(i) +
              "\ncommitter Ada <ada@example.org> 1700000000 +0000\ndata 2\n" +
              std::to_string(i % 10) + "\nfrom " + first_ + "\n\n";
  }
  const auto imported =
      run_command({"git", "--git-dir", served_ + "/infra.git", "fast-import", "--quiet"}, stream,
                  std::chrono::seconds(120), env_);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  GitHttpServer server(served_, GitHttpServer::BasicAuth{"x-access-token", kToken});
  const std::string header =
      "Authorization: Basic " + testing::base64(std::string("x-access-token:") + kToken);
  const std::string gz = (tmp_.path() / "gz").string();
  git({"-c", "http.extraHeader=" + header, "clone", "-q", "--mirror", server.url("infra.git"), gz});
  const std::string chunked = (tmp_.path() / "chunked").string();
  git({"-c", "http.extraHeader=" + header, "-c", "http.postBuffer=65536", "clone", "-q", "--mirror",
       server.url("infra.git"), chunked});
  EXPECT_EQ(git({"--git-dir", chunked, "rev-parse", "main"}), first_);
  bool saw_gzip = false, saw_chunked = false;
  for (const auto& r : server.requests()) {
    EXPECT_EQ(r.status, 200) << r.method << " " << r.target;
    saw_gzip = saw_gzip || r.content_encoding == "gzip";
    saw_chunked = saw_chunked || r.chunked;
  }
  EXPECT_TRUE(saw_gzip);
  EXPECT_TRUE(saw_chunked);
}

TEST(CredentialsTest, RemoteUrlsAndWhereATokenMayGo) {
  struct Row {
    std::string url;
    bool remote;
    std::string token_error;  // check_credentials_transport with a token
  };
  const std::string clear =
      " over plain http (it would cross the network in clear): use an https:// URL";
  const std::vector<Row> rows = {
      {"/srv/git/infra", false, ""},
      {"../infra", false, ""},
      {"infra", false, ""},
      {"./a:b", false, ""},
      {"file:///srv/git/infra.git", true, ""},
      {"https://git.example.com/ops/infra.git", true, ""},
      {"ssh://git@git.example.com/ops/infra.git", true, ""},
      {"git@git.example.com:ops/infra.git", true, ""},
      {"http://127.0.0.1:3000/infra.git", true, ""},
      {"http://127.1.2.3/infra.git", true, ""},
      {"HTTP://LocalHost:3000/infra.git", true, ""},
      {"http://[::1]:3000/infra.git", true, ""},
      {"http://bot@localhost/infra.git", true, ""},
      {"http://git.example.com/infra.git", true,
       "refusing to send a token to http://git.example.com/infra.git" + clear},
      {"http://bot@127.0.0.1.evil.example/infra.git", true,
       "refusing to send a token to http://***@127.0.0.1.evil.example/infra.git" + clear},
      {"http://localhost.evil.example/infra.git", true,
       "refusing to send a token to http://localhost.evil.example/infra.git" + clear},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(is_remote_url(row.url), row.remote) << row.url;
    const Status s = check_credentials_transport(row.url, Credentials::token(kToken));
    EXPECT_EQ(s.ok() ? "" : s.error(), row.token_error) << row.url;
    EXPECT_TRUE(check_credentials_transport(row.url, Credentials()).ok()) << row.url;
  }
}

TEST_F(MirrorTest, RefreshFetchesAMovedBranchWhoseCommitIsUnknown) {
  GitHttpServer server(served_, GitHttpServer::BasicAuth{"x-access-token", kToken});
  const auto creds = Credentials::token(kToken);
  auto made = refresh_mirror(spec(server.url("infra.git"), creds));
  ASSERT_TRUE(made.ok()) << made.error();
  EXPECT_EQ(*made, mirrors_ + "/infra.git");
  EXPECT_EQ(*(*open_repo(*made))->resolve("main"), first_);
  const std::string second = commit("stacks/db/terragrunt.hcl", "two\n");
  publish();
  auto again = refresh_mirror(spec(server.url("infra.git"), creds));
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(*(*open_repo(*again))->resolve("main"), second);
  auto wrong = refresh_mirror(spec(server.url("infra.git"), Credentials::token("nope")));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error(), "authentication failed for " + server.url("infra.git") +
                               ": the server rejected the token for user x-access-token");
}

TEST(GitHttpServerTest, Base64) {
  EXPECT_EQ(testing::base64(""), "");
  EXPECT_EQ(testing::base64("f"), "Zg==");
  EXPECT_EQ(testing::base64("fo"), "Zm8=");
  EXPECT_EQ(testing::base64("foo"), "Zm9v");
  EXPECT_EQ(testing::base64("x-access-token:t"), "eC1hY2Nlc3MtdG9rZW46dA==");
}

}  // namespace
}  // namespace stackrun::git
