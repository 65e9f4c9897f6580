#pragma once
// Terminal styling for the CLI's formatters: ANSI colour or none, decided once by the caller
// (for_fd: only on a terminal, never with NO_COLOR set) so formatters stay pure and testable.
#include <string>
#include <string_view>

namespace stackrun::client {

class Style {
 public:
  // Colour iff `fd` is a terminal and NO_COLOR is unset or empty.
  static Style for_fd(int fd);
  static Style plain() { return Style{}; }
  static Style coloured() {
    Style s;
    s.colour = true;
    return s;
  }

  // A status or class word coloured by meaning (success green; failed, interrupted red;
  // skipped, drift, cancelled yellow; running, queued, offered cyan), right-padded with spaces
  // to `width` bytes (at least one space when the word is longer, so columns never touch;
  // width 0: no padding). The padding sits inside the colour codes.
  std::string status(std::string_view word, int width) const;
  std::string bold(const std::string& s) const;
  std::string dim(const std::string& s) const;
  // "[label] " in a colour that depends only on the label, so a stack keeps its colour.
  std::string prefix(const std::string& label) const;

  bool colour = false;
};

// `s` right-padded with spaces to `width` bytes; one space when it is already that long or
// longer, so that the next column never touches it.
std::string pad(std::string_view s, int width);

}  // namespace stackrun::client
