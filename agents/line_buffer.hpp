#pragma once
// Cuts a byte stream into chunks of whole lines (the unit the log store and `[stack]`
// prefixes work with). Pure.
#include <string>
#include <string_view>
#include <vector>

namespace stackrun::agent {

class LineBuffer {
 public:
  // max_chunk: a line longer than this is cut, at a UTF-8 code-point boundary.
  explicit LineBuffer(std::size_t max_chunk = 64 * 1024) : max_(max_chunk) {}
  // Appends bytes; returns complete chunks now available (each ends with '\n' unless cut).
  std::vector<std::string> add(std::string_view bytes);
  // The unterminated tail, with a '\n' added; empty if none. Call at end of output.
  std::string flush();

 private:
  std::size_t max_;
  std::string pending_;
};

// Largest n <= limit such that s[0, n) does not end inside a UTF-8 multi-byte sequence.
std::size_t utf8_cut(std::string_view s, std::size_t limit);

}  // namespace stackrun::agent
