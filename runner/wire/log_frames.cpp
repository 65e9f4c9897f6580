#include "runner/wire/log_frames.hpp"

#include <charconv>

namespace stackrun::wire {
namespace {

constexpr std::string_view kBatchMagic = "stackrun-log-batch 1";
constexpr std::string_view kPageMagic = "stackrun-log-page 1";

// Reads a header line field by field; every failure names where it happened.
class Reader {
 public:
  Reader(std::string_view body, const char* what) : rest_(body), what_(what) {}

  // Takes the next header line (without its '\n') as the fields to read.
  bool line(const std::string& where) {
    const std::size_t nl = rest_.find('\n');
    if (nl == std::string_view::npos) return fail(where + ": no header line");
    fields_ = rest_.substr(0, nl);
    rest_.remove_prefix(nl + 1);
    where_ = where;
    return true;
  }
  std::string_view word() {
    const std::size_t sp = fields_.find(' ');
    const std::string_view w = fields_.substr(0, sp);
    fields_ = sp == std::string_view::npos ? std::string_view() : fields_.substr(sp + 1);
    return w;
  }
  template <class Int>
  bool number(Int& out, const char* name) {
    const std::string_view w = word();
    const auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
    if (w.empty() || w.front() == '-' || ec != std::errc() || p != w.data() + w.size())
      return fail(where_ + ": " + name + " is not a count: \"" + std::string(w) + "\"");
    return true;
  }
  bool end_of_line() {
    if (!fields_.empty()) return fail(where_ + ": trailing \"" + std::string(fields_) + "\"");
    return true;
  }
  bool bytes(std::size_t n, std::string& out) {
    if (n > rest_.size())
      return fail(where_ + ": " + std::to_string(n) + " bytes announced, " +
                  std::to_string(rest_.size()) + " left");
    out.assign(rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  bool finished() {
    if (!rest_.empty()) return fail(std::to_string(rest_.size()) + " bytes after the last frame");
    return true;
  }
  bool fail(const std::string& why) {
    error_ = std::string(what_) + ": " + why;
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  std::string_view rest_, fields_;
  const char* what_;
  std::string where_, error_;
};

std::string frame_name(std::size_t i) {
  return "frame " + std::to_string(i + 1);
}

}  // namespace

std::string encode_frames(const LogBatch& b) {
  std::string out;
  encode_frames(b, out);
  return out;
}

void encode_frames(const LogBatch& b, std::string& out) {
  std::size_t size = 64;
  for (const LogChunk& c : b.chunks) size += 42 + c.data.size();
  out.clear();
  out.reserve(size);
  out.append(kBatchMagic)
      .append(" " + std::to_string(b.attempt_id) + " " + std::to_string(b.epoch) + " " +
              std::to_string(b.chunks.size()) + "\n");
  for (const LogChunk& c : b.chunks) {
    out.append(std::to_string(c.seq) + " " + std::to_string(c.data.size()) + "\n");
    out.append(c.data);
  }
}

Result<LogBatch> decode_batch_frames(std::string_view body) {
  using R = Result<LogBatch>;
  Reader r(body, "log frames");
  LogBatch b;
  std::size_t n = 0;
  if (!r.line("header")) return R::fail(r.error());
  if (r.word() != "stackrun-log-batch" || r.word() != "1")
    return R::fail("log frames: header: not \"" + std::string(kBatchMagic) + " ...\"");
  if (!r.number(b.attempt_id, "attempt_id") || !r.number(b.epoch, "epoch") ||
      !r.number(n, "chunk count") || !r.end_of_line())
    return R::fail(r.error());
  if (n > body.size()) return R::fail("log frames: header: more chunks than bytes");
  b.chunks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    LogChunk c;
    std::size_t len = 0;
    if (!r.line(frame_name(i)) || !r.number(c.seq, "seq") || !r.number(len, "length") ||
        !r.end_of_line() || !r.bytes(len, c.data))
      return R::fail(r.error());
    b.chunks.push_back(std::move(c));
  }
  if (!r.finished()) return R::fail(r.error());
  return b;
}

std::string encode_frames(const LogPage& p) {
  std::size_t size = 96;
  for (const LogLine& c : p.chunks) size += 64 + c.stack.size() + c.data.size();
  std::string out;
  out.reserve(size);
  out.append(kPageMagic)
      .append(" " + std::to_string(p.next) + " " + (p.done ? "1" : "0") + " " +
              std::string(core::to_string(p.status)) + " " + std::to_string(p.chunks.size()) +
              "\n");
  for (const LogLine& c : p.chunks) {
    out.append(std::to_string(c.id) + " " + c.stream + " " + std::to_string(c.stack.size()) + " " +
               std::to_string(c.data.size()) + "\n");
    out.append(c.stack).append(c.data);
  }
  return out;
}

Result<LogPage> decode_page_frames(std::string_view body) {
  using R = Result<LogPage>;
  Reader r(body, "log page frames");
  LogPage p;
  std::size_t n = 0;
  int done = 0;
  if (!r.line("header")) return R::fail(r.error());
  if (r.word() != "stackrun-log-page" || r.word() != "1")
    return R::fail("log page frames: header: not \"" + std::string(kPageMagic) + " ...\"");
  if (!r.number(p.next, "next") || !r.number(done, "done")) return R::fail(r.error());
  const std::string_view status = r.word();
  const auto parsed = core::parse_run_status(status);
  if (done > 1 || !parsed)
    return R::fail("log page frames: header: bad done or status \"" + std::string(status) + "\"");
  p.done = done == 1;
  p.status = *parsed;
  if (!r.number(n, "chunk count") || !r.end_of_line()) return R::fail(r.error());
  if (n > body.size()) return R::fail("log page frames: header: more chunks than bytes");
  p.chunks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    LogLine c;
    std::size_t stack_len = 0, data_len = 0;
    if (!r.line(frame_name(i)) || !r.number(c.id, "id")) return R::fail(r.error());
    c.stream = std::string(r.word());
    if (c.stream != "out" && c.stream != "sys")
      return R::fail("log page frames: " + frame_name(i) + ": stream \"" + c.stream +
                     "\" is neither out nor sys");
    if (!r.number(stack_len, "stack length") || !r.number(data_len, "data length") ||
        !r.end_of_line() || !r.bytes(stack_len, c.stack) || !r.bytes(data_len, c.data))
      return R::fail(r.error());
    p.chunks.push_back(std::move(c));
  }
  if (!r.finished()) return R::fail(r.error());
  return p;
}

}  // namespace stackrun::wire
