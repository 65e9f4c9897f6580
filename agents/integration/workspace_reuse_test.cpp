// GitWorkspaceMaker's reuse of parked workspaces (workspace.hpp) on real git repositories in a
// temp dir: a reused workspace holds exactly what `git archive` of the commit holds, whatever
// the previous job did to it, and only the paths that differ are written.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "agents/workspace.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every entry under `root` (symlinks not followed): "d", "l:<target>" or "f<x>:<bytes>".
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = it->path().lexically_relative(root).string();
    const auto st = it->symlink_status();
    if (fs::is_symlink(st)) {
      out[rel] = "l:" + fs::read_symlink(it->path()).string();
    } else if (fs::is_directory(st)) {
      out[rel] = "d";
    } else {
      const bool x = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
      out[rel] = std::string(x ? "fx:" : "f:") + slurp(it->path());
    }
  }
  return out;
}

std::uint64_t inode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_ino;
}

class WorkspaceReuseTest : public ::testing::Test {
 protected:
  std::string sh(const std::string& script) {
    auto r = testing::run_command({"/bin/sh", "-ec", script}, "", std::chrono::seconds(60), env_);
    EXPECT_EQ(r.exit_code, 0) << script << ": " << r.err;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  std::string commit(const std::string& script) {
    sh("cd " + repo_ + " && " + script + " && git add -A && git commit -qm c");
    return sh("git -C " + repo_ + " rev-parse HEAD");
  }
  // The reference: what git itself writes for `c`.
  std::map<std::string, std::string> archive(const std::string& c) {
    const fs::path dir = tmp_.path() / ("archive-" + c);
    fs::create_directories(dir);
    sh("git -C " + repo_ + " archive " + c + " | tar -x -C " + dir.string());
    return snapshot(dir);
  }
  void SetUp() override {
    fs::create_directories(repo_);
    sh("git -C " + repo_ + " init -q -b main");
    c1_ = commit(
        "mkdir -p stacks/a stacks/b stacks/c stacks/d modules/app && "
        "for s in a b c d; do echo \"# $s\" > stacks/$s/terragrunt.hcl; done && "
        "echo 'resource {}' > modules/app/main.tf && echo notes > docs && "
        "printf '#!/bin/sh\\n' > run.sh && chmod +x run.sh && ln -s ../../modules/app "
        "stacks/a/mod");
  }
  // Parks workspace `from` and makes `to` at `c` with the same maker: `to` holds exactly `c`.
  void reuse(GitWorkspaceMaker& m, const std::string& from, const std::string& to,
             const std::string& c) {
    m.release(repo_, ws(from));
    ASSERT_TRUE(m.make(repo_, c, ws(to)).ok());
    EXPECT_EQ(snapshot(ws(to)), archive(c));
  }
  std::string ws(const std::string& name) const {
    return (tmp_.path() / "jobs" / ("attempt-" + name)).string();
  }

  testing::TempDir tmp_{"stackrun-ws-reuse"};
  std::string repo_ = (tmp_.path() / "repo").string();
  std::string cache_ = (tmp_.path() / "agent" / "cache").string();
  std::string c1_;
  std::map<std::string, std::string> env_{
      {"GIT_AUTHOR_NAME", "Ada"},         {"GIT_AUTHOR_EMAIL", "ada@example.org"},
      {"GIT_COMMITTER_NAME", "Ada"},      {"GIT_COMMITTER_EMAIL", "ada@example.org"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
};

TEST_F(WorkspaceReuseTest, AReusedWorkspaceHoldsTheNewCommitAndOnlyWhatDiffersIsWritten) {
  GitWorkspaceMaker maker(cache_);
  ASSERT_TRUE(maker.make(repo_, c1_, ws("1")).ok());
  EXPECT_EQ(snapshot(ws("1")), archive(c1_));
  const std::uint64_t untouched = inode(ws("1") + "/stacks/c/terragrunt.hcl");
  maker.release(repo_, ws("1"));
  EXPECT_FALSE(fs::exists(ws("1")));

  // Edited, deleted, added, exec bit, symlink target, a file becoming a directory.
  const std::string c2 = commit(
      "echo '# a2' > stacks/a/terragrunt.hcl && git rm -q -r stacks/b && mkdir stacks/e && "
      "echo '# e' > stacks/e/terragrunt.hcl && chmod -x run.sh && rm stacks/a/mod && "
      "ln -s ../c stacks/a/mod && rm docs && mkdir docs && echo guide > docs/guide.md");
  const auto before = maker.counts();
  ASSERT_TRUE(maker.make(repo_, c2, ws("2")).ok());
  EXPECT_EQ(snapshot(ws("2")), archive(c2));
  const auto after = maker.counts();
  EXPECT_EQ(after.reused, before.reused + 1);
  EXPECT_EQ(after.journaled, before.journaled + 1);  // the same process wrote and watched it
  EXPECT_EQ(after.rebuilt, before.rebuilt);
  // a, b, e, run.sh, mod, docs, docs/guide.md: the diff's paths, nothing else.
  EXPECT_EQ(after.written - before.written, 7u);
  EXPECT_EQ(inode(ws("2") + "/stacks/c/terragrunt.hcl"), untouched);
}

TEST_F(WorkspaceReuseTest, WhateverTheLastJobDidIsUndoneWithoutWritingOutsideTheWorkspace) {
  GitWorkspaceMaker maker(cache_);
  ASSERT_TRUE(maker.make(repo_, c1_, ws("1")).ok());
  const fs::path outside = tmp_.path() / "outside";
  fs::create_directories(outside / "dir");
  sh("echo victim > " + (outside / "victim").string() + " && echo kept > " +
     (outside / "dir/kept").string());
  const std::string w = ws("1");
  sh("cd " + w +
     " && mkdir -p stacks/a/.terragrunt-cache/x && echo plan > stacks/a/.terragrunt-cache/x/p"
     " && echo out > tfplan && rm stacks/b/terragrunt.hcl"
     // same size, mtime put back: only ctime tells
     " && touch -r stacks/c/terragrunt.hcl ref && echo '# C' > stacks/c/terragrunt.hcl"
     " && touch -r ref stacks/c/terragrunt.hcl && rm ref"
     " && rm -r stacks/d && ln -s " +
     outside.string() +
     "/dir stacks/d"
     " && rm modules/app/main.tf && ln " +
     (outside / "victim").string() +
     " modules/app/main.tf"
     " && chmod -x run.sh");
  maker.release(repo_, w);
  ASSERT_TRUE(maker.make(repo_, c1_, ws("2")).ok());
  EXPECT_EQ(snapshot(ws("2")), archive(c1_));
  EXPECT_EQ(slurp(outside / "victim"), "victim\n");
  EXPECT_EQ(slurp(outside / "dir/kept"), "kept\n");
  const auto n = maker.counts();
  EXPECT_EQ(n.reused, 1u);
  EXPECT_EQ(n.journaled, 0u);  // stacks/d was removed: the journal no longer vouches, a walk ran
  EXPECT_EQ(n.removed, 3u);    // .terragrunt-cache, tfplan and the symlink in place of stacks/d
}

// The journal's way: no directory of the tree removed, so only the reported paths are looked at.
TEST_F(WorkspaceReuseTest, TheJournalUndoesWhatAJobDidWithoutAWalk) {
  GitWorkspaceMaker maker(cache_);
  ASSERT_TRUE(maker.make(repo_, c1_, ws("1")).ok());
  const fs::path outside = tmp_.path() / "outside";
  fs::create_directories(outside / "dir");
  sh("echo victim > " + (outside / "victim").string() + " && echo kept > " +
     (outside / "dir/kept").string());
  const std::uint64_t untouched = inode(ws("1") + "/stacks/b/terragrunt.hcl");
  sh("cd " + ws("1") +
     " && mkdir -p stacks/a/.terragrunt-cache/x && echo plan > stacks/a/.terragrunt-cache/x/p"
     " && echo out > tfplan && echo more >> stacks/c/terragrunt.hcl"
     " && rm modules/app/main.tf && ln " +
     (outside / "victim").string() +
     " modules/app/main.tf"
     " && ln -s " +
     outside.string() +
     "/dir stacks/e && chmod -x run.sh"
     " && chmod 700 stacks/d && rm docs && mkdir docs"
     " && mkdir -p stacks/b/.git/refs && echo ref > stacks/b/.git/HEAD");  // a step's `git init`
  reuse(maker, "1", "2", c1_);
  EXPECT_EQ(slurp(outside / "victim"), "victim\n");
  EXPECT_EQ(slurp(outside / "dir/kept"), "kept\n");
  EXPECT_EQ(inode(ws("2") + "/stacks/b/terragrunt.hcl"), untouched);
  const auto n = maker.counts();
  EXPECT_EQ(n.journaled, 1u);
  // .terragrunt-cache, tfplan, stacks/c's file, main.tf, stacks/e, run.sh, stacks/d, docs,
  // stacks/b/.git
  EXPECT_EQ(n.reported, 9u);

  // A second job on the tree the journal settled: still vouched for.
  sh("cd " + ws("2") + " && echo again > tfplan");
  reuse(maker, "2", "3", c1_);
  EXPECT_EQ(maker.counts().journaled, 2u);
}

// An agent that restarts has no journal of what happened before: it walks the parked tree.
TEST_F(WorkspaceReuseTest, AfterARestartAParkedTreeIsWalked) {
  {
    GitWorkspaceMaker before(cache_);
    ASSERT_TRUE(before.make(repo_, c1_, ws("1")).ok());
    sh("cd " + ws("1") + " && echo more >> stacks/c/terragrunt.hcl && echo out > tfplan");
    before.release(repo_, ws("1"));
  }
  GitWorkspaceMaker after(cache_);
  const std::string c2 = commit("echo '# a2' > stacks/a/terragrunt.hcl");
  ASSERT_TRUE(after.make(repo_, c2, ws("2")).ok());
  EXPECT_EQ(snapshot(ws("2")), archive(c2));
  EXPECT_EQ(after.counts().reused, 1u);
  EXPECT_EQ(after.counts().journaled, 0u);
  EXPECT_EQ(after.counts().removed, 1u);  // tfplan; stacks/c's file was altered, not added
  // The walk started the journal: the next reuse needs no walk.
  reuse(after, "2", "3", c1_);
  EXPECT_EQ(after.counts().journaled, 1u);
}

TEST_F(WorkspaceReuseTest, AParkedWorkspaceThatCannotBeTrustedIsWrittenAfresh) {
  GitWorkspaceMaker maker(cache_);
  ASSERT_TRUE(maker.make(repo_, c1_, ws("1")).ok());
  maker.release(repo_, ws("1"));
  // A truncated state (a crash while writing it): not trusted.
  fs::path state;
  for (const auto& e : fs::recursive_directory_iterator(tmp_.path() / "agent" / "workspaces"))
    if (e.path().extension() == ".state") state = e.path();
  ASSERT_FALSE(state.empty());
  const std::string text = slurp(state);
  std::ofstream(state, std::ios::trunc) << text.substr(0, text.size() / 2);
  // The agent restarted (a crash while writing is how a state gets truncated): no journal.
  GitWorkspaceMaker restarted(cache_);
  ASSERT_TRUE(restarted.make(repo_, c1_, ws("2")).ok());
  EXPECT_EQ(snapshot(ws("2")), archive(c1_));
  EXPECT_EQ(restarted.counts().reused, 0u);
  EXPECT_EQ(restarted.counts().rebuilt, 1u);
}

TEST_F(WorkspaceReuseTest, EachParkedWorkspaceGoesToOneJobAndATreeWithoutStateIsDropped) {
  GitWorkspaceMaker maker(cache_);
  ASSERT_TRUE(maker.make(repo_, c1_, ws("1")).ok());
  ASSERT_TRUE(maker.make(repo_, c1_, ws("2")).ok());
  maker.release(repo_, ws("1"));
  maker.release(repo_, ws("2"));
  ASSERT_TRUE(maker.make(repo_, c1_, ws("3")).ok());
  ASSERT_TRUE(maker.make(repo_, c1_, ws("4")).ok());
  ASSERT_TRUE(maker.make(repo_, c1_, ws("5")).ok());
  EXPECT_EQ(maker.counts().reused, 2u);
  EXPECT_EQ(maker.counts().rebuilt, 3u);
  for (const char* n : {"3", "4", "5"}) EXPECT_EQ(snapshot(ws(n)), archive(c1_)) << n;

  // A tree parked without its state (a crash between release's two renames) is never taken.
  maker.release(repo_, ws("3"));
  fs::path parked;
  for (const auto& e : fs::directory_iterator(tmp_.path() / "agent" / "workspaces"))
    parked = e.path() / "attempt-3";  // one repository: one directory
  ASSERT_TRUE(fs::exists(parked.string() + ".state"));
  fs::remove(parked.string() + ".state");
  ASSERT_TRUE(maker.make(repo_, c1_, ws("6")).ok());
  EXPECT_EQ(maker.counts().reused, 2u);
  EXPECT_FALSE(fs::exists(parked));
}

}  // namespace
}  // namespace stackrun::agent
