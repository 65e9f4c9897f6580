#pragma once
// Terminal styling: ANSI colour only when the stream is a TTY and NO_COLOR is unset.
#include <string>

namespace stackrun::cli {

class Style {
 public:
  static Style for_fd(int fd);
  // Status word coloured by meaning (success green, failed red, skipped yellow...), padded to width.
  std::string status(const std::string& s, int width) const;
  std::string bold(const std::string& s) const;
  std::string dim(const std::string& s) const;
  std::string prefix(const std::string& label) const;  // "[label] " in a stable per-label colour
  bool colour = false;
};

}  // namespace stackrun::cli
