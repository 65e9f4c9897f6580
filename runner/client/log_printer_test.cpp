// LogPrinter: golden text for pages fed in order (stacks interleaved, a line split across two
// pages, sys and run-level lines, CRLF, a last line without "\n"), plus the exact rules.
#include "runner/client/log_printer.hpp"

#include <gtest/gtest.h>

#include "tests/support/golden.hpp"

namespace stackrun::client {
namespace {

const std::string kGolden = std::string(STACKRUN_DATA_DIR) + "/golden";

wire::LogPage page(std::vector<wire::LogLine> chunks, bool done = false,
                   core::RunStatus status = core::RunStatus::running) {
  wire::LogPage p;
  p.chunks = std::move(chunks);
  p.next = p.chunks.empty() ? 0 : p.chunks.back().id;
  p.done = done;
  p.status = status;
  return p;
}

// Three pages of a run: what a follower sees, page by page.
std::vector<wire::LogPage> pages() {
  return {
      page({{1, "", "sys", "run 10: apply push 0123456 (3 stacks)\n"},
            {2, "dbaas", "sys", "--- apply attempt 1 started on agent-1\n"},
            {3, "dbaas", "out", "$ terragrunt apply -auto-approve\nInitializing...\n"},
            {4, "grafana", "out", "helm_release.this: Creating..."},  // ends on the next page
            {5, "dbaas", "out", "Apply complete! Resources: 1 added.\n"}}),
      page({{6, "grafana", "out", " [10s elapsed]\nApply complete!\r\n"},
            {7, "immich", "out", "crlf line\r\nno newline before the verdict"},
            {8, "immich", "sys", "verdict: fatal (builtin.fatal.error) -> failed\n"},
            {9, "dbaas", "sys", "verdict: success (exit:0) -> success\n"}}),
      page({{10, "paperless", "out", "the attempt's last line, no newline"},
            {11, "", "sys", "run failed: 2 ok, 0 skipped, 1 failed\n"}},
           true, core::RunStatus::failed),
  };
}

std::string feed_all(LogPrinter& p) {
  std::string out;
  for (const auto& pg : pages()) out += p.feed(pg);
  return out;
}

TEST(LogPrinter, GoldenPlain) {
  LogPrinter p(Style::plain());
  EXPECT_TRUE(testing::matches_golden(kGolden, "logs_plain.txt", feed_all(p)));
}

TEST(LogPrinter, GoldenColoured) {
  LogPrinter p(Style::coloured());
  EXPECT_TRUE(testing::matches_golden(kGolden, "logs_colour.txt", feed_all(p)));
}

TEST(LogPrinter, ALineSplitAcrossPagesPrintsOnceComplete) {
  LogPrinter p(Style::plain());
  EXPECT_EQ(p.feed(page({{1, "g", "out", "a\nhal"}})), "[g] a\n");
  EXPECT_EQ(p.feed(page({{2, "h", "out", "other\n"}})), "[h] other\n");
  EXPECT_EQ(p.feed(page({{3, "g", "out", "f\n"}})), "[g] half\n");
  EXPECT_EQ(p.flush(), "");
}

TEST(LogPrinter, CrlfSplitBetweenChunks) {
  LogPrinter p(Style::plain());
  EXPECT_EQ(p.feed(page({{1, "g", "out", "x\r"}, {2, "g", "out", "\ny\r\n"}})), "[g] x\n[g] y\n");
}

TEST(LogPrinter, OtherStreamEndsAWaitingLine) {
  LogPrinter p(Style::plain());
  EXPECT_EQ(p.feed(page({{1, "g", "out", "tail"}, {2, "g", "sys", "verdict\n"}})),
            "[g] tail\n[g] » verdict\n");
}

TEST(LogPrinter, FlushEndsWaitingLinesInStackOrder) {
  LogPrinter p(Style::plain());
  EXPECT_EQ(p.feed(page({{1, "z", "out", "last z"}, {2, "a", "out", "last a\r"}})), "");
  EXPECT_EQ(p.flush(), "[a] last a\n[z] last z\n");
  EXPECT_EQ(p.flush(), "");
}

TEST(LogPrinter, DonePageEndsWaitingLines) {
  LogPrinter p(Style::plain());
  EXPECT_EQ(p.feed(page({{1, "g", "out", "tail"}}, true, core::RunStatus::success)), "[g] tail\n");
}

TEST(LogPrinter, EmptyLinesKeepTheirPrefix) {
  LogPrinter p(Style::plain());
  EXPECT_EQ(p.feed(page({{1, "", "out", "\n\n"}})), "[run] \n[run] \n");
}

// Lines are printed straight from a chunk, except the one that completes a held line: wherever
// the output was cut into chunks (three pieces, every pair of cuts, pieces on separate pages),
// the printed text is the same as for one chunk.
TEST(LogPrinter, WhereChunksSplitTheOutputDoesNotChangeWhatIsPrinted) {
  const std::string text = "alpha\r\nbeta\n\ngamma delta\r\n" + std::string(40, 'x') +
                           "\nc\r\r\n\tlast line without newline";
  LogPrinter whole_printer(Style::plain());
  std::string whole = whole_printer.feed(page({{1, "s", "out", text}}));
  whole += whole_printer.flush();  // after the feed: the operands of + are unsequenced
  ASSERT_EQ(whole, "[s] alpha\n[s] beta\n[s] \n[s] gamma delta\n[s] " + std::string(40, 'x') +
                       "\n[s] c^M\n[s] \tlast line without newline\n");
  for (std::size_t i = 0; i <= text.size(); ++i) {
    for (std::size_t j = i; j <= text.size(); ++j) {
      LogPrinter p(Style::plain());
      std::string got = p.feed(page({{1, "s", "out", text.substr(0, i)}}));
      got +=
          p.feed(page({{2, "s", "out", text.substr(i, j - i)}, {3, "s", "out", text.substr(j)}}));
      got += p.flush();
      ASSERT_EQ(got, whole) << "cut at " << i << " and " << j;
    }
  }
}

}  // namespace
}  // namespace stackrun::client

