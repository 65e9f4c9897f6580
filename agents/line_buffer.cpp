#include "agents/line_buffer.hpp"

namespace stackrun::agent {

std::size_t utf8_cut(std::string_view s, std::size_t limit) {
  if (limit >= s.size()) return s.size();
  std::size_t n = limit;
  // Step back over continuation bytes (10xxxxxx) to the start of the code point at `n`.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n == 0 ? limit : n;
}

std::vector<std::string> LineBuffer::add(std::string_view bytes) {
  std::vector<std::string> out;
  pending_.append(bytes);
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = pending_.find('\n', start);
    const std::size_t avail = (nl == std::string::npos ? pending_.size() : nl + 1) - start;
    if (nl == std::string::npos && avail <= max_) break;
    std::size_t take = avail;
    if (take > max_) take = utf8_cut(std::string_view(pending_).substr(start), max_);
    out.push_back(pending_.substr(start, take));
    start += take;
  }
  pending_.erase(0, start);
  return out;
}

std::string LineBuffer::flush() {
  if (pending_.empty()) return {};
  std::string s = std::move(pending_);
  pending_.clear();
  s += '\n';
  return s;
}

}  // namespace stackrun::agent
