// Integration: the run-creation worker planning a repo served over real smart HTTP by
// `git http-backend` on 127.0.0.1 (tests/support/git_http_server.hpp) with basic auth: the
// real RunWorker, libgit2, the server's mirror and a real SQLite file.
#include "runner/server/repo_fetch.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "runner/server/run_worker.hpp"
#include "tests/support/git_http_server.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

namespace fs = std::filesystem;
using testing::GitHttpServer;

constexpr const char* kToken = "tok-9c41d2e07b8f";
const char* const kApply = R"(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks}
steps:
  - {name: apply, command: "terragrunt apply"}
)";

// Runs what the worker posts, on the test's thread (standing in for the io thread).
struct IoQueue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> q;
  void post(std::function<void()> fn) {
    {
      std::lock_guard lk(mu);
      q.push_back(std::move(fn));
    }
    cv.notify_all();
  }
  // Runs posted functions until `done` holds; false after 60 s (a hang, not a timing check).
  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 600 && !done(); ++i) {
      std::unique_lock lk(mu);
      cv.wait_for(lk, std::chrono::milliseconds(100), [&] { return !q.empty(); });
      while (!q.empty()) {
        auto fn = std::move(q.front());
        q.pop_front();
        lk.unlock();
        fn();
        lk.lock();
      }
    }
    return done();
  }
};

// Every file under `dir` whose bytes contain `needle`.
std::vector<std::string> files_containing(const fs::path& dir, const std::string& needle) {
  std::vector<std::string> hits;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return hits;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (ss.str().find(needle) != std::string::npos) hits.push_back(e.path().string());
  }
  return hits;
}

