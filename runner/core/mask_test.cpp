// The streaming masker as a table: each row's input is fed whole, split at every position
// into two feeds, into three feeds at every pair of positions, and byte by byte; every way
// must give the row's expected output, and nothing beyond max_held() is ever held back.
#include "runner/core/mask.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stackrun::core {
namespace {

struct Row {
  const char* name;
  std::vector<std::string> secrets;
  std::string input, want;
};

const Row kRows[] = {
    {"no secrets", {}, "plain output\n", "plain output\n"},
    {"one secret", {"hunter22"}, "password is hunter22!\n", "password is ***!\n"},
    {"at the very start and end", {"hunter22"}, "hunter22 x hunter22", "*** x ***"},
    {"two occurrences", {"hunter22"}, "a hunter22 b hunter22 c", "a *** b *** c"},
    {"adjacent occurrences are one mark", {"hunter22"}, "xhunter22hunter22y", "x***y"},
    {"overlapping secrets hide their union", {"abcd", "cdef"}, "xabcdefx", "x***x"},
    {"overlap the other way round", {"cdef", "abcd"}, "xabcdefx", "x***x"},
    {"self-overlapping secret", {"aaaa"}, "baaaaaab", "b***b"},
    {"prefix of another, both present", {"abcd", "abcdefgh"}, "-abcdefgh-", "-***-"},
    {"prefix of another, only the short one", {"abcd", "abcdefgh"}, "-abcdefgX-", "-***efgX-"},
    {"longer one first in the list", {"abcdefgh", "abcd"}, "abcdefg", "***efg"},
    {"secret inside another", {"bcde", "abcdefg"}, "xabcdefgx bcde", "x***x ***"},
    {"a covered tail continues a run", {"abcde", "deXYZ"}, "abcdeXYZQ", "***Q"},
    {"a covered tail that ends", {"abcde", "deXYZ"}, "abcdeQ", "***Q"},
    {"an unfinished secret at the end is output",
     {"hunter22"},
     "ends with hunter2",
     "ends with hunter2"},
    {"near misses pass", {"hunter22"}, "hunter2 hunter23 hunte", "hunter2 hunter23 hunte"},
    {"secrets shorter than four bytes are ignored", {"abc", "", "x"}, "abc x", "abc x"},
    {"four bytes is enough", {"abcd", "abc"}, "abc abcd", "abc ***"},
    {"duplicates count once", {"s3cret", "s3cret"}, "s3cret", "***"},
    {"multi-line secret", {"line1\nline2"}, "a line1\nline2 b\nline1\n", "a *** b\nline1\n"},
    {"bytes that are not UTF-8",
     {std::string("\xff\xfe\x00\x01", 4)},
     std::string("a\xff\xfe\x00\x01z", 6),
     "a***z"},
    {"empty input", {"hunter22"}, "", ""},
};

// Feeds `pieces` in order and returns the concatenated output; checks the hold bound.
std::string feed_all(const Row& r, const std::vector<std::string>& pieces) {
  Masker m(r.secrets);
  std::string out;
  for (const std::string& p : pieces) {
    out += m.feed(p);
    EXPECT_LE(m.held(), m.max_held()) << r.name;
  }
  out += m.flush();
  EXPECT_EQ(m.held(), 0u) << r.name;
  return out;
}

TEST(Masker, WholeInput) {
  for (const Row& r : kRows) {
    EXPECT_EQ(feed_all(r, {r.input}), r.want) << r.name;
    EXPECT_EQ(mask_secrets(r.input, r.secrets), r.want) << r.name;
  }
}

TEST(Masker, SplitIntoTwoAtEveryPosition) {
  for (const Row& r : kRows) {
    for (std::size_t i = 0; i <= r.input.size(); ++i)
      EXPECT_EQ(feed_all(r, {r.input.substr(0, i), r.input.substr(i)}), r.want)
          << r.name << ", split at " << i;
  }
}

TEST(Masker, SplitIntoThreeAtEveryPairOfPositions) {
  for (const Row& r : kRows) {
    const std::size_t n = r.input.size();
    for (std::size_t i = 0; i <= n; ++i) {
      for (std::size_t j = i; j <= n; ++j)
        EXPECT_EQ(feed_all(r, {r.input.substr(0, i), r.input.substr(i, j - i), r.input.substr(j)}),
                  r.want)
            << r.name << ", split at " << i << " and " << j;
    }
  }
}

TEST(Masker, ByteByByte) {
  for (const Row& r : kRows) {
    std::vector<std::string> bytes;
    for (char c : r.input) bytes.emplace_back(1, c);
    EXPECT_EQ(feed_all(r, bytes), r.want) << r.name;
  }
}

TEST(Masker, HoldsOnlyWhatCouldStillBeASecret) {
  Masker m({"hunter22"});
  EXPECT_EQ(m.max_held(), 7u);
  EXPECT_EQ(m.feed("log line\nhunt"), "log line\n");  // "hunt" may become the secret
  EXPECT_EQ(m.held(), 4u);
  EXPECT_EQ(m.feed("ing"), "hunting");  // no longer can
  EXPECT_EQ(m.held(), 0u);
  EXPECT_EQ(m.feed("hunter2"), "");
  EXPECT_EQ(m.feed("2 done"), "*** done");
  EXPECT_EQ(m.flush(), "");
}

TEST(Masker, WithoutSecretsPassesEverythingAtOnce) {
  Masker m({"ab", ""});
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.max_held(), 0u);
  EXPECT_EQ(m.feed("ab"), "ab");
  EXPECT_EQ(m.held(), 0u);
}

TEST(Masker, ALongStreamOfNearMissesStaysBounded) {
  // A tail of "aaa..." is always a possible start of the secret: the hold never grows past it.
  Masker m({"aaaaaaab"});
  std::string out;
  for (int i = 0; i < 1000; ++i) {
    out += m.feed(std::string(997, 'a'));
    ASSERT_LE(m.held(), 7u);
  }
  out += m.flush();
  EXPECT_EQ(out, std::string(997'000, 'a'));
}

TEST(Masker, FlushStartsANewStream) {
  Masker m({"hunter22"});
  EXPECT_EQ(m.feed("hunter"), "");
  EXPECT_EQ(m.flush(), "hunter");
  EXPECT_EQ(m.feed("22"), "22");  // not joined to the previous stream's tail
  EXPECT_EQ(m.feed("hunter22"), "***");
  EXPECT_EQ(m.flush(), "");
}

}  // namespace
}  // namespace stackrun::core
