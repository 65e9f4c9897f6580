// Doublestar matching in three pure steps: expand braces into plain alternatives, split each
// alternative into segments of tokens, then match segments against path segments with a
// table (no backtracking across segments, so no exponential blow-up on `**/**/**`).
#include "runner/core/glob.hpp"

#include <cstddef>
#include <utility>
#include <vector>

namespace stackrun::core {
namespace {

constexpr size_t kMaxAlternatives = 1024;
constexpr size_t npos = std::string_view::npos;

// Index just past the ']' closing the class that opens at p[open], or npos if unclosed.
size_t class_end(std::string_view p, size_t open) {
  size_t j = open + 1;
  if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
  if (j < p.size() && p[j] == ']') ++j;  // a leading ']' is a member
  while (j < p.size()) {
    if (p[j] == '\\')
      j += 2;
    else if (p[j] == ']')
      return j + 1;
    else
      ++j;
  }
  return npos;
}

// Expands `{a,b}` (nested) into brace-free alternatives; escapes and classes are copied raw.
class Expander {
 public:
  explicit Expander(std::string_view p) : p_(p) {}

  std::vector<std::string> run() {
    size_t i = 0;
    auto out = sequence(i, false);
    return err_ ? std::vector<std::string>{} : out;
  }
  const std::optional<std::string>& error() const { return err_; }

 private:
  // Reads until the end (top level) or an unnested ',' / '}' (inside braces).
  std::vector<std::string> sequence(size_t& i, bool nested) {
    std::vector<std::string> acc{""};
    auto append = [&acc](std::string_view s) {
      for (auto& a : acc) a += s;
    };
    while (i < p_.size() && !err_) {
      const char c = p_[i];
      if (c == '\\') {
        if (i + 1 >= p_.size()) {
          err_ = "trailing '\\'";
          break;
        }
        append(p_.substr(i, 2));
        i += 2;
      } else if (c == '[') {
        const size_t e = class_end(p_, i);
        if (e == npos) {
          err_ = "unclosed '['";
          break;
        }
        append(p_.substr(i, e - i));
        i = e;
      } else if (c == '{') {
        ++i;
        auto alts = alternatives(i);
        if (err_) break;
        if (acc.size() * alts.size() > kMaxAlternatives) {
          too_many();
          break;
        }
        std::vector<std::string> next;
        for (const auto& a : acc)
          for (const auto& b : alts) next.push_back(a + b);
        acc = std::move(next);
      } else if (nested && (c == ',' || c == '}')) {
        return acc;
      } else {
        append(p_.substr(i, 1));
        ++i;
      }
    }
    if (nested && !err_) err_ = "unclosed '{'";
    return acc;
  }

  // After a '{': alternatives up to and including the matching '}'.
  std::vector<std::string> alternatives(size_t& i) {
    std::vector<std::string> out;
    while (!err_) {
      auto part = sequence(i, true);
      if (err_) break;
      if (out.size() + part.size() > kMaxAlternatives) {
        too_many();
        break;
      }
      out.insert(out.end(), part.begin(), part.end());
      if (p_[i++] == '}') break;  // else ','
    }
    return out;
  }

  void too_many() {
    err_ = "too many brace alternatives (more than " + std::to_string(kMaxAlternatives) + ")";
  }

