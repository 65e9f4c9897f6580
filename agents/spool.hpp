#pragma once
// An attempt's spool: one append-only file holding, in order, the output of its steps (the
// supervisor appends a step's stdout and stderr) and stackrun's own lines (the agent appends
// them between steps). The server gets it in chunks (spool_reader.hpp); the classifier reads
// the tail of each step from it. Nothing here keeps output in memory beyond one read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runner/core/result.hpp"

namespace stackrun::agent {

// The agent's side of the spool: appends stackrun's lines while no step runs.
class SpoolWriter {
 public:
  // Opens `path` for appending (created with mode 0600). Fails naming the path.
  static Result<SpoolWriter> open(const std::string& path);
  SpoolWriter(SpoolWriter&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SpoolWriter& operator=(SpoolWriter&&) = delete;
  SpoolWriter(const SpoolWriter&) = delete;
  ~SpoolWriter();

  // Appends `bytes` (a failure, e.g. a full disk, is returned, not thrown).
  Status append(std::string_view bytes);
  // Appends '\n' unless the spool is empty or already ends with one: a step's unterminated
  // last line must not run into the next line.
  Status end_line();
  // "[stackrun] <line>\n", after end_line().
  Status note(std::string_view line);
  std::uint64_t size() const;  // bytes in the spool now

 private:
  explicit SpoolWriter(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The end of one step's output for the classifier: spool bytes [from, to), at most `max_bytes`
// of their end, starting at a line start when cut. `lines_before` counts the lines of [from,
// to) that were left out (add it to a line number within `text`), or is -1 when it cannot be
// known (the spool has holes: its middle was released, see SpoolReader::bound_disk).
struct StepTail {
  std::string text;
  long long lines_before = 0;
};
Result<StepTail> read_tail(const std::string& path, std::uint64_t from, std::uint64_t to,
                           std::size_t max_bytes);

// ---------------------------------------------------------------- chunking (pure)

// Largest n <= limit such that s[0, n) does not end inside a UTF-8 multi-byte sequence.
std::size_t utf8_cut(std::string_view s, std::size_t limit);

// The size of the next log chunk at the start of `data`: the longest prefix of at most
// `max_chunk` bytes that ends with '\n' (many lines per chunk); else, when `data` holds more
// than `max_chunk` bytes of one line, `max_chunk` bytes cut at a UTF-8 boundary (a long line
// is split); else, when `final` (nothing more will follow these bytes), all of `data`; else 0:
// the line is not complete yet.
std::size_t next_chunk(std::string_view data, std::size_t max_chunk, bool final);

// The line shipped in place of the output past the cap; starts with '\n' when the shipped
// output does not end with one.
std::string truncation_marker(std::uint64_t max_output, bool at_line_start);

}  // namespace stackrun::agent
