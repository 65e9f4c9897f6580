// Integration: the libgit2 adapter against real repositories built with the git CLI.
#include "runner/git/repo.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runner/git/libgit2_util.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::git {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

// A scratch repository at <tmp>/work on branch main, with a fixed identity and clock so
// commits are reproducible and no user or system git config leaks in.
class GitRepoTest : public ::testing::Test {
 protected:
  std::string git(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"git", "-C", work_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv, "", std::chrono::seconds(60), env_);
    EXPECT_EQ(r.exit_code, 0) << "git failed: " << r.err;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  void write(const std::string& rel, const std::string& content) {
    write_file(fs::path(work_) / rel, content);
  }
  std::string commit(const std::string& message) {
    git({"add", "-A"});
    git({"commit", "-q", "--allow-empty", "-m", message});
    return git({"rev-parse", "HEAD"});
  }
  std::unique_ptr<Repo> open() {
    auto r = open_repo(work_);
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? std::move(*r) : nullptr;
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  void SetUp() override {
    fs::create_directories(work_);
    git({"init", "-q", "-b", "main"});
  }

  TempDir tmp_{"stackrun-git"};
  std::string work_ = (tmp_.path() / "work").string();
  std::map<std::string, std::string> env_{{"GIT_AUTHOR_NAME", "Ada"},
                                          {"GIT_AUTHOR_EMAIL", "ada@example.org"},
                                          {"GIT_COMMITTER_NAME", "Ada"},
                                          {"GIT_COMMITTER_EMAIL", "ada@example.org"},
                                          {"GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z"},
                                          {"GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z"},
                                          {"GIT_CONFIG_GLOBAL", "/dev/null"},
                                          {"GIT_CONFIG_NOSYSTEM", "1"}};
};

TEST_F(GitRepoTest, ResolveBranchShortShaTagAndAncestor) {
  write("a.txt", "1\n");
  const std::string first = commit("first");
  write("a.txt", "2\n");
  const std::string second = commit("second");
  git({"tag", "v1", first});
  auto repo = open();
  ASSERT_TRUE(repo);
  EXPECT_EQ(*repo->resolve("main"), second);
  EXPECT_EQ(*repo->resolve("HEAD"), second);
  EXPECT_EQ(*repo->resolve("HEAD~1"), first);
  EXPECT_EQ(*repo->resolve(first.substr(0, 7)), first);
  EXPECT_EQ(*repo->resolve(second), second);
  EXPECT_EQ(*repo->resolve("v1"), first);
}

TEST_F(GitRepoTest, ResolveUnknownRevisionNamesRepoAndRev) {
  write("a.txt", "1\n");
  commit("first");
  auto repo = open();
  ASSERT_TRUE(repo);
  auto r = repo->resolve("no-such-branch");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.error(),
      work_ + ": cannot resolve revision \"no-such-branch\": revspec 'no-such-branch' not found");
}

TEST_F(GitRepoTest, OpenMissingRepositoryFails) {
  auto r = open_repo((tmp_.path() / "nope").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.error().rfind("cannot open git repository " + (tmp_.path() / "nope").string() + ": ", 0),
      0u)
      << r.error();
}

TEST_F(GitRepoTest, ReadFileAtEachCommit) {
  write("stacks/app/terragrunt.hcl", "old\n");
  const std::string first = commit("first");
  write("stacks/app/terragrunt.hcl", "new\n");
  const std::string second = commit("second");
  auto repo = open();
  ASSERT_TRUE(repo);
  EXPECT_EQ(*repo->read_file(first, "stacks/app/terragrunt.hcl"), "old\n");
  EXPECT_EQ(*repo->read_file(second, "stacks/app/terragrunt.hcl"), "new\n");
  EXPECT_EQ(*repo->read_file("main", "stacks/app/terragrunt.hcl"), "new\n");
}

TEST_F(GitRepoTest, ReadFileErrorsNameThePathAndCommit) {
  write("stacks/app/terragrunt.hcl", "x\n");
  const std::string sha = commit("first");
  auto repo = open();
  ASSERT_TRUE(repo);
  auto missing = repo->read_file(sha, ".stackrun/apply.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(),
            work_ + ": no file \".stackrun/apply.yml\" at commit " + sha.substr(0, 7));
  auto by_branch = repo->read_file("main", "nope.txt");
  ASSERT_FALSE(by_branch.ok());
  EXPECT_EQ(by_branch.error(),
            work_ + ": no file \"nope.txt\" at commit main (" + sha.substr(0, 7) + ")");
  auto dir = repo->read_file(sha, "stacks/app");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error(),
            work_ + ": \"stacks/app\" at commit " + sha.substr(0, 7) + " is not a file");
}