// A work repo on main, its bare copy served over HTTP with basic auth, a store that registers
// the served URL as repo "infra", and a RunWorker that fetches with `token`.
class RepoFetchTest : public ::testing::Test {
 protected:
  std::string git(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = testing::run_command(argv, "", std::chrono::seconds(60), env_);
    EXPECT_EQ(r.exit_code, 0) << "git failed: " << r.err;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  // Commits `files` in the work repo and pushes main to the served copy; returns the sha.
  std::string push(const std::map<std::string, std::string>& files) {
    for (const auto& [path, content] : files) testing::write_file(fs::path(work_) / path, content);
    git({"-C", work_, "add", "-A"});
    git({"-C", work_, "commit", "-q", "-m", "change"});
    git({"-C", work_, "push", "-q", served_ + "/infra.git", "main"});
    return git({"-C", work_, "rev-parse", "HEAD"});
  }

  void SetUp() override {
    fs::create_directories(work_);
    git({"-C", work_, "init", "-q", "-b", "main"});
    testing::write_file(fs::path(work_) / "README", "infra\n");
    git({"-C", work_, "add", "-A"});
    git({"-C", work_, "commit", "-q", "-m", "root"});
    fs::create_directories(served_);
    git({"clone", "-q", "--bare", work_, served_ + "/infra.git"});
    server_ = std::make_unique<GitHttpServer>(served_,
                                              GitHttpServer::BasicAuth{"x-access-token", kToken});
    url_ = server_->url("infra.git");
    register_repo(url_);
  }
  void register_repo(const std::string& url) {
    auto tx = st_.begin();
    st_.upsert_repo("infra", url, "main", 1);
    tx.commit();
  }
  RepoFetch fetch() {
    RepoFetch f;
    f.mirrors_dir = mirrors_;
    f.credentials = [this](const std::string& repo) {
      EXPECT_EQ(repo, "infra");
      return git::Credentials::token(token_);
    };
    f.log = [this](const std::string& line) {
      std::lock_guard lk(log_mu_);
      log_.push_back(line);
    };
    return f;
  }
  std::vector<std::string> log() {
    std::lock_guard lk(log_mu_);
    return log_;
  }
  // Submits `req` to `worker` and serves the io queue until it is answered.
  RunsOutcome trigger(RunWorker& worker, TriggerRequest req) {
    std::optional<RunsOutcome> out;
    worker.submit(std::move(req), [&](const RunsOutcome& o) { out = o; });
    EXPECT_TRUE(io_.run_until([&] { return out.has_value(); })) << "no answer within 60 s";
    return out.value_or(RunsOutcome{{}, "no answer", false});
  }
  std::unique_ptr<RunWorker> make_worker() {
    return std::make_unique<RunWorker>(
        db_, git::open_repo, [this](std::function<void()> fn) { io_.post(std::move(fn)); },
        [this](const std::vector<store::NewRun>& runs) {
          auto tx = st_.begin();
          std::vector<store::Id> ids;
          for (const auto& r : runs) {
            ids.push_back(st_.insert_run(r, 5));
            inserted_.push_back(r);
          }
          tx.commit();
          return ids;
        },
        fetch());
  }

  testing::TempDir tmp_{"stackrun-repo-fetch"};
  std::string work_ = (tmp_.path() / "work").string();
  std::string served_ = (tmp_.path() / "served").string();
  std::string db_ = (tmp_.path() / "stackrun.db").string();
  std::string mirrors_ = (tmp_.path() / "state" / "mirrors").string();
  std::map<std::string, std::string> env_{
      {"GIT_AUTHOR_NAME", "Ada"},         {"GIT_AUTHOR_EMAIL", "ada@example.org"},
      {"GIT_COMMITTER_NAME", "Ada"},      {"GIT_COMMITTER_EMAIL", "ada@example.org"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
  store::Store st_{db_};
  std::unique_ptr<GitHttpServer> server_;
  std::string url_, token_ = kToken;
  IoQueue io_;
  std::vector<store::NewRun> inserted_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

std::vector<std::string> stacks_of(const store::NewRun& run) {
  std::vector<std::string> out;
  for (const auto& j : run.jobs) out.push_back(j.stack);
  return out;
}

TEST(MirrorName, RepoIdThenNameWithSlashesReplaced) {
  EXPECT_EQ(mirror_name(1, "infra"), "1-infra");
  EXPECT_EQ(mirror_name(12, "ops/infra.live"), "12-ops_infra.live");
  EXPECT_NE(mirror_name(3, "a/b"), mirror_name(4, "a_b"));
}

TEST_F(RepoFetchTest, PushedCommitsAreFetchedWithTheTokenAndPlannedFromTheMirror) {
  const std::string c1 = push({{".stackrun/apply.yml", kApply},
                               {"stacks/a/terragrunt.hcl", "# a1\n"},
                               {"stacks/b/terragrunt.hcl", "# b1\n"}});
  auto worker = make_worker();
  const RunsOutcome first = trigger(*worker, TriggerRequest{"infra", "push", c1, "", "", "", {}});
  ASSERT_EQ(first.error, "");
  ASSERT_EQ(inserted_.size(), 1u);
  EXPECT_EQ(inserted_[0].commit_sha, c1);
  EXPECT_EQ(stacks_of(inserted_[0]), (std::vector<std::string>{"stacks/a", "stacks/b"}));
  const std::string mirror = mirrors_ + "/1-infra.git";
  EXPECT_TRUE(fs::is_directory(mirror));
  EXPECT_EQ(log(), (std::vector<std::string>{"repo infra: fetched commit " + c1.substr(0, 12) +
                                             " from " + url_ + " into " + mirror +
                                             " (credentials: token for user x-access-token)"}));

  {  // as if the first run applied both stacks
    auto tx = st_.begin();
    for (const char* stack : {"stacks/a", "stacks/b"})
      st_.record_applied(1, stack, c1, first.runs.at(0), 6);
    tx.commit();
  }
  // A push to the served repo, then a new trigger: the new commit is fetched and planned.
  const std::string c2 = push({{"stacks/b/terragrunt.hcl", "# b2\n"}});
  const RunsOutcome second = trigger(*worker, TriggerRequest{"infra", "push", c2, "", "", "", {}});
  ASSERT_EQ(second.error, "");
  ASSERT_EQ(inserted_.size(), 2u);
  EXPECT_EQ(inserted_[1].commit_sha, c2);
  EXPECT_EQ(inserted_[1].before_commit, c1);
  EXPECT_EQ(stacks_of(inserted_[1]), (std::vector<std::string>{"stacks/b"}));

  // The same commit again: planned from the mirror without asking the forge.
  const std::size_t asked = server_->requests().size();
  ASSERT_EQ(trigger(*worker, TriggerRequest{"infra", "push", c2, "", "", "", {}}).error, "");
  EXPECT_EQ(server_->requests().size(), asked);
  EXPECT_EQ(log().size(), 2u);

  // No revision (the default branch): every branch is fetched, so a moved main is seen.
  const std::string c3 = push({{"stacks/a/terragrunt.hcl", "# a3\n"}});
  const std::size_t runs = inserted_.size();
  ASSERT_EQ(trigger(*worker, TriggerRequest{"infra", "push", "", "", "", "", {}}).error, "");
  ASSERT_EQ(inserted_.size(), runs + 1);
  EXPECT_EQ(inserted_.back().commit_sha, c3);
  EXPECT_EQ(log().back(), "repo infra: fetched every branch and tag from " + url_ + " into " +
                              mirror + " (credentials: token for user x-access-token)");
  EXPECT_EQ(files_containing(tmp_.path(), kToken), std::vector<std::string>{});
}

TEST_F(RepoFetchTest, AWrongTokenIsTheRunCreationErrorNamingTheUrlButNotTheToken) {
  const std::string c1 =
      push({{".stackrun/apply.yml", kApply}, {"stacks/a/terragrunt.hcl", "# a\n"}});
  token_ = "wrong-token-5e2a";
  auto worker = make_worker();
  const RunsOutcome o = trigger(*worker, TriggerRequest{"infra", "push", c1, "", "", "", {}});
  EXPECT_EQ(o.error, "repo infra: authentication failed for " + url_ +
                         ": the server rejected the token for user x-access-token");
  EXPECT_FALSE(o.unavailable);
  EXPECT_TRUE(o.runs.empty());
  EXPECT_TRUE(inserted_.empty());
  EXPECT_TRUE(log().empty());

  // The default branch fails the same way.
  const RunsOutcome d = trigger(*worker, TriggerRequest{"infra", "push", "", "", "", "", {}});
  EXPECT_EQ(d.error, o.error);
  EXPECT_EQ(files_containing(tmp_.path(), token_), std::vector<std::string>{});
}

TEST_F(RepoFetchTest, ALocalPathIsPlannedInPlaceWithoutAMirror) {
  const std::string c1 =
      push({{".stackrun/apply.yml", kApply}, {"stacks/a/terragrunt.hcl", "# a\n"}});
  register_repo(work_);
  auto worker = make_worker();
  const RunsOutcome o = trigger(*worker, TriggerRequest{"infra", "push", c1, "", "", "", {}});
  ASSERT_EQ(o.error, "");
  ASSERT_EQ(inserted_.size(), 1u);
  EXPECT_EQ(inserted_[0].commit_sha, c1);
  EXPECT_FALSE(fs::exists(mirrors_));
  EXPECT_TRUE(server_->requests().empty());
  EXPECT_TRUE(log().empty());
}

}  // namespace
}  // namespace stackrun::server
