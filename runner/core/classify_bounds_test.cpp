// Bounded verdicts: whatever a step prints, the verdict the agent reports and the server stores
// is small (the deciding line, the rule id, each lock field), and the normaliser never joins
// ordinary lines into one giant "line".
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "runner/core/classify.hpp"
#include "runner/core/normalise.hpp"

namespace stackrun::core {
namespace {

const std::string kEllipsis = "\xE2\x80\xA6";  // "…"

const Classifier& builtin() {
  static const Classifier c = [] {
    auto r = Classifier::create();
    if (!r) throw std::runtime_error(r.error());
    return *r;
  }();
  return c;
}

TEST(CapText, Table) {
  const std::string euro = "\xE2\x82\xAC";  // "€", three bytes
  struct Case {
    const char* name;
    std::string text;
    std::size_t max;
    std::string want;
  };
  const Case cases[] = {
      {"short", "Apply complete!", 64, "Apply complete!"},
      {"exactly the cap", std::string(64, 'a'), 64, std::string(64, 'a')},
      // 100 bytes into 40: the widest marker for 100 is "… [cut: 100 bytes]" (20 bytes), so 20
      // bytes stay and 80 are cut.
      {"one over", std::string(100, 'a'), 40,
       std::string(20, 'a') + kEllipsis + " [cut: 80 bytes]"},
      // The head would end inside the "€" at bytes 19..21: it stops before the character.
      {"utf-8 boundary", std::string(19, 'a') + euro + std::string(78, 'b'), 40,
       std::string(19, 'a') + kEllipsis + " [cut: 81 bytes]"},
      {"thousands", std::string(20'000, 'z'), 40,
       std::string(17, 'z') + kEllipsis + " [cut: 19,983 bytes]"},
      {"cap below the marker", std::string(9, 'a') + euro + "tail", 11, std::string(9, 'a')},
  };
  for (const auto& c : cases) {
    const std::string got = cap_text(c.text, c.max);
    EXPECT_EQ(got, c.want) << c.name;
    EXPECT_LE(got.size(), c.max) << c.name;
  }
}

// The marker's exact text, as operators see it in `stackrun show`.
TEST(CapText, MarkerNamesTheBytesLeftOut) {
  // 4096 bytes hold 4070 of the text and a 26-byte marker.
  const std::string line(4070 + 5'612'340, 'x');
  EXPECT_EQ(cap_text(line, kMaxVerdictLine),
            std::string(4070, 'x') + kEllipsis + " [cut: 5,612,340 bytes]");
}

TEST(CapText, NeverOverTheCapNorInsideACharacter) {
  std::mt19937 rng(7);
  const std::string pieces[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", " "};
  for (int round = 0; round < 500; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) text += pieces[rng() % std::size(pieces)];
    const std::size_t max = rng() % 300;
    const std::string got = cap_text(text, max);
    ASSERT_LE(got.size(), max) << round;
    if (text.size() <= max) {
      ASSERT_EQ(got, text) << round;
      continue;
    }
    const std::size_t marker = got.find(kEllipsis + " [cut: ");
    const std::string head = got.substr(0, marker == std::string::npos ? got.size() : marker);
    ASSERT_EQ(text.compare(0, head.size(), head), 0) << round;
    // The head ends at a character boundary of the text.
    if (head.size() < text.size()) {
      ASSERT_NE(static_cast<unsigned char>(text[head.size()]) & 0xC0, 0x80) << round;
    }
  }
}

TEST(CapVerdict, EveryStringIsCappedAndASmallVerdictIsUnchanged) {
  Verdict small;
  small.cls = Class::lock;
  small.rule = "builtin.lock.state-lock";
  small.line = "Error: Error acquiring the state lock";
  small.line_no = 3;
  small.lock = LockInfo{"1", "p", "OperationTypeApply", "a@b", "1.9.8", "now", ""};
  EXPECT_EQ(cap_verdict(small), small);

  Verdict huge = small;
  huge.rule = std::string(10'000, 'r');
  huge.line = std::string(6'000'000, 'l');
  huge.lock = LockInfo{std::string(5'000, 'i'), std::string(5'000, 'p'), std::string(5'000, 'o'),
                       std::string(5'000, 'w'), std::string(5'000, 'v'), std::string(5'000, 'c'),
                       std::string(5'000, 'n')};
  const Verdict v = cap_verdict(huge);
  EXPECT_EQ(v.rule.size(), kMaxRuleId - 1);  // the marker's digits fit with a byte to spare
  EXPECT_NE(v.rule.find("[cut: "), std::string::npos);
  EXPECT_LE(v.line.size(), kMaxVerdictLine);
  EXPECT_TRUE(v.line.ends_with(" bytes]"));
  for (const std::string* f : {&v.lock->id, &v.lock->path, &v.lock->operation, &v.lock->who,
                               &v.lock->version, &v.lock->created, &v.lock->info}) {
    EXPECT_LE(f->size(), kMaxLockField);
    EXPECT_NE(f->find("[cut: "), std::string::npos);
  }
  EXPECT_EQ(v.line_no, 3);
  EXPECT_EQ(v.cls, Class::lock);
}

// The case: 300,000 ordinary lines that each start lowercase after a line that does
// not end a sentence were joined into one 5.6 MB line.
std::string copying_lines(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += "copying file" + std::to_string(i) + "\n";
  return out;
}

TEST(Normalise, JoinedLinesStopAtTheCap) {
  const std::string raw = copying_lines(300'000);
  const NormalisedOutput n = normalise(raw);
  ASSERT_GE(n.line_count(), raw.size() / (kMaxJoinedLine + 1));
  std::string rejoined;
  for (std::size_t i = 0; i < n.line_count(); ++i) {
    ASSERT_LE(n.line(i).size(), kMaxJoinedLine) << i;
    if (i) rejoined += ' ';
    rejoined += n.line(i);
  }
  // Nothing is lost: only where the lines break moved.
  std::string joined = raw.substr(0, raw.size() - 1);
  std::replace(joined.begin(), joined.end(), '\n', ' ');
  EXPECT_EQ(rejoined, joined);
  // Each new line starts at the raw line it came from.
  const int second = n.raw_line_no[1] - 1;  // raw line k says "copying file<k-1>"
  EXPECT_TRUE(n.line(1).starts_with("copying file" + std::to_string(second) + " "));
}

TEST(Normalise, BoxedParagraphsStopAtTheCapToo) {
  std::string raw = "\xE2\x95\xB7\n";
  for (int i = 0; i < 2'000; ++i) raw += "\xE2\x94\x82 resource " + std::to_string(i) + "\n";
  raw += "\xE2\x95\xB5\n";
  const NormalisedOutput n = normalise(raw);
  ASSERT_GT(n.line_count(), 3u);
  for (std::size_t i = 0; i < n.line_count(); ++i) ASSERT_LE(n.line(i).size(), kMaxJoinedLine);
  // Still one paragraph: no blank line between the pieces, so dot-all rules span them.
  EXPECT_EQ(n.text.find("\n\n"), std::string_view::npos);
}

TEST(Normalise, ShortWrappedLinesStillJoin) {
  const NormalisedOutput n = normalise("Inconsistent\ndependency lock file: no version selected");
  ASSERT_EQ(n.line_count(), 1u);
  EXPECT_EQ(n.line(0), "Inconsistent dependency lock file: no version selected");
}

TEST(Classify, AVerdictFromHugeJoinedOutputIsShort) {
  const Verdict v = builtin().classify(copying_lines(300'000), 0);
  EXPECT_EQ(v.cls, Class::success);
  EXPECT_LE(v.line.size(), kMaxJoinedLine);
  EXPECT_TRUE(v.line.ends_with("copying file299999")) << v.line.substr(v.line.size() - 40);
  EXPECT_EQ(v.line.find(kEllipsis), std::string::npos);  // a joined line is shown whole
}

TEST(Classify, AFiftyMegabyteLineIsCutWithAMarker) {
  const std::size_t size = 50u << 20;
  std::string out = "Error: boom " + std::string(size, 'x') + "\n";
  for (int exit : {0, 1}) {
    const Verdict v = builtin().classify(out, exit);
    EXPECT_LE(v.line.size(), kMaxVerdictLine) << exit;
    EXPECT_TRUE(v.line.starts_with("Error: boom xxx")) << exit;
    // 52,428,812 bytes in: the widest marker is 27 bytes, so 4069 stay.
    EXPECT_TRUE(v.line.ends_with(kEllipsis + " [cut: 52,424,743 bytes]")) << exit;
    EXPECT_EQ(v.line_no, 1) << exit;
  }
}

TEST(Classify, HugeLockFieldsAreCut) {
  const std::string out = "Error: Error acquiring the state lock\n\nLock Info:\n  ID:        " +
                          std::string(3'000'000, 'i') +
                          "\n  Who:       " + std::string(2'000, 'w') + "\n  Version:   1.9.8\n\n";
  const Verdict v = builtin().classify(out, 1);
  ASSERT_EQ(v.cls, Class::lock);
  ASSERT_TRUE(v.lock);
  EXPECT_EQ(v.lock->id.size(), kMaxLockField);
  EXPECT_TRUE(v.lock->id.ends_with(kEllipsis + " [cut: 2,999,002 bytes]")) << v.lock->id;
  EXPECT_LE(v.lock->who.size(), kMaxLockField);
  EXPECT_TRUE(v.lock->who.ends_with(" bytes]"));
  EXPECT_EQ(v.lock->version, "1.9.8");
}

TEST(Classify, AHugeRuleIdIsCut) {
  auto c = Classifier::create({{Class::fatal, "pipeline." + std::string(1'000, 'x'), "boom"}});
  ASSERT_TRUE(c) << c.error();
  const Verdict v = c->classify("boom\n", 1);
  EXPECT_LE(v.rule.size(), kMaxRuleId);
  EXPECT_TRUE(v.rule.starts_with("pipeline.xxx"));
  EXPECT_TRUE(v.rule.ends_with(" bytes]"));
}

}  // namespace
}  // namespace stackrun::core