TEST_F(GitRepoTest, ListFilesIsSortedAndHoldsOnlyFiles) {
  write("z.txt", "");
  write("stacks/b/terragrunt.hcl", "");
  write("stacks/a/terragrunt.hcl", "");
  write("stacks/a/modules/x.tf", "");
  write(".stackrun/apply.yml", "");
  const std::string sha = commit("files");
  auto repo = open();
  ASSERT_TRUE(repo);
  auto files = repo->list_files(sha);
  ASSERT_TRUE(files.ok()) << files.error();
  EXPECT_EQ(*files, (std::vector<std::string>{".stackrun/apply.yml", "stacks/a/modules/x.tf",
                                              "stacks/a/terragrunt.hcl", "stacks/b/terragrunt.hcl",
                                              "z.txt"}));
}

// update_checkout's `also`: a path outside the tree is refused naming it, and nothing is
// written; a git directory a job made is removed, never refused and never written.
TEST_F(GitRepoTest, UpdateCheckoutRefusesPathsOutsideTheTreeAndRemovesAJobsGitDir) {
  write("stacks/a/terragrunt.hcl", "# a\n");
  const std::string sha = commit("files");
  const std::string dest = (tmp_.path() / "ws").string();
  ASSERT_TRUE(update_checkout(work_, std::nullopt, sha, dest, {}).ok());
  for (const std::string bad : {"../outside", "stacks//a", "/etc/passwd", "stacks/./a", ""}) {
    auto r = update_checkout(work_, sha, sha, dest, {bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), "cannot update " + dest + " to " + sha + ": refusing path \"" + bad +
                             "\" (outside the tree)");
  }
  write_file(fs::path(dest) / "stacks/a/.git/HEAD", "ref: refs/heads/main\n");
  auto r = update_checkout(work_, sha, sha, dest, {"stacks/a/.git"});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, std::vector<std::string>{"stacks/a/.git"});
  EXPECT_FALSE(fs::exists(fs::path(dest) / "stacks/a/.git"));
  EXPECT_EQ(slurp(fs::path(dest) / "stacks/a/terragrunt.hcl"), "# a\n");
}

