#include "runner/client/terminal_text.hpp"

#include <gtest/gtest.h>

namespace stackrun::client {
namespace {

TEST(TerminalSafe, Table) {
  struct Case {
    const char* name;
    std::string in;
    bool keep_colour, keep_newlines;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"plain text passes", "Apply complete! Resources: 1 added.", false, false,
       "Apply complete! Resources: 1 added."},
      {"tab kept", "a\tb", false, false, "a\tb"},
      {"colour dropped by default", "\x1b[1m\x1b[31mError:\x1b[0m bad", false, false, "Error: bad"},
      {"colour kept on request", "\x1b[31mError\x1b[0m", true, false, "\x1b[31mError\x1b[0m"},
      {"clear screen shown, never run", "\x1b[2Jx", true, false, "^[[2Jx"},
      {"cursor up shown", "\x1b[1A", false, false, "^[[1A"},
      {"window title (OSC) shown", "\x1b]0;pwned\x07", false, false, "^[]0;pwned^G"},
      {"bare ESC at the end", "x\x1b", false, false, "x^["},
      {"unterminated SGR shown", "\x1b[31", true, false, "^[[31"},
      {"bell and backspace", "a\x07\x08", false, false, "a^G^H"},
      {"carriage return shown", "50%\r100%", false, false, "50%^M100%"},
      {"NUL and DEL", std::string("a\0b\x7f", 4), false, false, "a^@b^?"},
      {"newline escaped by default", "a\nb", false, false, "a^Jb"},
      {"newline kept on request", "a\nb", false, true, "a\nb"},
      {"C1 CSI in UTF-8 shown",
       "x\xc2\x9b"
       "2J",
       false, false, "x<U+009B>2J"},
      {"other UTF-8 passes", "caf\xc3\xa9 \xe2\x94\x82", false, false, "caf\xc3\xa9 \xe2\x94\x82"},
      {"4-byte UTF-8 passes", "ok \xf0\x9f\x9a\x80", false, false, "ok \xf0\x9f\x9a\x80"},
      {"a lone 8-bit CSI byte is replaced",
       "x\x9b"
       "2J",
       false, false,
       "x\xef\xbf\xbd"
       "2J"},
      {"invalid bytes replaced one by one", "a\xff\xfe", false, false, "a\xef\xbf\xbd\xef\xbf\xbd"},
      {"a cut sequence is replaced", "caf\xc3", false, false, "caf\xef\xbf\xbd"},
      {"overlong and surrogate forms are replaced", "\xc0\xaf\xed\xa0\x80", false, false,
       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"an over-long SGR is not colour", "\x1b[" + std::string(100, '1') + "m", true, false,
       "^[[" + std::string(100, '1') + "m"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(terminal_safe(c.in, c.keep_colour, c.keep_newlines), c.want) << c.name;
}

}  // namespace
}  // namespace stackrun::client
