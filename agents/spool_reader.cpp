#include "agents/spool_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>

#include "agents/spool.hpp"
#include "runner/proc/step_files.hpp"

namespace stackrun::agent {
namespace {

constexpr std::string_view kVersion = "stackrun-shipped 1";
constexpr std::size_t kChunkFrame = 42;  // "<seq> <length>\n" before a chunk's bytes, at most
constexpr std::size_t kBatchFrame = 80;  // "stackrun-log-batch 1 <attempt> <epoch> <n>\n"
constexpr std::uint64_t kMinTail = 16ULL << 20;  // the least of the end kept past the cap
constexpr std::uint64_t kBlock = 4096;           // holes are punched in whole blocks

template <class Int>
bool to_int(std::string_view s, Int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

std::string format_ship_state(const ShipState& s) {
  std::string inflight;
  for (std::uint64_t end : s.inflight)
    inflight += (inflight.empty() ? "" : " ") +
                (end == kMarkerEnd ? std::string("marker") : std::to_string(end));
  return std::string(kVersion) + "\noffset " + std::to_string(s.offset) + "\nseq " +
         std::to_string(s.seq) + "\ntruncated " + (s.truncated ? "1" : "0") + "\ninflight " +
         inflight + "\n";
}

Result<ShipState> parse_ship_state(std::string_view text) {
  if (text.substr(0, kVersion.size() + 1) != std::string(kVersion) + "\n")
    return Error{"shipped: not \"" + std::string(kVersion) + "\""};
  ShipState s;
  int seen = 0;
  for (std::size_t pos = kVersion.size() + 1; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const std::size_t sp = line.find(' ');
    const std::string_view key = line.substr(0, sp);
    const std::string_view value = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    bool ok = true;
    if (key == "offset") {
      ok = to_int(value, s.offset);
    } else if (key == "seq") {
      ok = to_int(value, s.seq);
    } else if (key == "truncated") {
      ok = value == "0" || value == "1";
      s.truncated = value == "1";
    } else if (key == "inflight") {
      for (std::string_view rest = value; ok && !rest.empty();) {
        const std::size_t cut = rest.find(' ');
        const std::string_view item = rest.substr(0, cut);
        std::uint64_t n = 0;
        if (item == "marker") {
          s.inflight.push_back(kMarkerEnd);
        } else if ((ok = to_int(item, n))) {
          s.inflight.push_back(n);
        }
        rest = cut == std::string_view::npos ? "" : rest.substr(cut + 1);
      }
    } else {
      continue;  // a newer agent's key
    }
    if (!ok) return Error{"shipped: bad line \"" + std::string(line) + "\""};
    ++seen;
  }
  if (seen < 4) return Error{"shipped: missing offset, seq, truncated or inflight"};
  return s;
}

SpoolReader::SpoolReader(wire::AttemptRef attempt, std::string spool, std::string state_path,
                         ShipLimits limits, ShipState start)
    : attempt_(attempt),
      spool_(std::move(spool)),
      state_path_(std::move(state_path)),
      limits_(limits),
      state_(std::move(start)) {
  // Why read-write: releasing the middle of a capped spool (fallocate) needs a writable fd.
  fd_ = ::open(spool_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  // A chunk never exceeds a batch read, and a batch read sees past a chunk's end, so that a
  // long line is split where the next byte says it may be (never inside a UTF-8 character).
  limits_.max_chunk = std::max<std::size_t>(1, std::min(limits_.max_chunk, limits_.max_batch));
  limits_.max_batch = std::max(limits_.max_batch, limits_.max_chunk + 4);
  batch_.attempt_id = attempt_.attempt_id;
  batch_.epoch = attempt_.epoch;
}

SpoolReader::~SpoolReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t SpoolReader::spool_size() const {
  struct stat st {};
  return fd_ >= 0 && ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

void SpoolReader::persist() {
  // Best effort: the state only matters to a restarted agent, and an unwritable work dir shows
  // elsewhere first.
  if (!state_path_.empty())
    (void)proc::write_file_atomically(state_path_, format_ship_state(state_));
}

std::string SpoolReader::marker() {
  char last = '\n';
  if (limits_.max_output > 0 && fd_ >= 0)
    (void)::pread(fd_, &last, 1, static_cast<off_t>(limits_.max_output - 1));
  return truncation_marker(limits_.max_output, last == '\n');
}

// After a restart: the chunks sent last, cut as they were then.
void SpoolReader::rebuild_inflight() {
  std::uint64_t at = state_.offset;
  std::int64_t seq = state_.seq;
  for (std::uint64_t end : state_.inflight) {
    std::string data;
    if (end == kMarkerEnd) {
      data = marker();
    } else {
      data.resize(static_cast<std::size_t>(end - std::min(end, at)));
      const ssize_t n = ::pread(fd_, data.data(), data.size(), static_cast<off_t>(at));
      data.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
      at = end;
    }
    batch_.chunks.push_back({seq++, std::move(data)});
  }
}

void SpoolReader::build(bool ended) {
  if (state_.truncated || fd_ < 0) return;
  const std::uint64_t size = spool_size();
  const std::uint64_t avail = size - std::min(size, state_.offset);
  const std::uint64_t cap_left = limits_.max_output - std::min(limits_.max_output, state_.offset);
  const bool beyond_cap = avail > cap_left;
  const std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>({avail, cap_left, limits_.max_batch}));
  std::string& buf = buf_;
  buf.resize(want);
  std::size_t got = 0;
  while (got < want) {
    const ssize_t n =
        ::pread(fd_, buf.data() + got, want - got, static_cast<off_t>(state_.offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  buf.resize(got);
  // Nothing more will follow these bytes: the output ended and they are its end, or the cap
  // cuts them.
  const bool final = (ended && got == avail) || (beyond_cap && got == cap_left);
  std::size_t body = kBatchFrame, pos = 0;
  std::uint64_t seq = static_cast<std::uint64_t>(state_.seq);
  std::vector<std::uint64_t> ends;
  while (pos < buf.size()) {
    const std::string_view rest = std::string_view(buf).substr(pos);
    const std::size_t n = next_chunk(rest, limits_.max_chunk, final);
    if (n == 0) break;
    const std::size_t cost = n + kChunkFrame;
    if (!batch_.chunks.empty() && body + cost > limits_.max_batch_body) break;
    body += cost;
    std::string data;
    if (!spare_.empty()) {
      data = std::move(spare_.back());
      spare_.pop_back();
    }
    data.assign(rest.data(), n);
    batch_.chunks.push_back({static_cast<std::int64_t>(seq++), std::move(data)});
    pos += n;
    ends.push_back(state_.offset + pos);
  }
  const bool at_cap = state_.offset + pos >= limits_.max_output && beyond_cap;
  if (at_cap && body + kChunkFrame + 256 <= limits_.max_batch_body) {
    batch_.chunks.push_back({static_cast<std::int64_t>(seq), marker()});
    ends.push_back(kMarkerEnd);
  }
  state_.inflight = std::move(ends);
}

const wire::LogBatch* SpoolReader::next(bool ended) {
  if (batch_.chunks.empty() && !state_.inflight.empty()) rebuild_inflight();
  if (batch_.chunks.empty()) {
    build(ended);
    if (batch_.chunks.empty()) return nullptr;
    persist();  // before sending: the server may store it and the answer be lost
  }
  return &batch_;
}

void SpoolReader::answered(std::size_t stored) {
  stored = std::min(stored, state_.inflight.size());
  for (std::size_t i = 0; i < stored; ++i) {
    if (state_.inflight[i] == kMarkerEnd) {
      state_.truncated = true;
    } else {
      state_.offset = state_.inflight[i];
    }
    ++state_.seq;
  }
  state_.inflight.clear();
  for (auto& c : batch_.chunks) {
    if (spare_.size() >= 64) break;
    c.data.clear();
    spare_.push_back(std::move(c.data));
  }
  batch_.chunks.clear();
  persist();
}

bool SpoolReader::done(bool ended) {
  if (!state_.inflight.empty()) return false;
  if (state_.truncated) return true;
  return ended && state_.offset >= spool_size();  // past the cap, truncated says it
}

std::optional<std::string> SpoolReader::bound_disk() {
  if (punch_failed_ || fd_ < 0 || !capped()) return std::nullopt;
  const std::uint64_t keep_tail = std::max<std::uint64_t>(limits_.max_output, kMinTail);
  const std::uint64_t size = spool_size();
  const std::uint64_t from =
      (std::max(limits_.max_output, released_) + kBlock - 1) / kBlock * kBlock;
  if (size < from + keep_tail + kMinTail) return std::nullopt;  // not worth a call yet
  const std::uint64_t to = (size - keep_tail) / kBlock * kBlock;
  if (to <= from) return std::nullopt;
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(from),
                  static_cast<off_t>(to - from)) != 0) {
    punch_failed_ = true;
    return "cannot release the middle of the spool " + spool_ + " (" +
           std::error_code(errno, std::system_category()).message() +
           "): it grows with the step's output until the attempt ends";
  }
  released_ = to;
  return std::nullopt;
}

}  // namespace stackrun::agent