TEST_F(GitRepoTest, DiffReportsAddModifyDeleteAndRename) {
  const std::string body = "locals {\n  name = \"moved\"\n  size = 3\n  zone = \"eu\"\n}\n";
  write("keep.txt", "same\n");
  write("mod.txt", "before\n");
  write("gone.txt", "bye\n");
  write("stacks/old/main.tf", body);
  const std::string from = commit("from");
  write("mod.txt", "after\n");
  fs::remove(fs::path(work_) / "gone.txt");
  write("added.txt", "hi\n");
  git({"mv", "stacks/old", "stacks/new"});
  const std::string to = commit("to");
  auto repo = open();
  ASSERT_TRUE(repo);
  auto d = repo->diff(from, to);
  ASSERT_TRUE(d.ok()) << d.error();
  using K = ChangedPath::Kind;
  ASSERT_EQ(d->size(), 4u);
  EXPECT_EQ((*d)[0].path, "added.txt");
  EXPECT_EQ((*d)[0].kind, K::added);
  EXPECT_EQ((*d)[0].old_path, "added.txt");
  EXPECT_EQ((*d)[1].path, "gone.txt");
  EXPECT_EQ((*d)[1].kind, K::deleted);
  EXPECT_EQ((*d)[1].old_path, "gone.txt");
  EXPECT_EQ((*d)[2].path, "mod.txt");
  EXPECT_EQ((*d)[2].kind, K::modified);
  EXPECT_EQ((*d)[3].path, "stacks/new/main.tf");
  EXPECT_EQ((*d)[3].kind, K::renamed);
  EXPECT_EQ((*d)[3].old_path, "stacks/old/main.tf");
  auto none = repo->diff(to, to);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// files_before undoes a diff on list_files: for every ordered pair of these commits it gives
// exactly list_files at the older one (and at the newer one, read backwards). The commits
// cover adds, deletes, edits, a rename, a file <-> symlink type change, a file replaced by a
// directory of the same name, an executable bit, and a submodule entry added and removed
// (a commit entry, which list_files never lists).
TEST_F(GitRepoTest, FilesBeforeEqualsListingTheOlderTree) {
  std::vector<std::string> shas;
  write("keep.txt", "same\n");
  write("mod.txt", "v1\n");
  write("gone.txt", "bye\n");
  write("stacks/old/main.tf", "locals {\n  name = \"moved\"\n  size = 3\n}\n");
  write("node", "a file first\n");
  write("link", "a file first\n");
  shas.push_back(commit("one"));
  write("mod.txt", "v2\n");
  fs::remove(fs::path(work_) / "gone.txt");
  write("added/deep/x.txt", "new\n");
  git({"mv", "stacks/old", "stacks/new"});
  fs::remove(fs::path(work_) / "node");
  write("node/inside.txt", "now a directory\n");
  fs::remove(fs::path(work_) / "link");
  fs::create_symlink("keep.txt", fs::path(work_) / "link");
  shas.push_back(commit("two"));
  chmod((fs::path(work_) / "mod.txt").c_str(), 0755);
  git({"update-index", "--add", "--cacheinfo", "160000," + shas[0] + ",vendor/sub"});
  git({"commit", "-q", "-m", "three"});
  shas.push_back(git({"rev-parse", "HEAD"}));
  git({"rm", "-q", "--cached", "vendor/sub"});
  write("vendor/sub", "a file where the submodule was\n");
  shas.push_back(commit("four"));
  auto repo = open();
  ASSERT_TRUE(repo);
  for (const auto& from : shas) {
    for (const auto& to : shas) {
      auto files_from = repo->list_files(from), files_to = repo->list_files(to);
      auto d = repo->diff(from, to);
      ASSERT_TRUE(files_from.ok() && files_to.ok() && d.ok());
      EXPECT_EQ(files_before(*files_to, *d), *files_from) << from << ".." << to;
    }
  }
  // Not vacuous: the trees differ, and a submodule is among the changes.
  EXPECT_NE(*repo->list_files(shas[0]), *repo->list_files(shas[1]));
  const auto with_sub = *repo->diff(shas[1], shas[2]);
  EXPECT_TRUE(std::any_of(with_sub.begin(), with_sub.end(), [](const ChangedPath& c) {
    return c.path == "vendor/sub" && !c.new_is_file && !c.old_is_file;
  }));
}

TEST(TouchedPaths, ARenameCountsAtBothPathsOnce) {
  std::vector<ChangedPath> d(3);
  d[0].path = d[0].old_path = "b.txt";
  d[1].kind = ChangedPath::Kind::renamed;
  d[1].path = "new/a.tf";
  d[1].old_path = "old/a.tf";
  d[2].path = d[2].old_path = "b.txt";
  EXPECT_EQ(touched_paths(d), (std::vector<std::string>{"b.txt", "new/a.tf", "old/a.tf"}));
}

TEST_F(GitRepoTest, DiffOfUnknownCommitFails) {
  write("a.txt", "1\n");
  const std::string sha = commit("first");
  auto repo = open();
  ASSERT_TRUE(repo);
  auto d = repo->diff("deadbeefdeadbeefdeadbeefdeadbeefdeadbeef", sha);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(
      d.error().rfind(
          work_ + ": cannot resolve revision \"deadbeefdeadbeefdeadbeefdeadbeefdeadbeef\": ", 0),
      0u)
      << d.error();
}

TEST_F(GitRepoTest, CommitInfo) {
  write("a.txt", "1\n");
  const std::string sha = commit("apply dbaas\n\nbody line");
  auto repo = open();
  ASSERT_TRUE(repo);
  auto info = repo->commit_info("main");
  ASSERT_TRUE(info.ok()) << info.error();
  EXPECT_EQ(info->sha, sha);
  EXPECT_EQ(info->message, "apply dbaas\n\nbody line\n");
  EXPECT_EQ(info->author, "Ada <ada@example.org>");
  EXPECT_EQ(info->time, 1704164645);
}

TEST_F(GitRepoTest, EnsureCommitClonesThenFetchesNewCommits) {
  write("a.txt", "1\n");
  const std::string first = commit("first");
  const std::string cache = (tmp_.path() / "cache" / "work.git").string();

  ASSERT_TRUE(ensure_commit(work_, cache, first).ok());
  EXPECT_TRUE(fs::exists(cache + "/HEAD")) << "a bare clone";
  EXPECT_FALSE(fs::exists(cache + "/.git"));
  EXPECT_FALSE(fs::exists(cache + ".tmp"));
  {
    auto cached = open_repo(cache);
    ASSERT_TRUE(cached.ok()) << cached.error();
    EXPECT_EQ(*(*cached)->resolve(first), first);
  }

  write("a.txt", "2\n");
  const std::string second = commit("second");
  git({"checkout", "-q", "-b", "feature"});
  write("b.txt", "feature\n");
  const std::string on_branch = commit("feature work");
  ASSERT_TRUE(ensure_commit(work_, cache, second).ok());
  auto cached = open_repo(cache);
  ASSERT_TRUE(cached.ok()) << cached.error();
  EXPECT_EQ(*(*cached)->resolve(second), second);
  EXPECT_EQ(*(*cached)->resolve("refs/heads/main"), second) << "branches are mirrored";
  EXPECT_EQ(*(*cached)->resolve("refs/heads/feature"), on_branch);
  EXPECT_EQ(*(*cached)->read_file(second, "a.txt"), "2\n");
  // Present already: no fetch needed, still fine (also by short id).
  EXPECT_TRUE(ensure_commit(work_, cache, second.substr(0, 10)).ok());
}

// An agent keeps its cache's repository handle open between jobs (detail::borrow_at). A kept
// handle must see what fetches and a re-clone changed on disk since it was opened.
TEST_F(GitRepoTest, AKeptCacheHandleSeesFetchesAndReclonesMadeSince) {
  write("a.txt", "1\n");
  const std::string first = commit("first");
  const std::string cache = (tmp_.path() / "cache" / "work.git").string();
  const std::string dest = (tmp_.path() / "ws").string();
  ASSERT_TRUE(ensure_commit(work_, cache, first).ok());
  ASSERT_TRUE(update_checkout(cache, std::nullopt, first, dest, {}).ok());
  git_repository* kept = nullptr;
  {
    auto a = detail::borrow_at(cache);
    ASSERT_TRUE(a.ok()) << a.error();
    kept = a->get();
    auto b = detail::borrow_at(cache);  // while `a` is lent: another handle
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_NE(b->get(), kept);
  }
  {
    auto again = detail::borrow_at(cache);
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(again->get(), kept) << "the handle given back last is lent first";
  }

  write("a.txt", "2\n");
  write("b.txt", "b\n");
  const std::string second = commit("second");
  ASSERT_TRUE(ensure_commit(work_, cache, second).ok());  // a fetch: a new pack
  auto r = update_checkout(cache, first, second, dest, {});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(slurp(fs::path(dest) / "a.txt"), "2\n");
  EXPECT_EQ(slurp(fs::path(dest) / "b.txt"), "b\n");

  fs::remove_all(cache);  // what an operator does to a broken cache
  write("c.txt", "c\n");
  const std::string third = commit("third");
  ASSERT_TRUE(ensure_commit(work_, cache, third).ok());  // cloned again
  r = update_checkout(cache, second, third, dest, {});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(slurp(fs::path(dest) / "c.txt"), "c\n");
  detail::free_pooled_repos();
  auto fresh = detail::borrow_at(cache);
  ASSERT_TRUE(fresh.ok()) << fresh.error();
}

// Each fetch into a cache adds a pack of its own; after each, a multi-pack-index covers every
// pack (git's own `multi-pack-index verify` accepts it), and every fetched commit still reads.
TEST_F(GitRepoTest, FetchesIndexTheCachesPacksTogether) {
  const std::string cache = (tmp_.path() / "cache" / "work.git").string();
  const fs::path packs = fs::path(cache) / "objects" / "pack";
  std::vector<std::string> shas;
  for (int i = 0; i < 4; ++i) {
    write("f" + std::to_string(i) + ".txt", std::to_string(i) + "\n");
    shas.push_back(commit("c" + std::to_string(i)));
    ASSERT_TRUE(ensure_commit(work_, cache, shas.back()).ok());
  }
  int pack_files = 0;
  for (const auto& e : fs::directory_iterator(packs)) pack_files += e.path().extension() == ".pack";
  EXPECT_GE(pack_files, 2) << "each fetch is expected to add a pack";
  ASSERT_TRUE(fs::exists(packs / "multi-pack-index"));
  auto verify = run_command({"git", "-C", cache, "multi-pack-index", "verify"}, "",
                            std::chrono::seconds(60), env_);
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  const std::string midx = slurp(packs / "multi-pack-index");  // its PNAM chunk names each pack
  for (const auto& e : fs::directory_iterator(packs)) {
    if (e.path().extension() != ".idx") continue;
    EXPECT_NE(midx.find(e.path().filename().string()), std::string::npos) << e.path();
  }
  auto cached = open_repo(cache);
  ASSERT_TRUE(cached.ok()) << cached.error();
  for (std::size_t i = 0; i < shas.size(); ++i)
    EXPECT_EQ(*(*cached)->read_file(shas[i], "f" + std::to_string(i) + ".txt"),
              std::to_string(i) + "\n");
}

TEST_F(GitRepoTest, EnsureCommitTrailingSlashNamesTheSameCache) {
  write("a.txt", "1\n");
  const std::string sha = commit("first");
  const fs::path cache = tmp_.path() / "c.git";
  auto s = ensure_commit(work_, cache.string() + "/", sha);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_TRUE(fs::exists(tmp_.path() / "c.git.lock"));
  EXPECT_FALSE(fs::exists(cache / ".lock"));
  EXPECT_TRUE(fs::exists(cache / "HEAD"));
}

TEST_F(GitRepoTest, EnsureCommitErrors) {
  write("a.txt", "1\n");
  commit("first");
  const std::string cache = (tmp_.path() / "cache.git").string();
  auto bad_id = ensure_commit(work_, cache, "main");
  ASSERT_FALSE(bad_id.ok());
  EXPECT_EQ(bad_id.error(),
            "ensure_commit: \"main\" is not a commit id (4 to 40 hex digits); resolve it first");
  const std::string ghost = "0123456789abcdef0123456789abcdef01234567";
  auto missing = ensure_commit(work_, cache, ghost);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "commit " + ghost + " is not on any branch or tag of " + work_ +
                                 " (fetched into " + cache + ")");
  auto no_source =
      ensure_commit((tmp_.path() / "nowhere").string(), (tmp_.path() / "c2.git").string(), ghost);
  ASSERT_FALSE(no_source.ok());
  EXPECT_EQ(
      no_source.error().rfind("cannot clone " + (tmp_.path() / "nowhere").string() + " into ", 0),
      0u)
      << no_source.error();
  EXPECT_FALSE(fs::exists(tmp_.path() / "c2.git"));
}

