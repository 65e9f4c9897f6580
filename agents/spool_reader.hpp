#pragma once
// Shipping one attempt's spool (spool.hpp) to the server as numbered log chunks: many lines
// per chunk, a long line split, a batch bounded by its body's size, and past the per-attempt
// output cap one marker line and nothing more. The reader keeps at most one batch in memory
// (the one in flight, resent as is until the server answers), whatever the output's size.
// Its position is persisted (ShipState) so that an agent restarted on the same work dir goes on
// where the server is. Not thread-safe: one thread (the Session's log thread) uses it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

struct ShipLimits {
  std::size_t max_chunk = 256 * 1024;   // one chunk's bytes (the server refuses over 512 KiB)
  std::size_t max_batch = 1024 * 1024;  // spool bytes read for one batch
  // A batch's body stays under this (the server's body limit is 4 MiB). Batches go as log
  // frames (wire/log_frames.hpp): the bytes as they are plus a short header per chunk.
  std::size_t max_batch_body = 3 * 1024 * 1024 + 512 * 1024;
  std::uint64_t max_output = 128ULL << 20;  // spool bytes shipped per attempt
};

// The end offset of the marker chunk in ShipState::inflight.
inline constexpr std::uint64_t kMarkerEnd = UINT64_MAX;

// Where shipping stands. Text format (<attempt>/shipped), one "key value" per line after
//   stackrun-shipped 1
// offset, seq, truncated (0|1), inflight (the chunks' end offsets, space-separated, "marker"
// for the marker; empty when nothing is in flight).
struct ShipState {
  std::uint64_t offset = 0;  // spool bytes the server has
  std::int64_t seq = 0;      // chunks the server has: the next chunk's seq
  bool truncated = false;    // the server has the marker: nothing more is shipped
  // The chunks of the batch sent without a definite answer, by end offset: the server may have
  // stored them, so after a restart they are resent cut exactly the same way.
  std::vector<std::uint64_t> inflight;
  bool operator==(const ShipState&) const = default;
};

std::string format_ship_state(const ShipState& s);
// Fails on another version or a malformed line, naming it.
Result<ShipState> parse_ship_state(std::string_view text);

class SpoolReader {
 public:
  // Reads `spool` (created if missing) from `start`; persists its state to `state_path`
  // ("" = nowhere). `attempt` fills each batch's attempt_id and epoch.
  SpoolReader(wire::AttemptRef attempt, std::string spool, std::string state_path,
              ShipLimits limits, ShipState start);
  ~SpoolReader();
  SpoolReader(const SpoolReader&) = delete;
  SpoolReader& operator=(const SpoolReader&) = delete;

  // The batch to send: the one in flight again while it has no definite answer, else a new one
  // of what the server does not have yet (the unterminated end of the output only once
  // `ended`), else nullptr (nothing to send now). Valid until the next call.
  const wire::LogBatch* next(bool ended);
  // The server answered the batch in flight: it stored its first `stored` chunks; the others
  // are read (and cut) again.
  void answered(std::size_t stored);
  // True once the server has everything it will get: the whole spool (when `ended`), or the
  // output up to the cap and the marker.
  bool done(bool ended);
  std::int64_t seq_count() const { return state_.seq; }
  const ShipState& state() const { return state_; }
  // The output reached the cap: shipping is over, but the step may write on.
  bool capped() const { return state_.truncated || state_.offset >= limits_.max_output; }
  // Past the cap, keeps the spool's disk use bounded while the step writes on: the first
  // max_output bytes and the last max(max_output, 16 MiB) are kept (the classifier reads the
  // end), the middle is released (a hole). Returns a text to log, once, if the filesystem
  // cannot punch holes (then the spool just grows).
  std::optional<std::string> bound_disk();

 private:
  std::uint64_t spool_size() const;
  void persist();
  void rebuild_inflight();
  void build(bool ended);
  std::string marker();

  wire::AttemptRef attempt_;
  std::string spool_, state_path_;
  ShipLimits limits_;
  ShipState state_;
  int fd_ = -1;
  wire::LogBatch batch_;  // the batch in flight (chunks empty: none)
  // Kept between batches: a fresh megabyte per batch costs more in page faults (the allocator
  // maps and unmaps blocks this large) than the copying it holds.
  std::string buf_;                 // the spool bytes read for the next batch
  std::vector<std::string> spare_;  // chunk strings of answered batches, emptied, for reuse
  std::uint64_t released_ = 0;      // the spool is a hole up to here (past max_output)
  bool punch_failed_ = false;
};

}  // namespace stackrun::agent
