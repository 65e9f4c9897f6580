#pragma once
// Golden-text checks: compare a formatter's output with a file kept under tests/data/golden/.
// The file holds the text exactly, except that ESC (the start of an ANSI colour code) is
// written as the two characters "\e", so coloured goldens stay readable in a diff.
// To accept a deliberate change: run the test with STACKRUN_UPDATE_GOLDEN=1, which rewrites
// the files it compares (and still fails, so an update is never silent), then review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace stackrun::testing {

inline std::string visible_escapes(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\x1b' ? std::string("\\e") : std::string(1, c);
  return out;
}

// `dir` is the golden directory (e.g. STACKRUN_DATA_DIR "/golden"), `name` a file in it.
inline ::testing::AssertionResult matches_golden(const std::string& dir, const std::string& name,
                                                 const std::string& actual) {
  const std::string path = dir + "/" + name;
  const std::string text = visible_escapes(actual);
  if (const char* u = std::getenv("STACKRUN_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::ofstream(path, std::ios::binary) << text;
    return ::testing::AssertionFailure() << "rewrote " << path << ": review the diff";
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    return ::testing::AssertionFailure()
           << path << ": missing (run with STACKRUN_UPDATE_GOLDEN=1 to create it)";
  }
  std::ostringstream expected;
  expected << f.rdbuf();
  if (expected.str() == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "output differs from " << path << "\n--- expected\n"
                                       << expected.str() << "--- actual\n"
                                       << text << "---";
}

}  // namespace stackrun::testing
