#include "runner/core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stackrun::core {
namespace {

TEST(Utf8Sequence, Table) {
  struct Case {
    std::string in;
    std::size_t want;
  };
  const Case cases[] = {
      {"a", 0},                 // ASCII is not a multi-byte sequence
      {"\xc3\xa9", 2},          // é
      {"\xe2\x94\x82", 3},      // │
      {"\xf0\x9f\x9a\x80", 4},  // 🚀
      {"\xc2\x9b", 2},          // U+009B: valid (a C1 control; callers decide)
      {"\x9b", 0},              // a stray continuation byte
      {"\xc0\xaf", 0},          // overlong '/'
      {"\xe0\x80\xaf", 0},      // overlong, 3 bytes
      {"\xed\xa0\x80", 0},      // a surrogate
      {"\xf4\x90\x80\x80", 0},  // past U+10FFFF
      {"\xe2\x94", 0},          // cut by the end
      {"\xe2\x28\xa1", 0},      // a bad continuation byte
  };
  for (const Case& c : cases) EXPECT_EQ(utf8_sequence(c.in, 0), c.want) << c.in;
}

}  // namespace
}  // namespace stackrun::core
