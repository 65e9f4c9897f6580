#include "agents/log_queue.hpp"

#include <gtest/gtest.h>

namespace stackrun::agent {
namespace {

using Chunks = std::vector<wire::LogChunk>;

TEST(LogQueue, WholeLinesGetContiguousSeqs) {
  LogQueue q;
  q.add("a\nb");
  q.add("c\nd\n");
  EXPECT_EQ(q.peek(1 << 20), (Chunks{{0, "a\n"}, {1, "bc\n"}, {2, "d\n"}}));
  EXPECT_EQ(q.seq_count(), 3);
  EXPECT_EQ(q.pending_bytes(), 7u);
}

TEST(LogQueue, OwnLineEndsAPartialLineFirst) {
  LogQueue q;
  q.add("no newline");
  q.add_line("[stackrun] next");
  EXPECT_EQ(q.peek(1 << 20), (Chunks{{0, "no newline\n"}, {1, "[stackrun] next\n"}}));
}

TEST(LogQueue, CloseFlushesTheTail) {
  LogQueue q;
  q.add("x\ntail");
  q.close();
  q.close();  // nothing more
  EXPECT_EQ(q.peek(1 << 20), (Chunks{{0, "x\n"}, {1, "tail\n"}}));
}

TEST(LogQueue, PeekIsBoundedButNeverEmptyWhileChunksWait) {
  LogQueue q;
  q.add("aaaa\nbbbb\ncccc\n");
  EXPECT_EQ(q.peek(10), (Chunks{{0, "aaaa\n"}, {1, "bbbb\n"}}));
  EXPECT_EQ(q.peek(3), (Chunks{{0, "aaaa\n"}}));  // one chunk over the limit still goes
}

TEST(LogQueue, AckDropsTheOldestAndSeqsKeepCounting) {
  LogQueue q;
  q.add("a\nb\nc\n");
  q.ack(2);
  EXPECT_EQ(q.peek(1 << 20), (Chunks{{2, "c\n"}}));
  EXPECT_EQ(q.pending_bytes(), 2u);
  q.add("d\n");
  EXPECT_EQ(q.peek(1 << 20), (Chunks{{2, "c\n"}, {3, "d\n"}}));
  q.ack(99);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.pending_bytes(), 0u);
  EXPECT_EQ(q.seq_count(), 4);
}

}  // namespace
}  // namespace stackrun::agent
