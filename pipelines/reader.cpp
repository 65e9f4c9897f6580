#include "pipelines/reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "runner/core/glob.hpp"

namespace stackrun::pipelines {
namespace {

std::string q(std::string_view label) {
  return quote(label);
}

void wrong_type(const Node& v, std::string_view label, std::string_view expected, Diags& d) {
  d.error(v.loc, q(label) + " must be " + std::string(expected) + ", got " + describe(v));
}

// Optimal string alignment distance.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> t(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) t[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) t[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      t[i][j] = std::min({t[i - 1][j] + 1, t[i][j - 1] + 1, t[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        t[i][j] = std::min(t[i][j], t[i - 2][j - 2] + 1);
    }
  }
  return t[a.size()][b.size()];
}

}  // namespace

void Diags::error(const Location& at, std::string message) {
  list_.push_back({at, std::move(message)});
}

std::vector<Diagnostic> Diags::take_sorted() {
  std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.loc.line, a.loc.col) < std::pair(b.loc.line, b.loc.col);
  });
  return std::move(list_);
}

std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  size_t best_d = 3;
  for (auto c : candidates) {
    const size_t dist = edit_distance(word, c);
    if (dist < best_d && dist < word.size()) {
      best = c;
      best_d = dist;
    }
  }
  return best;
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (auto w : words) out += (out.empty() ? "" : ", ") + std::string(w);
  return out;
}

std::vector<const Entry*> unique_entries(const Node& map, Diags& d) {
  std::vector<const Entry*> out;
  for (const auto& e : map.entries) {
    if (e.key.kind != Node::Kind::scalar) {
      d.error(e.key.loc, "mapping keys must be strings, got " + describe(e.key));
      continue;
    }
    auto first = std::find_if(out.begin(), out.end(),
                              [&](const Entry* o) { return o->key.text == e.key.text; });
    if (first != out.end()) {
      d.error(e.key.loc, "duplicate key " + quote(e.key.text) + " (first at line " +
                             std::to_string((*first)->key.loc.line) + ")");
      continue;
    }
    out.push_back(&e);
  }
  return out;
}

MapView::MapView(const Node& map, std::string_view what, std::vector<std::string_view> allowed,
                 Diags& d)
    : map_(map), what_(what), d_(d) {
  for (const Entry* e : unique_entries(map, d)) {
    const std::string& k = e->key.text;
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::string msg = "unknown key " + quote(k) + " in " + what_;
    if (auto near = closest(k, allowed))
      msg += " (did you mean " + quote(*near) + "?)";
    else
      msg += " (allowed: " + join(allowed) + ")";
    d.error(e->key.loc, msg);
  }
}

const Node* MapView::key(std::string_view k) const {
  for (const auto& e : map_.entries)
    if (e.key.kind == Node::Kind::scalar && e.key.text == k) return &e.key;
  return nullptr;
}

const Node* value_of(const Node& map, std::string_view key) {
  for (const auto& e : map.entries)
    if (e.key.kind == Node::Kind::scalar && e.key.text == key) return &e.value;
  return nullptr;
}

const Node* MapView::get(std::string_view k) const {
  return value_of(map_, k);
}

const Node* MapView::require(std::string_view k) const {
  const Node* v = get(k);
  if (!v) d_.error(map_.loc, what_ + " is missing required key " + quote(k));
  return v;
}

bool expect_map(const Node& v, std::string_view label, Diags& d) {
  if (v.kind == Node::Kind::map) return true;
  wrong_type(v, label, "a mapping", d);
  return false;
}

std::optional<std::string> read_string(const Node& v, std::string_view label, Diags& d) {
  if (v.kind == Node::Kind::scalar && scalar_type(v) == ScalarType::string) return v.text;
  wrong_type(v, label, "a string", d);
  return std::nullopt;
}

std::optional<std::string> read_text(const Node& v, std::string_view label, Diags& d) {
  if (v.kind == Node::Kind::scalar) return v.text;
  wrong_type(v, label, "a string", d);
  return std::nullopt;
}

