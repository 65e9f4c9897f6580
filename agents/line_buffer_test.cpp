#include "agents/line_buffer.hpp"

#include <gtest/gtest.h>

namespace stackrun::agent {
namespace {

using V = std::vector<std::string>;

TEST(LineBuffer, SplitsWholeLines) {
  LineBuffer b;
  EXPECT_EQ(b.add("a\nb"), V{"a\n"});
  EXPECT_EQ(b.add("c\nd\ne"), (V{"bc\n", "d\n"}));
  EXPECT_EQ(b.flush(), "e\n");
  EXPECT_EQ(b.flush(), "");
}

TEST(LineBuffer, CutsLongLinesOnCodePointBoundary) {
  LineBuffer b(4);
  // "aé" is 3 bytes; "aéé" 5 bytes: a cut at 4 would split the second é.
  EXPECT_EQ(b.add("a\xC3\xA9\xC3\xA9z\n"), (V{"a\xC3\xA9", "\xC3\xA9z\n"}));
}

TEST(Utf8Cut, Table) {
  const std::string s = "ab\xE2\x82\xAC";  // a b €
  EXPECT_EQ(utf8_cut(s, 10), 5u);
  EXPECT_EQ(utf8_cut(s, 5), 5u);
  EXPECT_EQ(utf8_cut(s, 4), 2u);
  EXPECT_EQ(utf8_cut(s, 3), 2u);
  EXPECT_EQ(utf8_cut(s, 2), 2u);
}

}  // namespace
}  // namespace stackrun::agent
