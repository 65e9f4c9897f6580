#include "runner/core/normalise.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "runner/core/lock_info.hpp"

namespace stackrun::core {
namespace {

constexpr char kEsc = '\x1b';
// UTF-8 of the box-drawing characters Terraform frames its diagnostics with.
constexpr std::string_view kBoxTop = "\xE2\x95\xB7";     // ╷ U+2577
constexpr std::string_view kBoxBottom = "\xE2\x95\xB5";  // ╵ U+2575
constexpr std::string_view kBoxSide = "\xE2\x94\x82";    // │ U+2502

bool in_range(char c, unsigned lo, unsigned hi) {
  const auto u = static_cast<unsigned char>(c);
  return u >= lo && u <= hi;
}

// `p[i]` is ESC; returns the index just past the escape sequence (at most `n`). Sequences
// never run past the end of the line: an unterminated one swallows the rest of the line.
std::size_t skip_escape(const char* p, std::size_t n, std::size_t i) {
  if (i + 1 >= n) return n;
  const char kind = p[i + 1];
  std::size_t j = i + 2;
  if (kind == '[') {  // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E
    while (j < n && in_range(p[j], 0x30, 0x3F)) ++j;
    while (j < n && in_range(p[j], 0x20, 0x2F)) ++j;
    return j < n && in_range(p[j], 0x40, 0x7E) ? j + 1 : j;
  }
  if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
    // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (ESC \).
    for (; j < n; ++j) {
      if (p[j] == '\a') return j + 1;
      if (p[j] == kEsc && j + 1 < n && p[j + 1] == '\\') return j + 2;
    }
    return n;
  }
  // Other two-byte forms (ESC 7, ESC =, ESC ( B, ...): intermediates then one final byte.
  j = i + 1;
  while (j < n && in_range(p[j], 0x20, 0x2F)) ++j;
  return j < n && in_range(p[j], 0x30, 0x7E) ? j + 1 : j;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view ltrim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

// Whether a non-box line starting with a lowercase letter continues the line before it.
// Terraform progress lines ("module.db.aws_instance.x: Creating...") and logfmt lines
// ("time=... level=error") also start lowercase but are lines of their own: joining them
// would glue a whole apply log into one "line".
bool is_continuation(std::string_view line) {
  if (line.empty() || !in_range(line.front(), 'a', 'z')) return false;
  const std::string_view token = line.substr(0, line.find(' '));
  if (token.find('=') != std::string_view::npos) return false;
  return !(token.back() == ':' && token.find('.') != std::string_view::npos);
}

// Whether a line ending in `c` is complete, so that the next line does not continue it.
bool ends_line(char c) {
  return std::strchr(".!?])}", c) != nullptr && c != '\0';
}

// Strips ANSI escapes and bare-'\r' overwrites from [p, p+n) into `w` (at most n bytes; `w`
// may not overlap the input). Returns the end of what was written.
char* strip_into(const char* p, std::size_t n, char* w) {
  char* const begin = w;
  std::size_t i = 0;
  while (i < n) {
    const char c = p[i];
    if (c == kEsc) {
      i = skip_escape(p, n, i);
    } else if (c == '\r') {
      std::size_t j = i + 1;
      while (j < n && p[j] == '\r') ++j;
      if (j < n) w = begin;  // overwritten from column 0; a trailing '\r' is a line end
      i = j;
    } else {
      *w++ = c;
      ++i;
    }
  }
  return w;
}

// Builds the normalised text in place: each raw line is stripped straight into the output
// buffer (one byte reserved before it for the '\n' or ' ' that separates it from the line
// before), then its content is moved down over the box prefix. The output is never longer
// than the input, so one buffer of the input's size holds it all.
// Output storage for `n` bytes, uninitialised. Large buffers are 2 MiB aligned and marked for
// transparent huge pages: every first touch of a fresh 4 KiB page is a page fault, and on
// virtualised hosts faulting in a 64 MB log's pages cost more than normalising it.
char* allocate_text(std::size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  if (n >= 2 * kHugePage) {
    const std::size_t size = (n + kHugePage - 1) / kHugePage * kHugePage;
    if (void* p = std::aligned_alloc(kHugePage, size)) {
      madvise(p, size, MADV_HUGEPAGE);  // a hint: failure only costs speed
      return static_cast<char*>(p);
    }
  }
#endif
  void* p = std::malloc(n == 0 ? 1 : n);
  if (!p) throw std::bad_alloc();
  return static_cast<char*>(p);
}

class Builder {
 public:
  explicit Builder(std::size_t raw_size) {
    buf_ = allocate_text(raw_size + 1);
    out_.storage.reset(buf_);
    out_.offsets.reserve(raw_size / 40 + 1);
    out_.raw_line_no.reserve(raw_size / 40 + 1);
  }

