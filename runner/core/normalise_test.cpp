#include "runner/core/normalise.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "runner/core/classify.hpp"
#include "runner/core/lock_info.hpp"

namespace stackrun::core {
namespace {

struct StripCase {
  const char* name;
  std::string raw;
  std::string want;
};

TEST(StripTerminalCodes, Table) {
  const StripCase cases[] = {
      {"plain", "Error: boom", "Error: boom"},
      {"sgr colour", "\x1b[31mError:\x1b[0m \x1b[1mboom\x1b[0m", "Error: boom"},
      {"sgr with params", "\x1b[1;38;5;196mred\x1b[39;49m", "red"},
      {"erase line", "\x1b[2Kdone\x1b[K", "done"},
      {"cursor up", "\x1b[1Aagain", "again"},
      {"private mode", "\x1b[?25lhidden\x1b[?25h", "hidden"},
      {"osc title bel", "\x1b]0;terraform\x07text", "text"},
      {"osc hyperlink st", "\x1b]8;;https://x.io\x1b\\link\x1b]8;;\x1b\\", "link"},
      {"unterminated osc", "keep\x1b]0;no end", "keep"},
      {"charset select", "\x1b(Bascii", "ascii"},
      {"save cursor",
       "\x1b"
       "7a\x1b"
       "8b",
       "ab"},
      {"keypad", "\x1b=x\x1b>", "x"},
      {"lone esc at end", "tail\x1b", "tail"},
      {"crlf remnant", "line\r", "line"},
      {"progress overwrite", "10%\r50%\r100%", "100%"},
      {"overwrite then colour", "old text\r\x1b[32mnew\x1b[0m", "new"},
      {"double cr end", "line\r\r", "line"},
      {"utf8 untouched", "\xE2\x94\x82 caf\xC3\xA9", "\xE2\x94\x82 caf\xC3\xA9"},
  };
  for (const auto& c : cases) {
    std::string scratch;
    EXPECT_EQ(strip_terminal_codes(c.raw, scratch), c.want) << c.name;
  }
}

// Lines of the normalised text, '|'-separated, to compare whole outputs at a glance.
std::string lines_of(const NormalisedOutput& n) {
  std::string s;
  for (std::size_t i = 0; i < n.line_count(); ++i) {
    if (i) s += '|';
    s += n.line(i);
  }
  return s;
}

struct NormCase {
  const char* name;
  std::string raw;
  std::string want;  // lines joined with '|'
};

TEST(Normalise, Table) {
  const NormCase cases[] = {
      {"empty", "", ""},
      {"one line no newline", "abc", "abc"},
      {"trailing newline adds no line", "abc\n", "abc"},
      {"blank lines kept", "a\n\nB\n", "a||B"},
      {"crlf", "Error: x\r\nB\r\n", "Error: x|B"},
      {"trailing blanks trimmed", "Error: x   \t\n", "Error: x"},
      {"ansi", "\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mboom\x1b[0m\n", "Error: boom"},
      {"lowercase continuation joined", "Inconsistent\ndependency lock file: no version selected",
       "Inconsistent dependency lock file: no version selected"},
      {"joins chain", "A long\nsentence that\nwraps twice", "A long sentence that wraps twice"},
      {"no join after blank", "A\n\nlower", "A||lower"},
      {"no join of uppercase", "A\nB", "A|B"},
      {"no join of indented", "Lock Info:\n  ID: 1", "Lock Info:|  ID: 1"},
      {"no join after sentence end", "Plan: 1 to add.\nlower", "Plan: 1 to add.|lower"},
      {"no join after bracket", "x: Still creating... [10s elapsed]\ny: Creating...",
       "x: Still creating... [10s elapsed]|y: Creating..."},
      {"resource progress not joined", "Initializing\naws_instance.web: Refreshing state...",
       "Initializing|aws_instance.web: Refreshing state..."},
      {"logfmt not joined", "Starting\ntime=2026-01-01 level=error msg=boom",
       "Starting|time=2026-01-01 level=error msg=boom"},
      {"continuation with colon word joined", "Inconsistent dependency lock\nfile: no version",
       "Inconsistent dependency lock file: no version"},
      {"box edges become breaks",
       "\xE2\x95\xB7\n\xE2\x94\x82 Error: Missing required argument\n\xE2\x95\xB5\n",
       "|Error: Missing required argument|"},
      {"box paragraph joined",
       "\xE2\x95\xB7\n"
       "\xE2\x94\x82 Error: Inconsistent dependency lock file\n"
       "\xE2\x94\x82 \n"
       "\xE2\x94\x82 The following dependency selections recorded in the lock file are\n"
       "\xE2\x94\x82 inconsistent with the current configuration:\n"
       "\xE2\x94\x82   - provider registry.terraform.io/hashicorp/aws: required by this\n"
       "\xE2\x94\x82 configuration but no version is selected\n"
       "\xE2\x95\xB5\n",
       "|Error: Inconsistent dependency lock file||"
       "The following dependency selections recorded in the lock file are inconsistent with the "
       "current configuration: - provider registry.terraform.io/hashicorp/aws: required by this "
       "configuration but no version is selected|"},
      {"indented box edges and coloured bar",
       "  \xE2\x95\xB7\n\x1b[31m\xE2\x94\x82\x1b[0m \x1b[1m\x1b[31mError: \x1b[0mX\n"
       "  \xE2\x95\xB5",
       "|Error: X|"},
      {"bar without space",
       "\xE2\x94\x82"
       "Error: X",
       "Error: X"},
      {"box content indentation kept on first line",
       "\xE2\x94\x82   on main.tf line 3:", "  on main.tf line 3:"},
      {"plain after box not joined to it", "\xE2\x94\x82 Error: X\nlower", "Error: X|lower"},
      {"progress bar keeps last", "Downloading 10%\rDownloading 100%\nDone",
       "Downloading 100%|Done"},
  };
  for (const auto& c : cases) EXPECT_EQ(lines_of(normalise(c.raw)), c.want) << c.name;
}

// The classifier's dot-all wildcards stop at "\n\n", so every box edge and every empty line in
// a box must leave one, even with no blank line around the box in the raw output.
TEST(Normalise, BoxEdgesAndEmptyBoxLinesAreParagraphBreaks) {
  const NormalisedOutput n = normalise(
      "Initializing provider plugins\n"
      "\x1b[31m\xE2\x95\xB7\x1b[0m\n"
      "\x1b[31m\xE2\x94\x82\x1b[0m Error: Failed to query available provider packages\n"
      "\x1b[31m\xE2\x94\x82\x1b[0m \n"
      "\x1b[31m\xE2\x94\x82\x1b[0m Could not retrieve the list of available versions\n"
      "\x1b[31m\xE2\x94\x82\x1b[0m for provider hashicorp/aws\n"
      "\x1b[31m\xE2\x95\xB5\x1b[0m\n"
      "\xE2\x95\xB7\n"
      "\xE2\x94\x82 Warning: next box\n"
      "\xE2\x95\xB5\n"
      "timeout after box\n");
  EXPECT_EQ(n.text,
            "Initializing provider plugins\n\n"
            "Error: Failed to query available provider packages\n\n"
            "Could not retrieve the list of available versions for provider hashicorp/aws\n\n\n"
            "Warning: next box\n\n"
            "timeout after box");
}

TEST(Normalise, RawLineNumbersPointAtFirstRawLineOfEachNormalisedLine) {
  const std::string raw =
      "Initializing the backend...\r\n"        // 1
      "\r\n"                                   // 2
      "\xE2\x95\xB7\n"                         // 3
      "\xE2\x94\x82 Error: Invalid index\n"    // 4
      "\xE2\x94\x82 \n"                        // 5
      "\xE2\x94\x82 The given key does not\n"  // 6
      "\xE2\x94\x82 identify an element.\n"    // 7
      "\xE2\x95\xB5\n"                         // 8
      "Inconsistent\n"                         // 9
      "dependency lock file\n";                // 10
  const NormalisedOutput n = normalise(raw);
  ASSERT_EQ(n.line_count(), 8u);
  const std::vector<int> want_no = {1, 2, 3, 4, 5, 6, 8, 9};
  EXPECT_EQ(n.raw_line_no, want_no);
  EXPECT_EQ(n.line(5), "The given key does not identify an element.");
  EXPECT_EQ(n.line(7), "Inconsistent dependency lock file");
  EXPECT_EQ(n.line_at(n.offsets[5] + 3), 5u);
  EXPECT_EQ(n.line_at(n.text.size() - 1), 7u);
  EXPECT_EQ(n.line_at(0), 0u);
}

// Terraform 1.9 with the S3 backend and a DynamoDB lock table, as printed to a terminal.
const std::string kBoxedLockError =
    "\x1b[31m\xE2\x95\xB7\x1b[0m\x1b[0m\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mError "
    "acquiring the state lock\x1b[0m\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m\x1b[0mError message: operation error DynamoDB: PutItem, "
    "https response error\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0mStatusCode: 400, RequestID: Q3L0, "
    "ConditionalCheckFailedException: The\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0mconditional request failed\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0mLock Info:\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m  ID:        8c1d1f1e-5b2a-4d8e-9a0b-2f6c3e7d9a10\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m  Path:      acme-tfstate/stacks/pg/terraform.tfstate\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m  Operation: OperationTypeApply\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m  Who:       emo@laptop\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m  Version:   1.9.8\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m  Created:   2026-06-28 10:04:05.123456789 +0000 UTC\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m  Info:      \n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0m\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0mTerraform acquires a state lock to protect the state from "
    "being written\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0mby multiple users at the same time. Please resolve the "
    "issue above and try\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0magain. For most commands, you can disable locking with "
    "the \"-lock=false\"\n"
    "\x1b[31m\xE2\x94\x82\x1b[0m \x1b[0mflag, but this is not recommended.\n"
    "\x1b[31m\xE2\x95\xB5\x1b[0m\x1b[0m\n";

TEST(Normalise, BoxedLockInfoParsedFieldByField) {
  const NormalisedOutput n = normalise(kBoxedLockError);
  ASSERT_TRUE(n.lock.has_value());
  EXPECT_EQ(n.lock->id, "8c1d1f1e-5b2a-4d8e-9a0b-2f6c3e7d9a10");
  EXPECT_EQ(n.lock->path, "acme-tfstate/stacks/pg/terraform.tfstate");
  EXPECT_EQ(n.lock->operation, "OperationTypeApply");
  EXPECT_EQ(n.lock->who, "emo@laptop");
  EXPECT_EQ(n.lock->version, "1.9.8");
  EXPECT_EQ(n.lock->created, "2026-06-28 10:04:05.123456789 +0000 UTC");
  EXPECT_EQ(n.lock->info, "");
  // The paragraph holding the block is still joined for matching (one space at each join;
  // spacing inside a line is kept).
  EXPECT_EQ(n.line(3),
            "Error message: operation error DynamoDB: PutItem, https response error StatusCode: "
            "400, RequestID: Q3L0, ConditionalCheckFailedException: The conditional request "
            "failed Lock Info: ID:        8c1d1f1e-5b2a-4d8e-9a0b-2f6c3e7d9a10 Path:      "
            "acme-tfstate/stacks/pg/terraform.tfstate Operation: OperationTypeApply Who:       "
            "emo@laptop Version:   1.9.8 Created:   2026-06-28 10:04:05.123456789 +0000 UTC Info:");
}

TEST(Normalise, BoxedLockErrorClassifiesAsLockWithInfo) {
  auto c = Classifier::create();
  ASSERT_TRUE(c) << c.error();
  const Verdict v = c->classify(kBoxedLockError, 1);
  EXPECT_EQ(v.cls, Class::lock);
  EXPECT_EQ(v.rule, "builtin.lock.state-lock");
  EXPECT_EQ(v.line, "Error: Error acquiring the state lock");
  EXPECT_EQ(v.line_no, 2);
  ASSERT_TRUE(v.lock.has_value());
  EXPECT_EQ(v.lock->who, "emo@laptop");
}

TEST(LockInfoParser, Cases) {
  {
    LockInfoParser p;  // no block at all
    for (auto l : {"Error: x", "Info: y", "ID: z"}) p.feed(l);
    EXPECT_FALSE(p.result().has_value());
  }
  {
    LockInfoParser p;  // cut off by the end of output, unboxed, values with colons
    for (auto l : {"Lock Info:", "  ID:        a-1", "  Created:   10:00:01"}) p.feed(l);
    LockInfo want;
    want.id = "a-1";
    want.created = "10:00:01";
    EXPECT_EQ(p.result(), want);
  }
  {
    LockInfoParser p;  // the first complete block wins; an unknown key ends a block
    for (auto l : {"Lock Info:", "  ID: first", "  Who: a@b", "Terraform acquires a lock",
                   "Lock Info:", "  ID: second"})
      p.feed(l);
    ASSERT_TRUE(p.result());
    EXPECT_EQ(p.result()->id, "first");
    EXPECT_EQ(p.result()->who, "a@b");
  }
  {
    LockInfoParser p;  // an empty header does not hide a later block
    for (auto l : {"Lock Info:", "", "Lock Info:", "ID: later"}) p.feed(l);
    ASSERT_TRUE(p.result());
    EXPECT_EQ(p.result()->id, "later");
  }
}

TEST(Normalise, UnboxedLockInfo) {
  const NormalisedOutput n = normalise(
      "Error: Error acquiring the state lock\n\nError message: Workspace is already locked: pg\n"
      "Lock Info:\n  ID:        11\n  Path:      \n  Operation: OperationTypePlan\n"
      "  Who:       ci@woodpecker-agent-1\n  Version:   1.9.8\n  Created:   2026-06-28\n"
      "  Info:      drift\n\nTerraform acquires a state lock\n");
  ASSERT_TRUE(n.lock);
  const LockInfo want{"11",         "",     "OperationTypePlan", "ci@woodpecker-agent-1", "1.9.8",
                      "2026-06-28", "drift"};
  EXPECT_EQ(*n.lock, want);
}

TEST(Normalise, CorpusWrappedLockFileErrorIsFatalOnTheJoinedLine) {
  auto c = Classifier::create();
  ASSERT_TRUE(c) << c.error();
  const Verdict v = c->classify(
      "Initializing provider plugins...\nInconsistent\ndependency lock file: no version selected\n",
      1);
  EXPECT_EQ(v.cls, Class::fatal);
  EXPECT_EQ(v.rule, "builtin.fatal.inconsistent-lock-file");
  EXPECT_EQ(v.line, "Inconsistent dependency lock file: no version selected");
  EXPECT_EQ(v.line_no, 2);
}

// Random mixes of the bytes the normaliser treats specially: whatever the input, the output
// holds no escape or '\r', is no longer than the input, and maps every line to a raw line.
TEST(Normalise, InvariantsOnRandomInput) {
  const std::string_view pieces[] = {
      "\x1b",         "[",    "]",          "31m",   "\x07",  "\\", "\r",           "\n",
      "\r\n",         " ",    "\t",         "a",     "Z",     ".",  "\xE2\x95\xB7", "\xE2\x95\xB5",
      "\xE2\x94\x82", "\xE2", "Lock Info:", "ID: 1", "x.y: ", "k=v"};
  std::mt19937 rng(12345);
  for (int round = 0; round < 3000; ++round) {
    std::string raw;
    const int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) raw += pieces[rng() % std::size(pieces)];
    const NormalisedOutput out = normalise(raw);
    const int raw_lines = static_cast<int>(std::count(raw.begin(), raw.end(), '\n')) +
                          (raw.empty() || raw.back() == '\n' ? 0 : 1);
    ASSERT_LE(out.text.size(), raw.size()) << round;
    ASSERT_EQ(out.text.find('\x1b'), std::string_view::npos) << round;
    ASSERT_EQ(out.text.find('\r'), std::string_view::npos) << round;
    ASSERT_EQ(out.offsets.size(), out.raw_line_no.size()) << round;
    ASSERT_EQ(out.line_count() == 0, raw_lines == 0) << round;
    int prev = 0;
    for (std::size_t i = 0; i < out.line_count(); ++i) {
      ASSERT_GT(out.raw_line_no[i], prev) << round;
      ASSERT_LE(out.raw_line_no[i], raw_lines) << round;
      ASSERT_EQ(out.line(i).find('\n'), std::string_view::npos) << round;
      ASSERT_EQ(out.line_at(out.offsets[i]), i) << round;
      prev = out.raw_line_no[i];
    }
  }
}

}  // namespace
}  // namespace stackrun::core