  std::string_view p_;
  std::optional<std::string> err_;
};

struct Token {
  enum class Kind { literal, any, star, cls };
  explicit Token(Kind k, char ch = 0) : kind(k), c(ch) {}
  Kind kind;
  char c;
  bool negate = false;
  std::vector<std::pair<unsigned char, unsigned char>> ranges;  // cls: inclusive ranges
};

struct Segment {
  bool globstar = false;
  std::vector<Token> tokens;
};

// Reads one possibly escaped character at p[j]; advances j.
unsigned char class_char(std::string_view p, size_t& j) {
  if (p[j] == '\\' && j + 1 < p.size()) ++j;
  return static_cast<unsigned char>(p[j++]);
}

Token parse_class(std::string_view p, size_t& i) {  // p[i] == '[', class known to be closed
  Token t(Token::Kind::cls);
  size_t j = i + 1;
  if (p[j] == '!' || p[j] == '^') {
    t.negate = true;
    ++j;
  }
  bool first = true;
  while (first || p[j] != ']') {
    first = false;
    const unsigned char lo = class_char(p, j);
    unsigned char hi = lo;
    if (p[j] == '-' && j + 1 < p.size() && p[j + 1] != ']') {
      ++j;
      hi = class_char(p, j);
    }
    t.ranges.emplace_back(lo, hi);
  }
  i = j + 1;
  return t;
}

// Splits a brace-free, well-formed pattern into segments.
std::vector<Segment> segments_of(std::string_view p) {
  std::vector<Segment> out(1);
  size_t seg_start = 0;
  auto close = [&](size_t end) {
    out.back().globstar = p.substr(seg_start, end - seg_start) == "**";
  };
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    auto& toks = out.back().tokens;
    if (c == '/' || (c == '\\' && p[i + 1] == '/')) {
      close(i);
      i += c == '/' ? 1 : 2;
      seg_start = i;
      out.emplace_back();
    } else if (c == '\\') {
      toks.emplace_back(Token::Kind::literal, p[i + 1]);
      i += 2;
    } else if (c == '*') {
      if (toks.empty() || toks.back().kind != Token::Kind::star)
        toks.emplace_back(Token::Kind::star);
      ++i;
    } else if (c == '?') {
      toks.emplace_back(Token::Kind::any);
      ++i;
    } else if (c == '[') {
      toks.push_back(parse_class(p, i));
    } else {
      toks.emplace_back(Token::Kind::literal, c);
      ++i;
    }
  }
  close(p.size());
  return out;
}

bool token_matches(const Token& t, char ch) {
  switch (t.kind) {
    case Token::Kind::literal:
      return t.c == ch;
    case Token::Kind::any:
      return true;
    case Token::Kind::star:
      return true;
    case Token::Kind::cls: {
      const auto u = static_cast<unsigned char>(ch);
      bool in = false;
      for (const auto& [lo, hi] : t.ranges) in = in || (lo <= u && u <= hi);
      return in != t.negate;
    }
  }
  return false;
}

// One segment against text without '/': greedy with a single restart point, O(n*m) worst.
bool segment_matches(const std::vector<Token>& toks, std::string_view text) {
  size_t t = 0, s = 0, star_t = npos, star_s = 0;
  while (s < text.size()) {
    if (t < toks.size() && toks[t].kind == Token::Kind::star) {
      star_t = t++;
      star_s = s;
    } else if (t < toks.size() && token_matches(toks[t], text[s])) {
      ++t;
      ++s;
    } else if (star_t != npos) {
      t = star_t + 1;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (t < toks.size() && toks[t].kind == Token::Kind::star) ++t;
  return t == toks.size();
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      out.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// row[j] for pattern segment i: do segments i.. match path segments j..? Filled bottom-up.
bool segments_match(const std::vector<Segment>& pat, const std::vector<std::string_view>& path) {
  const size_t n = path.size();
  std::vector<char> below(n + 1, 0), row(n + 1, 0);
  below[n] = 1;  // empty pattern matches only the empty rest of the path
  for (size_t i = pat.size(); i-- > 0;) {
    const Segment& seg = pat[i];
    for (size_t j = n + 1; j-- > 0;) {
      if (seg.globstar)
        row[j] = below[j] || (j < n && row[j + 1]);
      else
        row[j] = j < n && below[j + 1] && segment_matches(seg.tokens, path[j]);
    }
    std::swap(below, row);
  }
  return below[0] != 0;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
  Expander ex(pattern);
  const auto alternatives = ex.run();
  if (ex.error()) return false;
  const auto parts = split_path(path);
  for (const auto& alt : alternatives)
    if (segments_match(segments_of(alt), parts)) return true;
  return false;
}

std::optional<std::string> glob_error(std::string_view pattern) {
  Expander ex(pattern);
  (void)ex.run();
  return ex.error();
}

}  // namespace stackrun::core
