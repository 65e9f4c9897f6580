#pragma once
// Typed, reporting reads over a Node tree: the vocabulary every section decoder uses, so all
// messages share one shape: `"<key>" must be <expected>, got <found>`.
// Readers report into Diags and return nullopt (or skip the item) instead of stopping, so a
// single load shows every problem.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipelines/model.hpp"
#include "pipelines/node.hpp"
#include "runner/core/duration.hpp"

namespace stackrun::pipelines {

// Collects diagnostics in report order.
class Diags {
 public:
  void error(const Location& at, std::string message);
  bool empty() const { return list_.empty(); }
  // All diagnostics ordered by file position (ties keep report order).
  std::vector<Diagnostic> take_sorted();

 private:
  std::vector<Diagnostic> list_;
};

// The candidate closest to `word` by edit distance (a swap counts as one edit), if that
// distance is at most 2 and shorter than `word`; ties go to the earlier candidate.
std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates);

// "a, b, c".
std::string join(const std::vector<std::string_view>& words);

// A mapping whose keys were checked on construction: reports non-string keys, duplicate keys
// (`duplicate key "x" (first at line 3)`) and keys outside `allowed`
// (`unknown key "tiemout" in step (did you mean "timeout"?)`). `what` names the mapping.
// `map` must be a map node and must outlive the view.
class MapView {
 public:
  MapView(const Node& map, std::string_view what, std::vector<std::string_view> allowed, Diags& d);

  // The value under `key` (first occurrence), or nullptr when absent.
  const Node* get(std::string_view key) const;
  // Like get, but reports `<what> is missing required key "<key>"` at the mapping if absent.
  const Node* require(std::string_view key) const;
  // The key node itself (for locating messages about the key), or nullptr.
  const Node* key(std::string_view key) const;
  bool empty() const { return map_.entries.empty(); }
  const Location& loc() const { return map_.loc; }

 private:
  const Node& map_;
  std::string what_;
  Diags& d_;
};

// The value under `key` in map node `map` (first occurrence), or nullptr. No reporting.
const Node* value_of(const Node& map, std::string_view key);

// Reports duplicate keys and non-string keys in a free-form mapping (env, schedules, ...).
// Returns the entries whose key is a scalar and not a repeat, in file order.
std::vector<const Entry*> unique_entries(const Node& map, Diags& d);

// Each reader checks the type of `v` (the value under key `label`) and reports
// `"<label>" must be <expected>, got <describe(v)>` on mismatch.
bool expect_map(const Node& v, std::string_view label, Diags& d);
std::optional<std::string> read_string(const Node& v, std::string_view label, Diags& d);
// Any scalar (string, number or boolean) as its text; for env values.
std::optional<std::string> read_text(const Node& v, std::string_view label, Diags& d);
std::optional<long long> read_int(const Node& v, std::string_view label, Diags& d);
// read_int plus `"<label>" must be between lo and hi, got n` (or "at least lo").
std::optional<int> read_int_in(const Node& v, std::string_view label, long long lo,
                               std::optional<long long> hi, Diags& d);
std::optional<double> read_number(const Node& v, std::string_view label, Diags& d);
// core::parse_duration; failure reads `"<label>": <parse_duration's message>`.
std::optional<core::Duration> read_duration(const Node& v, std::string_view label, Diags& d);
// A string from `options`, else `"<label>" must be one of: a, b; got "x"`.
std::optional<std::string> read_choice(const Node& v, std::string_view label,
                                       const std::vector<std::string_view>& options, Diags& d);

// A list of strings (or, with `allow_single`, one string). Returns the string item nodes;
// reports each bad item as `"<label>[i]" must be a string, got ...`.
std::vector<const Node*> read_string_items(const Node& v, std::string_view label, bool allow_single,
                                           Diags& d);
// read_string_items plus core::glob_error on each: `invalid glob "x": unclosed '['`.
std::vector<std::string> read_globs(const Node& v, std::string_view label, bool allow_single,
                                    Diags& d);

// A repo- or stack-relative path: not absolute, no ".." segment. Reports
// `"<label>" must be a relative path without "..", got "/x"`.
bool check_relative_path(const Node& v, std::string_view label, Diags& d);

}  // namespace stackrun::pipelines
