#include "agents/spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace stackrun::agent {
namespace {

std::string errno_text(int err) {
  return std::error_code(err, std::system_category()).message();
}

// Reads exactly [offset, offset + n) unless the file is shorter; the bytes read.
Result<std::string> pread_all(int fd, std::uint64_t offset, std::size_t n,
                              const std::string& path) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error{"cannot read " + path + ": " + errno_text(errno)};
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  out.resize(done);
  return out;
}

// Newlines in [from, to) of `fd`, read in blocks.
Result<long long> count_lines(int fd, std::uint64_t from, std::uint64_t to,
                              const std::string& path) {
  long long lines = 0;
  std::vector<char> buf(64 * 1024);
  for (std::uint64_t at = from; at < to;) {  // bounded: each pass reads or stops
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), to - at));
    const ssize_t r = ::pread(fd, buf.data(), want, static_cast<off_t>(at));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error{"cannot read " + path + ": " + errno_text(errno)};
    if (r == 0) break;
    lines += std::count(buf.data(), buf.data() + r, '\n');
    at += static_cast<std::uint64_t>(r);
  }
  return lines;
}

}  // namespace

Result<SpoolWriter> SpoolWriter::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"cannot open the spool " + path + ": " + errno_text(errno)};
  return SpoolWriter(fd);
}

SpoolWriter::~SpoolWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status SpoolWriter::append(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error{"cannot write the spool: " + errno_text(n < 0 ? errno : EIO)};
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok_status();
}

Status SpoolWriter::end_line() {
  const std::uint64_t n = size();
  if (n == 0) return ok_status();
  char last = 0;
  // O_APPEND does not stop pread; a write-only fd cannot read, so look through /proc.
  const int rd = ::open(("/proc/self/fd/" + std::to_string(fd_)).c_str(), O_RDONLY | O_CLOEXEC);
  if (rd < 0) return Error{"cannot read the spool: " + errno_text(errno)};
  const ssize_t r = ::pread(rd, &last, 1, static_cast<off_t>(n - 1));
  ::close(rd);
  if (r == 1 && last == '\n') return ok_status();
  return append("\n");
}

Status SpoolWriter::note(std::string_view line) {
  if (Status s = end_line(); !s) return s;
  return append("[stackrun] " + std::string(line) + "\n");
}

std::uint64_t SpoolWriter::size() const {
  struct stat st {};
  return ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

Result<StepTail> read_tail(const std::string& path, std::uint64_t from, std::uint64_t to,
                           std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot read the spool " + path + ": " + errno_text(errno)};
  struct stat st {};
  ::fstat(fd, &st);
  to = std::min<std::uint64_t>(to, static_cast<std::uint64_t>(st.st_size));
  from = std::min(from, to);
  std::uint64_t start = to - from > max_bytes ? to - max_bytes : from;
  auto text = pread_all(fd, start, static_cast<std::size_t>(to - start), path);
  if (!text) {
    ::close(fd);
    return Error{text.error()};
  }
  StepTail tail{std::move(*text), 0};
  if (start > from) {
    // Cut: begin at the next line, unless the tail is one unfinished line.
    const std::size_t nl = tail.text.find('\n');
    if (nl != std::string::npos && nl + 1 < tail.text.size()) {
      tail.text.erase(0, nl + 1);
      start += nl + 1;
    }
    // Why SEEK_HOLE: a released middle reads as zeros and would miscount.
    const off_t hole = ::lseek(fd, static_cast<off_t>(from), SEEK_HOLE);
    if (hole >= 0 && static_cast<std::uint64_t>(hole) < start) {
      tail.lines_before = -1;
    } else {
      auto lines = count_lines(fd, from, start, path);
      tail.lines_before = lines ? *lines : -1;
    }
  }
  ::close(fd);
  return tail;
}

std::size_t utf8_cut(std::string_view s, std::size_t limit) {
  if (limit >= s.size()) return s.size();
  std::size_t n = limit;
  // Step back over continuation bytes (10xxxxxx) to the start of the code point at `n`.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80 && limit - n < 3) --n;
  return n == 0 || (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80 ? limit : n;
}

std::size_t next_chunk(std::string_view data, std::size_t max_chunk, bool final) {
  if (data.empty()) return 0;
  const std::string_view window = data.substr(0, std::min(data.size(), max_chunk));
  const std::size_t nl = window.rfind('\n');
  if (nl != std::string_view::npos) return nl + 1;
  if (data.size() > max_chunk) return std::max<std::size_t>(1, utf8_cut(data, max_chunk));
  return final ? data.size() : 0;
}

std::string truncation_marker(std::uint64_t max_output, bool at_line_start) {
  return std::string(at_line_start ? "" : "\n") + "[stackrun] output truncated after " +
         std::to_string(max_output) +
         " bytes (the agent's --max-output); the rest stays in the agent's spool until the "
         "attempt ends\n";
}

}  // namespace stackrun::agent
