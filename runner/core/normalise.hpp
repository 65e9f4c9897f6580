#pragma once
// Output normalisation ahead of classification (pure). Raw step output in, one string of
// normalised lines out, plus where each normalised line started in the raw output:
//   - ANSI escapes dropped (CSI `ESC[...X`, OSC/DCS/APC strings, two-byte `ESC X` forms);
//   - "\r\n" is a line end; a bare '\r' (progress overwrite) keeps only the text after it;
//   - Terraform's diagnostic box: a line starting (after blanks) with ╷ or ╵ becomes a blank
//     line (paragraph break); a leading │ and one following space are removed;
//   - wrapped lines are joined with one space: inside a box, every non-blank line of a paragraph;
//     outside a box, a line starting with a lowercase ASCII letter onto the line before it, when
//     that line is non-blank and does not end in . ! ? ] ) }, and the line is not a Terraform
//     progress line ("module.x.y: Creating...") or a logfmt line ("time=... level=error");
//   - a joined line stops growing at kMaxJoinedLine bytes: a line that would take it past that
//     starts a new line instead (300,000 lines of "copying fileN" are not one 5.6 MB line);
//   - trailing blanks are removed from every line.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/verdict.hpp"

namespace stackrun::core {

// The most bytes a line made by joining wrapped lines may hold: the verdict line's cap
// (kMaxVerdictLine), so a deciding line built by joining is always shown whole. One raw line
// longer than this is never split; it only joins nothing.
inline constexpr std::size_t kMaxJoinedLine = 4096;

struct NormalisedOutput {
  struct Free {
    void operator()(char* p) const noexcept;
  };
  std::unique_ptr<char, Free> storage;  // owns the bytes `text` views (never larger than the input)
  std::string_view text;                // normalised lines separated by '\n', no trailing '\n'
  std::vector<std::size_t> offsets;     // offsets[i]: where line i starts in `text`
  std::vector<int> raw_line_no;         // raw_line_no[i]: 1-based raw line where line i starts
  std::optional<LockInfo> lock;         // the first "Lock Info:" block, read before joining

  std::size_t line_count() const { return offsets.size(); }
  // Line i without its '\n'.
  std::string_view line(std::size_t i) const;
  // Index of the line holding byte `offset` of `text` (offset < text.size(), or the last line).
  std::size_t line_at(std::size_t offset) const;
};

// Never fails; any byte sequence is accepted (invalid UTF-8 passes through unchanged).
NormalisedOutput normalise(std::string_view raw);

// `line` with ANSI escapes removed and bare-'\r' overwrites applied; `line` holds no '\n'.
// Returns `line` itself when there is nothing to remove, else a view of `scratch`.
std::string_view strip_terminal_codes(std::string_view line, std::string& scratch);

}  // namespace stackrun::core