std::optional<long long> read_int(const Node& v, std::string_view label, Diags& d) {
  if (v.kind != Node::Kind::scalar || scalar_type(v) != ScalarType::integer) {
    wrong_type(v, label, "an integer", d);
    return std::nullopt;
  }
  const bool hex = v.text.rfind("0x", 0) == 0, octal = v.text.rfind("0o", 0) == 0;
  const std::string digits = hex || octal ? v.text.substr(2) : v.text;
  errno = 0;
  const long long n = std::strtoll(digits.c_str(), nullptr, hex ? 16 : octal ? 8 : 10);
  if (errno == ERANGE || n > 1'000'000'000 || n < -1'000'000'000) {
    d.error(v.loc, q(label) + " is out of range, got " + v.text);
    return std::nullopt;
  }
  return n;
}

std::optional<int> read_int_in(const Node& v, std::string_view label, long long lo,
                               std::optional<long long> hi, Diags& d) {
  auto n = read_int(v, label, d);
  if (!n) return std::nullopt;
  if (*n < lo || (hi && *n > *hi)) {
    const std::string range = hi ? "between " + std::to_string(lo) + " and " + std::to_string(*hi)
                                 : "at least " + std::to_string(lo);
    d.error(v.loc, q(label) + " must be " + range + ", got " + v.text);
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

std::optional<double> read_number(const Node& v, std::string_view label, Diags& d) {
  const auto t = v.kind == Node::Kind::scalar ? scalar_type(v) : ScalarType::null;
  // Plain decimal only: no hex or octal integers, no .inf or .nan.
  const bool decimal = v.text.find_first_of("xXoOnNiI") == std::string::npos;
  if ((t != ScalarType::integer && t != ScalarType::number) || !decimal) {
    wrong_type(v, label, "a number", d);
    return std::nullopt;
  }
  return std::strtod(v.text.c_str(), nullptr);
}

std::optional<core::Duration> read_duration(const Node& v, std::string_view label, Diags& d) {
  const auto t = v.kind == Node::Kind::scalar ? scalar_type(v) : ScalarType::null;
  if (t != ScalarType::string && t != ScalarType::integer) {
    wrong_type(v, label, "a duration such as 30s, 5m or 1h30m", d);
    return std::nullopt;
  }
  auto parsed = core::parse_duration(v.text);
  if (!parsed) {
    d.error(v.loc, q(label) + ": " + parsed.error());
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::string> read_choice(const Node& v, std::string_view label,
                                       const std::vector<std::string_view>& options, Diags& d) {
  const bool is_string = v.kind == Node::Kind::scalar && scalar_type(v) == ScalarType::string;
  if (is_string && std::find(options.begin(), options.end(), v.text) != options.end())
    return v.text;
  d.error(v.loc, q(label) + " must be one of: " + join(options) + "; got " +
                     (is_string ? quote(v.text) : describe(v)));
  return std::nullopt;
}

std::vector<const Node*> read_string_items(const Node& v, std::string_view label, bool allow_single,
                                           Diags& d) {
  std::vector<const Node*> out;
  if (allow_single && v.kind == Node::Kind::scalar && scalar_type(v) == ScalarType::string) {
    out.push_back(&v);
    return out;
  }
  if (v.kind != Node::Kind::seq) {
    wrong_type(v, label, allow_single ? "a string or a list of strings" : "a list of strings", d);
    return out;
  }
  for (size_t i = 0; i < v.items.size(); ++i) {
    const std::string item_label = std::string(label) + "[" + std::to_string(i) + "]";
    if (read_string(v.items[i], item_label, d)) out.push_back(&v.items[i]);
  }
  return out;
}

std::vector<std::string> read_globs(const Node& v, std::string_view label, bool allow_single,
                                    Diags& d) {
  std::vector<std::string> out;
  for (const Node* item : read_string_items(v, label, allow_single, d)) {
    if (auto err = core::glob_error(item->text)) {
      d.error(item->loc, "invalid glob " + quote(item->text) + ": " + *err);
      continue;
    }
    out.push_back(item->text);
  }
  return out;
}

bool check_relative_path(const Node& v, std::string_view label, Diags& d) {
  const std::string& p = v.text;
  bool ok = !p.empty() && p[0] != '/';
  for (size_t start = 0; ok && start <= p.size();) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    ok = p.substr(start, end - start) != "..";
    start = end + 1;
  }
  if (!ok) d.error(v.loc, q(label) + " must be a relative path without \"..\", got " + quote(p));
  return ok;
}

}  // namespace stackrun::pipelines
