#pragma once
// One attempt's output as the server stores it: chunks of whole lines numbered from seq 0, kept
// until the server acknowledged them. Pure and not thread-safe (the Session guards it).
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "agents/line_buffer.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

class LogQueue {
 public:
  // max_chunk: a line longer than this is cut into several chunks (see LineBuffer).
  explicit LogQueue(std::size_t max_chunk = 64 * 1024) : lines_(max_chunk) {}

  // Step output: the complete lines in `bytes` become chunks; a partial line waits.
  void add(std::string_view bytes);
  // One of stackrun's own lines: ends a waiting partial line first, so the two never share a
  // line. `line` has no '\n'.
  void add_line(std::string_view line);
  // End of output: a waiting partial line becomes the last chunk (with a '\n' added).
  void close();

  // The oldest unacknowledged chunks, in seq order, up to `max_bytes` of data in all but at
  // least one if any is waiting.
  std::vector<wire::LogChunk> peek(std::size_t max_bytes) const;
  // The server stored the `n` oldest unacknowledged chunks (n > size() drops them all).
  void ack(std::size_t n);

  bool empty() const { return pending_.empty(); }       // nothing unacknowledged
  std::size_t pending_bytes() const { return bytes_; }  // data of the unacknowledged chunks
  std::int64_t seq_count() const { return next_seq_; }  // chunks made so far

 private:
  void push(std::string data);

  LineBuffer lines_;
  std::deque<wire::LogChunk> pending_;
  std::size_t bytes_ = 0;
  std::int64_t next_seq_ = 0;
};

}  // namespace stackrun::agent