  void add(std::string_view raw_line, int raw_no) {
    const bool first = out_.offsets.empty();
    const std::size_t sep = w_;
    const std::size_t s = first ? w_ : w_ + 1;
    const std::size_t t =
        static_cast<std::size_t>(strip_into(raw_line.data(), raw_line.size(), buf_ + s) - buf_);
    const std::string_view line(buf_ + s, t - s);

    const std::string_view rest = ltrim(line);
    if (rest.starts_with(kBoxTop) || rest.starts_with(kBoxBottom)) {
      lock_.feed({});  // a box edge also ends any Lock Info block
      blank(first, sep, s, raw_no);
      return;
    }
    const bool boxed = rest.starts_with(kBoxSide);
    std::string_view content = line;
    if (boxed) {
      content = rest.substr(kBoxSide.size());
      if (!content.empty() && content.front() == ' ') content.remove_prefix(1);
    }
    content = rtrim(content);
    lock_.feed(content);
    if (content.empty()) {
      blank(first, sep, s, raw_no);
    } else if (boxed) {
      if (prev_ == Prev::box && joins_within_cap(sep, ltrim(content)))
        join(sep, ltrim(content));
      else
        start(first, sep, s, content, raw_no);
      prev_ = Prev::box;
    } else {
      const bool open = !ends_line(content.back());
      if (prev_ == Prev::plain && prev_open_ && is_continuation(content) &&
          joins_within_cap(sep, content))
        join(sep, content);
      else
        start(first, sep, s, content, raw_no);
      prev_ = Prev::plain;
      prev_open_ = open;
    }
  }

  NormalisedOutput finish() && {
    out_.text = std::string_view(buf_, w_);
    out_.lock = lock_.result();
    return std::move(out_);
  }

 private:
  enum class Prev { none, blank, box, plain };

  void place(std::size_t at, std::string_view content) {
    if (!content.empty() && content.data() != buf_ + at)
      std::memmove(buf_ + at, content.data(), content.size());
    w_ = at + content.size();
  }
  void start(bool first, std::size_t sep, std::size_t s, std::string_view content, int raw_no) {
    if (!first) buf_[sep] = '\n';
    out_.offsets.push_back(s);
    out_.raw_line_no.push_back(raw_no);
    place(s, content);
  }
  // Whether joining `content` at `sep` keeps the current line within kMaxJoinedLine.
  bool joins_within_cap(std::size_t sep, std::string_view content) const {
    return sep - out_.offsets.back() + 1 + content.size() <= kMaxJoinedLine;
  }
  void join(std::size_t sep, std::string_view content) {
    buf_[sep] = ' ';
    place(sep + 1, content);
  }
  void blank(bool first, std::size_t sep, std::size_t s, int raw_no) {
    start(first, sep, s, {}, raw_no);
    prev_ = Prev::blank;
  }

  NormalisedOutput out_;
  char* buf_ = nullptr;  // out_.text's bytes; written up to w_
  std::size_t w_ = 0;
  LockInfoParser lock_;
  Prev prev_ = Prev::none;
  bool prev_open_ = false;  // a plain previous line that a continuation may join
};

}  // namespace

void NormalisedOutput::Free::operator()(char* p) const noexcept {
  std::free(p);
}

std::string_view NormalisedOutput::line(std::size_t i) const {
  const std::size_t begin = offsets[i];
  const std::size_t end = i + 1 < offsets.size() ? offsets[i + 1] - 1 : text.size();
  return text.substr(begin, end - begin);
}

std::size_t NormalisedOutput::line_at(std::size_t offset) const {
  const auto it = std::upper_bound(offsets.begin(), offsets.end(), offset);
  return it == offsets.begin() ? 0 : static_cast<std::size_t>(it - offsets.begin()) - 1;
}

std::string_view strip_terminal_codes(std::string_view line, std::string& scratch) {
  const char* p = line.data();
  const std::size_t n = line.size();
  if (!std::memchr(p, kEsc, n) && !std::memchr(p, '\r', n)) return line;
  scratch.resize(n);
  scratch.resize(static_cast<std::size_t>(strip_into(p, n, scratch.data()) - scratch.data()));
  return scratch;
}

NormalisedOutput normalise(std::string_view raw) {
  Builder b(raw.size());
  int raw_no = 0;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const void* nl = std::memchr(raw.data() + pos, '\n', raw.size() - pos);
    const std::size_t end =
        nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - raw.data()) : raw.size();
    b.add(raw.substr(pos, end - pos), ++raw_no);
    pos = end + 1;
  }
  return std::move(b).finish();
}

}  // namespace stackrun::core
