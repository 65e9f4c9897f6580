#include "runner/wire/log_frames.hpp"

#include <gtest/gtest.h>

namespace stackrun::wire {
namespace {

LogBatch sample_batch() {
  // Bytes JSON would escape, a NUL, a line without its end, an empty chunk.
  return {12,
          3,
          {{0, "Apply complete!\n"},
           {1, std::string("\x1b[31mred\x00\"\\\n", 13)},
           {2, ""},
           {3, "partial"}}};
}

LogPage sample_page() {
  LogPage p;
  p.chunks = {{7, "stacks/a b", "out", "line 1\nline 2\n"},
              {8, "", "sys", "run finished\n"},
              {9, "dbaas", "out", std::string("\0\n", 2)}};
  p.next = 9;
  p.done = true;
  p.status = core::RunStatus::failed;
  return p;
}

TEST(LogFrames, ABatchComesBackByteForByte) {
  const std::string body = encode_frames(sample_batch());
  EXPECT_EQ(body.substr(0, body.find('\n')), "stackrun-log-batch 1 12 3 4");
  auto back = decode_batch_frames(body);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, sample_batch());
  auto empty = decode_batch_frames(encode_frames(LogBatch{1, 1, {}}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->chunks.empty());
}

TEST(LogFrames, APageComesBackByteForByte) {
  auto back = decode_page_frames(encode_frames(sample_page()));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, sample_page());
}

TEST(LogFrames, AnythingButTheExactShapeIsRefusedNamingWhere) {
  const std::string good = encode_frames(LogBatch{5, 1, {{0, "ab\n"}, {1, "cd\n"}}});
  struct Case {
    std::string body, error;
  };
  const Case cases[] = {
      {"", "log frames: header: no header line"},
      {"{\"attempt_id\": 5}\n", "log frames: header: not \"stackrun-log-batch 1 ...\""},
      {"stackrun-log-batch 2 5 1 0\n", "log frames: header: not \"stackrun-log-batch 1 ...\""},
      {"stackrun-log-batch 1 x 1 0\n", "log frames: header: attempt_id is not a count: \"x\""},
      {"stackrun-log-batch 1 5 -1 0\n", "log frames: header: epoch is not a count: \"-1\""},
      {"stackrun-log-batch 1 5 1 0 extra\n", "log frames: header: trailing \"extra\""},
      {"stackrun-log-batch 1 5 1 99\n", "log frames: header: more chunks than bytes"},
      {good.substr(0, good.size() - 1), "log frames: frame 2: 3 bytes announced, 2 left"},
      {good + "x", "log frames: 1 bytes after the last frame"},
      {"stackrun-log-batch 1 5 1 1\n0 3", "log frames: frame 1: no header line"},
      {"stackrun-log-batch 1 5 1 1\n0 3x\nabc",
       "log frames: frame 1: length is not a count: \"3x\""},
  };
  for (const Case& c : cases) {
    auto r = decode_batch_frames(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error(), c.error) << c.body;
  }
  EXPECT_TRUE(decode_batch_frames(good).ok());
}

TEST(LogFrames, APageWithABadStreamOrStatusIsRefused) {
  struct Case {
    std::string body, error;
  };
  const Case cases[] = {
      {"stackrun-log-page 1 0 0 nope 0\n", "log page frames: header: bad done or status \"nope\""},
      {"stackrun-log-page 1 0 2 running 0\n",
       "log page frames: header: bad done or status \"running\""},
      {"stackrun-log-page 1 1 0 running 1\n1 err 0 1\nx",
       "log page frames: frame 1: stream \"err\" is neither out nor sys"},
      {"stackrun-log-page 1 1 0 running 1\n1 out 5 1\nx",
       "log page frames: frame 1: 5 bytes announced, 1 left"},
  };
  for (const Case& c : cases) {
    auto r = decode_page_frames(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error(), c.error) << c.body;
  }
}

}  // namespace
}  // namespace stackrun::wire