TEST_F(GitRepoTest, EnsureCommitConcurrentOnOneCache) {
  write("a.txt", "1\n");
  const std::string sha = commit("first");
  const std::string cache = (tmp_.path() / "shared.git").string();
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < errors.size(); ++i) {
    threads.emplace_back([&, i] {
      auto s = ensure_commit(work_, cache, sha);
      if (!s) errors[i] = s.error();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  auto cached = open_repo(cache);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*(*cached)->resolve(sha), sha);
}

TEST_F(GitRepoTest, CheckoutCommitWritesASnapshotWithoutDotGit) {
  write("stacks/app/terragrunt.hcl", "v1\n");
  write("scripts/run.sh", "#!/bin/sh\n");
  fs::permissions(fs::path(work_) / "scripts/run.sh", fs::perms::owner_exec, fs::perm_options::add);
  const std::string first = commit("first");
  write("stacks/app/terragrunt.hcl", "v2\n");
  write("later.txt", "x\n");
  commit("second");
  const std::string cache = (tmp_.path() / "cache.git").string();
  ASSERT_TRUE(ensure_commit(work_, cache, first).ok());

  const fs::path dest = tmp_.path() / "jobs" / "1";
  auto s = checkout_commit(cache, first, dest.string());
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(slurp(dest / "stacks/app/terragrunt.hcl"), "v1\n");
  EXPECT_FALSE(fs::exists(dest / "later.txt"));
  EXPECT_FALSE(fs::exists(dest / ".git"));
  EXPECT_TRUE((fs::status(dest / "scripts/run.sh").permissions() & fs::perms::owner_exec) !=
              fs::perms::none);
  EXPECT_FALSE(fs::exists(cache + "/index")) << "the shared cache is not written to";

  // From a work tree too, into an existing empty directory.
  const fs::path dest2 = tmp_.path() / "jobs" / "2";
  fs::create_directories(dest2);
  ASSERT_TRUE(checkout_commit(work_, "main", dest2.string()).ok());
  EXPECT_EQ(slurp(dest2 / "stacks/app/terragrunt.hcl"), "v2\n");
  EXPECT_EQ(slurp(dest2 / "later.txt"), "x\n");
  EXPECT_FALSE(fs::exists(dest2 / ".git"));
}

TEST_F(GitRepoTest, CheckoutCommitRefusesNonEmptyTarget) {
  write("a.txt", "1\n");
  const std::string sha = commit("first");
  const fs::path dest = tmp_.path() / "busy";
  write_file(dest / "leftover", "x");
  auto s = checkout_commit(work_, sha, dest.string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(),
            "cannot check out into " + dest.string() + ": it exists and is not an empty directory");
  auto bad = checkout_commit(work_, "nope", (tmp_.path() / "x").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), work_ + ": cannot resolve revision \"nope\": revspec 'nope' not found");
}

}  // namespace
}  // namespace stackrun::git
