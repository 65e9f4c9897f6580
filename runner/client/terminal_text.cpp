#include "runner/client/terminal_text.hpp"

#include "runner/core/utf8.hpp"

namespace stackrun::client {
namespace {

constexpr std::size_t kMaxSgr = 64;  // a longer "colour" sequence is not one: show it

// Length of the SGR sequence "ESC [ [0-9;:]* m" at text[i], or 0 when there is none.
std::size_t sgr_length(std::string_view text, std::size_t i) {
  if (i + 2 >= text.size() || text[i + 1] != '[') return 0;
  for (std::size_t j = i + 2; j < text.size() && j - i < kMaxSgr; ++j) {
    const char c = text[j];
    if (c == 'm') return j - i + 1;
    if (!((c >= '0' && c <= '9') || c == ';' || c == ':')) return 0;
  }
  return 0;
}

void caret(std::string& out, unsigned char c) {
  out += '^';
  out += c == 0x7f ? '?' : static_cast<char>(c + 0x40);
}

}  // namespace

std::string terminal_safe(std::string_view text, bool keep_colour, bool keep_newlines) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  append_terminal_safe(out, text, keep_colour, keep_newlines);
  return out;
}

void append_terminal_safe(std::string& out, std::string_view text, bool keep_colour,
                          bool keep_newlines) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Printable ASCII, the bulk of any log, goes in runs.
    std::size_t run = i;
    while (run < text.size() && static_cast<unsigned char>(text[run]) >= 0x20 &&
           static_cast<unsigned char>(text[run]) < 0x7f)
      ++run;
    if (run > i) {
      out.append(text.substr(i, run - i));
      i = run;
      if (i == text.size()) break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\t' || (c == '\n' && keep_newlines)) {
      out += static_cast<char>(c);
    } else if (c == 0x1b) {
      if (const std::size_t n = sgr_length(text, i)) {
        if (keep_colour) out.append(text.substr(i, n));
        i += n - 1;
      } else {
        caret(out, c);
      }
    } else if (c < 0x20 || c == 0x7f) {
      caret(out, c);
    } else if (const std::size_t n = core::utf8_sequence(text, i); n == 0) {
      // Not UTF-8 (a lone byte 0x9B is CSI to a terminal in an 8-bit locale): the replacement
      // character, as a JSON page would show it.
      out += "\xEF\xBF\xBD";
    } else if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // A C1 control in UTF-8 (U+0080..U+009F): some terminals act on U+009B like ESC [.
      static const char* hex = "0123456789ABCDEF";
      const auto low = static_cast<unsigned char>(text[i + 1]);
      out += "<U+00";
      out += hex[low >> 4];
      out += hex[low & 0xf];
      out += '>';
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n - 1;
    }
  }
}

}  // namespace stackrun::client
