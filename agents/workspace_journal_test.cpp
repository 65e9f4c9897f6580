#include "agents/workspace_journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.hpp"

// Real inotify on a real directory: what a job does to a tree is what the journal reports.
namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;

class WorkspaceJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f :
         {"root.hcl", "stacks/a/terragrunt.hcl", "stacks/a/sub/x.tf", "stacks/b/terragrunt.hcl"}) {
      write(f, "x\n");
    }
    id_ = *tree_id(root_);
    ASSERT_TRUE(journal_.start(id_, root_, WorkspaceJournal::parents_of(files())));
  }
  static Paths files() {
    return {"root.hcl", "stacks/a/terragrunt.hcl", "stacks/a/sub/x.tf", "stacks/b/terragrunt.hcl"};
  }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((fs::path(root_) / rel).parent_path());
    std::ofstream(fs::path(root_) / rel, std::ios::app) << text;
  }

  testing::TempDir tmp_{"stackrun-journal"};
  std::string root_ = (tmp_.path() / "tree").string();
  WorkspaceJournal journal_;
  TreeId id_;
};

TEST(WorkspaceJournalParents, EveryAncestorDirectoryOnce) {
  struct Case {
    Paths in, want;
  };
  const Case cases[] = {
      {{}, {}},
      {{"top"}, {}},
      {{"a/b/c", "a/d"}, {"a", "a/b"}},
      {{"x/y", "a/b", "x/z/w"}, {"a", "x", "x/z"}},
  };
  for (const Case& c : cases) EXPECT_EQ(WorkspaceJournal::parents_of(c.in), c.want);
}

TEST_F(WorkspaceJournalTest, NothingDoneNothingReported) {
  const auto c = journal_.changes(id_);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->empty());
}

TEST_F(WorkspaceJournalTest, EveryKindOfChangeIsReportedByItsPath) {
  write("stacks/a/terragrunt.hcl", "edit\n");                          // written
  ASSERT_EQ(::chmod((root_ + "/root.hcl").c_str(), 0755), 0);          // re-moded
  fs::create_directories(root_ + "/stacks/b/.terragrunt-cache/deep");  // new dir (and below it)
  write("stacks/b/.terragrunt-cache/deep/p", "plan");
  fs::remove(root_ + "/stacks/a/sub/x.tf");  // removed
  write("tfplan", "out");                    // new file at the root
  fs::rename(root_ + "/stacks/b/terragrunt.hcl", root_ + "/stacks/b/moved");  // renamed
  const auto c = journal_.changes(id_);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (Paths{"root.hcl", "stacks/a/sub/x.tf", "stacks/a/terragrunt.hcl",
                       "stacks/b/.terragrunt-cache", "stacks/b/moved", "stacks/b/terragrunt.hcl",
                       "tfplan"}));
}

TEST_F(WorkspaceJournalTest, SettleDropsTheCallersOwnWritesAndWatchesNewDirectories) {
  write("stacks/a/terragrunt.hcl", "by the job\n");
  ASSERT_EQ(journal_.changes(id_)->size(), 1u);
  // The caller rewrites it and adds a stack (a new directory).
  write("stacks/a/terragrunt.hcl", "by the agent\n");
  write("stacks/c/terragrunt.hcl", "new\n");
  ASSERT_TRUE(journal_.settle(id_, root_, {"stacks", "stacks/a", "stacks/c"}));
  EXPECT_TRUE(journal_.changes(id_)->empty());
  write("stacks/c/terragrunt.hcl", "a job edits the new stack\n");
  EXPECT_EQ(*journal_.changes(id_), Paths{"stacks/c/terragrunt.hcl"});
}

TEST_F(WorkspaceJournalTest, TheRootMovingKeepsTheJournalADirectoryMovingOrGoingEndsIt) {
  const std::string parked = (tmp_.path() / "parked").string();
  fs::rename(root_, parked);  // the agent parking the tree
  fs::rename(parked, root_);
  write("stacks/b/terragrunt.hcl", "edit\n");
  EXPECT_EQ(*journal_.changes(id_), Paths{"stacks/b/terragrunt.hcl"});

  fs::rename(root_ + "/stacks/a", tmp_.path() / "elsewhere");  // writes there go unseen
  EXPECT_FALSE(journal_.changes(id_));
}

TEST_F(WorkspaceJournalTest, ARemovedDirectoryEndsTheJournalUntilStartedAgain) {
  fs::remove_all(root_ + "/stacks/a/sub");
  EXPECT_FALSE(journal_.changes(id_));
  fs::create_directories(root_ + "/stacks/a/sub");
  write("stacks/a/sub/x.tf", "x\n");
  ASSERT_TRUE(journal_.start(id_, root_, WorkspaceJournal::parents_of(files())));
  write("stacks/a/sub/x.tf", "edit\n");
  EXPECT_EQ(*journal_.changes(id_), Paths{"stacks/a/sub/x.tf"});
}

TEST_F(WorkspaceJournalTest, AForgottenOrUnknownTreeIsNotVouchedFor) {
  journal_.forget(id_);
  EXPECT_FALSE(journal_.changes(id_));
  EXPECT_FALSE(journal_.changes(TreeId{id_.dev, id_.ino + 1}));
}

}  // namespace
}  // namespace stackrun::agent
