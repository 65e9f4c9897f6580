#include "agents/workspace_state.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.hpp"

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;

const std::string kCommit(40, 'a');

WorkspaceState sample() {
  WorkspaceState s{kCommit, {}};
  s.files["stacks/a b/terragrunt.hcl"] = {0100644, 12, 77, 1700000000123456789,
                                          1700000000223456789};
  s.files["run.sh"] = {0100755, 3, 78, 1, 2};
  return s;
}

TEST(WorkspaceState, FormatsAndParsesBack) {
  auto text = format_state(sample());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "stackrun-workspace 1\ncommit " + kCommit +
                "\nfiles 2\n33261 3 78 1 2 run.sh\n"
                "33188 12 77 1700000000123456789 1700000000223456789 stacks/a b/terragrunt.hcl\n"
                "end\n");
  auto back = parse_state(*text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, sample());
}

TEST(WorkspaceState, AnythingButTheExactShapeIsNotTrusted) {
  const std::string good = *format_state(sample());
  struct Case {
    std::string name, text, error;
  };
  const std::vector<Case> cases = {
      {"empty", "", "workspace state: bad header"},
      {"other version", "stackrun-workspace 2\n", "workspace state: bad header"},
      {"short commit", "stackrun-workspace 1\ncommit abc\n", "workspace state: bad commit line"},
      {"no count", "stackrun-workspace 1\ncommit " + kCommit + "\nfiles x\n",
       "workspace state: bad files line"},
      {"truncated", good.substr(0, good.size() - 4), "workspace state: truncated or trailing text"},
      {"cut in a line", good.substr(0, good.find("run.sh") + 3),
       "workspace state: bad file line 1"},
      {"no path", "stackrun-workspace 1\ncommit " + kCommit + "\nfiles 1\n1 2 3 4 5 \nend\n",
       "workspace state: bad file line 1"},
      {"twice",
       "stackrun-workspace 1\ncommit " + kCommit + "\nfiles 2\n1 2 3 4 5 p\n1 2 3 4 5 p\nend\n",
       "workspace state: a path is listed twice"},
      {"trailing", good + "x", "workspace state: truncated or trailing text"},
  };
  for (const Case& c : cases) {
    auto r = parse_state(c.text);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error(), c.error) << c.name;
  }
}

TEST(WorkspaceState, APathWithANewlineCannotBeRecorded) {
  WorkspaceState s{kCommit, {{"a\nb", {}}}};
  EXPECT_FALSE(format_state(s).ok());
}

TEST(WorkspaceState, VerifyRemovesWhatIsNotRecordedAndListsWhatChanged) {
  testing::TempDir tmp("stackrun-ws-state");
  const fs::path root = tmp.path() / "w";
  fs::create_directories(root / "s/a");
  std::ofstream(root / "s/a/t.hcl") << "one\n";
  std::ofstream(root / "top") << "top\n";
  WorkspaceState s{kCommit, {}};
  ASSERT_TRUE(refresh_state(root.string(), {"s/a/t.hcl", "top", "gone"}, s).ok());
  ASSERT_EQ(s.files.size(), 2u);  // "gone" does not exist: not recorded

  auto clean = verify_tree(root.string(), s);
  ASSERT_TRUE(clean.ok()) << clean.error();
  EXPECT_TRUE(clean->altered.empty());
  EXPECT_EQ(clean->removed, 0u);

  fs::create_directories(root / "s/a/.terragrunt-cache/x");
  std::ofstream(root / "extra") << "x";
  std::ofstream(root / "top", std::ios::app) << "more\n";
  auto dirty = verify_tree(root.string(), s);
  ASSERT_TRUE(dirty.ok()) << dirty.error();
  EXPECT_EQ(dirty->altered, std::vector<std::string>{"top"});
  EXPECT_EQ(dirty->removed, 2u);
  EXPECT_FALSE(fs::exists(root / "extra"));
  EXPECT_FALSE(fs::exists(root / "s/a/.terragrunt-cache"));
  EXPECT_FALSE(fs::exists(root / "top"));  // altered files are removed for the rewrite
  EXPECT_TRUE(fs::exists(root / "s/a/t.hcl"));
}

TEST(WorkspaceState, WriteAndReadNameThePath) {
  testing::TempDir tmp("stackrun-ws-state");
  const std::string path = (tmp.path() / "w.state").string();
  ASSERT_TRUE(write_state(path, sample()).ok());
  auto back = read_state(path);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, sample());
  std::ofstream(path, std::ios::trunc) << "stackrun-workspace 1\n";
  auto bad = read_state(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), path + ": workspace state: bad commit line");
  EXPECT_EQ(read_state(path + ".none").error(), "cannot read " + path + ".none");
}

}  // namespace
}  // namespace stackrun::agent
