#include "runner/core/mask.hpp"

#include <algorithm>
#include <utility>

namespace stackrun::core {
namespace {

using Span = std::pair<std::size_t, std::size_t>;  // [begin, end) of hidden bytes

// Every occurrence of every secret in `buf` (overlapping ones too), plus [0, hidden_prefix),
// merged into disjoint spans sorted by position. Touching spans merge as well: one mark each.
std::vector<Span> hidden_spans(std::string_view buf, const std::vector<std::string>& secrets,
                               std::size_t hidden_prefix) {
  std::vector<Span> spans;
  if (hidden_prefix > 0) spans.emplace_back(0, hidden_prefix);
  for (const std::string& s : secrets) {
    for (std::size_t at = buf.find(s); at != std::string_view::npos; at = buf.find(s, at + 1))
      spans.emplace_back(at, at + s.size());
  }
  std::sort(spans.begin(), spans.end());
  std::vector<Span> merged;
  for (const Span& s : spans) {
    if (!merged.empty() && s.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, s.second);
    else
      merged.push_back(s);
  }
  return merged;
}

// The first position from which `buf`'s tail is a proper prefix of some secret (so a later
// feed may complete it), or buf.size() when no tail is.
std::size_t first_pending(std::string_view buf, const std::vector<std::string>& secrets) {
  const std::size_t n = buf.size();
  std::size_t first = n;
  for (const std::string& s : secrets) {
    // Tails shorter than s only; starting from the longest one, the first hit is this
    // secret's earliest pending position.
    for (std::size_t i = n >= s.size() ? n - s.size() + 1 : 0; i < n && i < first; ++i) {
      if (buf.compare(i, n - i, s, 0, n - i) == 0) {
        first = i;
        break;
      }
    }
  }
  return first;
}

}  // namespace

Masker::Masker(const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (s.size() < kMinSecretBytes) continue;
    if (std::find(secrets_.begin(), secrets_.end(), s) != secrets_.end()) continue;
    secrets_.push_back(s);
    longest_ = std::max(longest_, s.size());
  }
}

std::string Masker::feed(std::string_view bytes) {
  if (secrets_.empty()) return std::string(bytes);
  return run(bytes, false);
}

std::string Masker::flush() {
  std::string out = secrets_.empty() ? std::string() : run({}, true);
  held_.clear();
  held_hidden_ = 0;
  in_run_ = false;
  return out;
}

std::string Masker::run(std::string_view in, bool final) {
  std::string joined;
  std::string_view buf = in;
  if (!held_.empty()) {
    joined.reserve(held_.size() + in.size());
    joined.append(held_).append(in);
    buf = joined;
  }
  const std::vector<Span> spans = hidden_spans(buf, secrets_, held_hidden_);
  // Bytes before `keep` are decided: no later input can start a secret that covers them.
  const std::size_t keep = final ? buf.size() : first_pending(buf, secrets_);
  std::string out;
  out.reserve(keep);
  std::size_t pos = 0, hidden_after_keep = 0;
  for (const Span& s : spans) {
    // A span reaching past `keep` hides the start of what is held (a span that starts there
    // may be the held prefix itself, which no search finds again).
    if (s.first <= keep && s.second > keep) hidden_after_keep = s.second - keep;
    if (s.first >= keep) break;
    if (s.first > pos) {
      out.append(buf.substr(pos, s.first - pos));
      in_run_ = false;
    }
    if (!in_run_) out.append(kMark);
    in_run_ = true;
    pos = std::min(s.second, keep);
  }
  if (keep > pos) {
    out.append(buf.substr(pos, keep - pos));
    in_run_ = false;
  }
  held_ = std::string(buf.substr(keep));
  held_hidden_ = hidden_after_keep;
  return out;
}

std::string mask_secrets(std::string_view text, const std::vector<std::string>& secrets) {
  Masker m(secrets);
  std::string out = m.feed(text);
  out += m.flush();
  return out;
}

}  // namespace stackrun::core