namespace stackrun::client {
namespace {

wire::LogPage one(std::int64_t id, const std::string& stack, const std::string& stream,
                  std::string data) {
  wire::LogPage p;
  p.chunks = {{id, stack, stream, std::move(data)}};
  p.next = id;
  return p;
}

TEST(LogPrinterStreaming, ALongLineIsPrintedAsItComesNotHeld) {
  LogPrinter p(Style::plain());
  const std::string big(LogPrinter::kHoldBytes + 1, 'x');
  EXPECT_EQ(p.feed(one(1, "g", "out", big)), "[g] " + big);  // no newline yet
  EXPECT_EQ(p.feed(one(2, "g", "out", "yz")), "yz");
  EXPECT_EQ(p.feed(one(3, "g", "out", "!\r\nnext\n")), "!\n[g] next\n");
  EXPECT_EQ(p.flush(), "");
}

TEST(LogPrinterStreaming, AnotherStackInterruptsAndTheLongLineResumes) {
  LogPrinter p(Style::plain());
  const std::string big(LogPrinter::kHoldBytes + 1, 'x');
  EXPECT_EQ(p.feed(one(1, "g", "out", big)), "[g] " + big);
  EXPECT_EQ(p.feed(one(2, "h", "out", "other\n")), "\n[h] other\n");
  EXPECT_EQ(p.feed(one(3, "g", "out", "tail\n")), "[g] … tail\n");
}

TEST(LogPrinterStreaming, AStreamingLineEndsWithTheRun) {
  LogPrinter p(Style::plain());
  const std::string big(LogPrinter::kHoldBytes + 1, 'x');
  p.feed(one(1, "g", "out", big));
  wire::LogPage last = one(2, "", "sys", "run success: 1 ok\n");
  last.done = true;
  EXPECT_EQ(p.feed(last), "\n[run] » run success: 1 ok\n");
}

TEST(LogPrinterEscapes, StepOutputCannotDriveTheTerminal) {
  LogPrinter p(Style::plain());
  EXPECT_EQ(p.feed(one(1, "g", "out", "\x1b[2J\x1b]0;owned\x07\x1b[31mred\x1b[0m\tok\n")),
            "[g] ^[[2J^[]0;owned^Gred\tok\n");
  EXPECT_EQ(p.feed(one(2, "g", "sys", "verdict: fatal: \x1b[1Aup\n")),
            "[g] » verdict: fatal: ^[[1Aup\n");
  LogPrinter colour(Style::plain(), /*keep_colour=*/true);
  EXPECT_EQ(colour.feed(one(1, "g", "out", "\x1b[31mred\x1b[0m \x1b[2J\n")),
            "[g] \x1b[31mred\x1b[0m ^[[2J\n");
}

}  // namespace
}  // namespace stackrun::client
