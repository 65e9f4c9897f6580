#include "runner/core/classify.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <numeric>
#include <optional>
#include <vector>

#include "runner/core/classify_internal.hpp"
#include "runner/core/normalise.hpp"
#include "runner/core/pattern.hpp"
#include "runner/core/plan_summary.hpp"

namespace stackrun::core {

namespace detail {

std::string strip_match_anything_edges(std::string_view pattern) {
  // \Q...\E quotes: a trailing ".*" may be literal text. Leave such patterns alone.
  if (pattern.find("\\Q") != std::string_view::npos) return std::string(pattern);
  // Leading flag groups such as "(?s)" or "(?i-s)" stay.
  std::size_t flags_end = 0;
  while (pattern.substr(flags_end).starts_with("(?")) {
    std::size_t j = flags_end + 2;
    while (j < pattern.size() &&
           (std::isalpha(static_cast<unsigned char>(pattern[j])) || pattern[j] == '-'))
      ++j;
    if (j == flags_end + 2 || j >= pattern.size() || pattern[j] != ')') break;
    flags_end = j + 1;
  }
  std::string_view body = pattern.substr(flags_end);
  for (;;) {
    if (body.starts_with(".*?")) {
      body.remove_prefix(3);
    } else if (body.starts_with(".*") && !(body.size() > 2 && std::strchr("*+{", body[2]))) {
      body.remove_prefix(2);
    } else {
      break;
    }
  }
  while (body.ends_with(".*")) {
    std::size_t backslashes = 0;
    for (std::size_t k = body.size() - 2; k > 0 && body[k - 1] == '\\'; --k) ++backslashes;
    if (backslashes % 2 != 0) break;  // "\.*": any number of literal dots, keep it
    body.remove_suffix(2);
  }
  return std::string(pattern.substr(0, flags_end)) + std::string(body);
}

namespace {

// A run of characters holding no "\n\n": non-newlines, each optionally after one newline, then
// optionally one more newline (so "A.*B" still matches "A\nB").
constexpr std::string_view kRunStar = R"((?:(?:\n?[^\n])*\n?))";
constexpr std::string_view kRunStarLazy = R"((?:(?:\n?[^\n])*?\n??))";
constexpr std::string_view kRunPlus = R"((?:(?:\n?[^\n])+\n?|\n))";
constexpr std::string_view kRunPlusLazy = R"((?:(?:\n?[^\n])+?\n??|\n))";

// `p[i]` is '['; returns the index just past the class's closing ']' (or p.size()).
std::size_t class_end(std::string_view p, std::size_t i) {
  std::size_t j = i + 1;
  if (j < p.size() && p[j] == '^') ++j;
  if (j < p.size() && p[j] == ']') ++j;  // a ']' first is a member
  while (j < p.size()) {
    if (p[j] == '\\') {
      j += 2;
    } else if (p.substr(j).starts_with("[:")) {  // [:alpha:]
      const std::size_t e = p.find(":]", j + 2);
      j = e == std::string_view::npos ? j + 1 : e + 2;
    } else if (p[j] == ']') {
      return j + 1;
    } else {
      ++j;
    }
  }
  return p.size();
}

// `flags` as in "(?i-s)": the dot-all mode it leaves, starting from `dot_all`.
bool apply_flags(std::string_view flags, bool dot_all) {
  bool on = true;
  for (const char f : flags) {
    if (f == '-') on = false;
    if (f == 's') dot_all = on;
  }
  return dot_all;
}

}  // namespace

std::string scope_dot_all_wildcards(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  std::vector<bool> outer;  // the dot-all mode outside each open group
  bool dot_all = false;
  std::size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    std::size_t next = i + 1;
    if (c == '\\' && p.substr(i).starts_with("\\Q")) {
      const std::size_t e = p.find("\\E", i + 2);
      next = e == std::string_view::npos ? p.size() : e + 2;
    } else if (c == '\\') {
      next = std::min(i + 2, p.size());
    } else if (c == '[') {
      next = class_end(p, i);
    } else if (c == '(') {
      outer.push_back(dot_all);
      if (p.substr(i).starts_with("(?")) {
        std::size_t j = i + 2;
        while (j < p.size() && (std::isalpha(static_cast<unsigned char>(p[j])) || p[j] == '-')) ++j;
        if (j < p.size() && (p[j] == ')' || p[j] == ':')) {
          dot_all = apply_flags(p.substr(i + 2, j - i - 2), dot_all);
          if (p[j] == ')') outer.pop_back();  // "(?s)": not a group; holds to the group's end
          next = j + 1;
        }
      }
    } else if (c == ')' && !outer.empty()) {
      dot_all = outer.back();
      outer.pop_back();
    } else if (c == '.' && dot_all && i + 1 < p.size() && (p[i + 1] == '*' || p[i + 1] == '+')) {
      const bool lazy = i + 2 < p.size() && p[i + 2] == '?';
      if (p[i + 1] == '*')
        out += lazy ? kRunStarLazy : kRunStar;
      else
        out += lazy ? kRunPlusLazy : kRunPlus;
      i += lazy ? 3 : 2;
      continue;
    }
    out.append(p.substr(i, next - i));
    i = next;
  }
  return out;
}

}  // namespace detail

namespace {

// DFA memory for the one RE2::Set holding every rule. Its cache is filled lazily; a large
// budget keeps RE2 from giving up on many-megabyte logs (when it does, see match_text).
constexpr int64_t kSetMaxMem = int64_t{64} << 20;

struct CompiledRule {
  Class cls;
  std::string id;
  std::unique_ptr<RE2> re;
};

struct Match {
  std::size_t rule;    // index into Impl::rules
  std::size_t offset;  // where the match starts in the normalised text
};

// Exit codes that explain themselves when no text rule matched.
struct ExitRule {
  int code;
  const char* id;
  const char* text;
};
constexpr std::array<ExitRule, 6> kExitRules{{
    {126, "builtin.exit.not-executable", "command found but not executable (exit 126)"},
    {127, "builtin.exit.not-found", "command not found (exit 127)"},
    {130, "builtin.exit.interrupted", "interrupted by SIGINT"},
    {137, "builtin.exit.killed", "killed by SIGKILL (OOM or forced stop)"},
    {141, "builtin.exit.sigpipe", "killed by SIGPIPE (the reader of its output went away)"},
    {143, "builtin.exit.interrupted", "terminated by SIGTERM"},
}};

int rank(Class c) {
  switch (c) {
    case Class::lock:
      return 0;
    case Class::transient:
      return 1;
    case Class::fatal:
      return 2;
    default:
      return -1;
  }
}

RE2::Options rule_options() {
  RE2::Options o;
  o.set_log_errors(false);
  return o;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool contains_error(std::string_view line) {
  for (std::size_t i = 0; i + 5 <= line.size(); ++i) {
    if ((line[i] | 0x20) != 'e') continue;
    bool eq = true;
    for (std::size_t k = 1; k < 5 && eq; ++k) eq = (line[i + k] | 0x20) == "error"[k];
    if (eq) return true;
  }
  return false;
}

template <class Pred>
std::optional<std::size_t> last_line(const NormalisedOutput& n, Pred pred) {
  for (std::size_t i = n.line_count(); i-- > 0;)
    if (pred(n.line(i))) return i;
  return std::nullopt;
}

std::optional<std::size_t> last_non_blank(const NormalisedOutput& n) {
  return last_line(n, [](std::string_view l) { return !trim(l).empty(); });
}

// "Plan: 1 to add, 2 to change, 0 to destroy." (Terraform >= 1.5 may insert "N to import, ").
std::optional<std::size_t> plan_summary(const NormalisedOutput& n) {
  return last_line(n, [](std::string_view l) {
    l = trim(l);
    return l.starts_with("Plan: ") && l.find(" to destroy") != std::string_view::npos;
  });
}

void set_line(Verdict& v, const NormalisedOutput& n, std::optional<std::size_t> idx) {
  if (!idx) return;
  v.line = cap_text(trim(n.line(*idx)), kMaxVerdictLine);  // never copies a 50 MB line whole
  v.line_no = n.raw_line_no[*idx];
}

// 5612340 -> "5,612,340".
std::string with_commas(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The longest head of `text` of at most `n` bytes that does not end inside a UTF-8 character.
std::size_t head_at_boundary(std::string_view text, std::size_t n) {
  if (n >= text.size()) return text.size();
  // A character is at most 4 bytes: step back over at most 3 continuation bytes.
  for (std::size_t back = 0; back < 3 && n > 0 && is_continuation_byte(text[n]); ++back) --n;
  return n;
}

std::string cut_marker(std::size_t cut) {
  return "\xE2\x80\xA6 [cut: " + with_commas(cut) + " bytes]";  // "…"
}

}  // namespace

std::string cap_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  // The marker is sized for the most bytes that can be cut: the real count has no more digits.
  const std::size_t widest = cut_marker(text.size()).size();
  if (max_bytes <= widest) return std::string(text.substr(0, head_at_boundary(text, max_bytes)));
  const std::size_t head = head_at_boundary(text, max_bytes - widest);
  return std::string(text.substr(0, head)) + cut_marker(text.size() - head);
}

Verdict cap_verdict(Verdict v) {
  if (v.rule.size() > kMaxRuleId) v.rule = cap_text(v.rule, kMaxRuleId);
  if (v.line.size() > kMaxVerdictLine) v.line = cap_text(v.line, kMaxVerdictLine);
  if (v.lock) {
    for (std::string* f : {&v.lock->id, &v.lock->path, &v.lock->operation, &v.lock->who,
                           &v.lock->version, &v.lock->created, &v.lock->info})
      if (f->size() > kMaxLockField) *f = cap_text(*f, kMaxLockField);
  }
  return v;
}

struct Classifier::Impl {
  std::vector<CompiledRule> rules;  // lock rules, then transient, then fatal; built-ins first
  std::unique_ptr<RE2::Set> set;    // rules[i]'s pattern has index i

  // The deciding match: in the highest class with any match, the one starting earliest.
  std::optional<Match> match_text(std::string_view text) const {
    const re2::StringPiece sp(text.data(), text.size());
    std::vector<int> hits;
    RE2::Set::ErrorInfo err{RE2::Set::kNoError};
    if (!set->Match(sp, &hits, &err) && err.kind != RE2::Set::kNoError) {
      // The set's DFA gave up (out of memory): try every rule on its own instead. Slower,
      // never wrong.
      hits.resize(rules.size());
      std::iota(hits.begin(), hits.end(), 0);
    }
    std::sort(hits.begin(), hits.end());
    std::size_t i = 0;
    while (i < hits.size()) {
      const Class cls = rules[static_cast<std::size_t>(hits[i])].cls;
      std::optional<Match> best;
      for (; i < hits.size() && rules[static_cast<std::size_t>(hits[i])].cls == cls; ++i) {
        const auto r = static_cast<std::size_t>(hits[i]);
        re2::StringPiece m;
        if (!rules[r].re->Match(sp, 0, sp.size(), RE2::UNANCHORED, &m, 1)) continue;
        const auto offset = static_cast<std::size_t>(m.data() - sp.data());
        if (!best || offset < best->offset) best = Match{r, offset};
      }
      if (best) return best;
    }
    return std::nullopt;
  }
};

Result<Classifier> Classifier::create(const std::vector<RuleSpec>& extra) {
  for (const RuleSpec& s : extra) {
    if (rank(s.cls) < 0)
      return Result<Classifier>::fail("rule \"" + s.id + "\": class must be lock, transient or " +
                                      "fatal, not " + std::string(to_string(s.cls)));
  }
  std::vector<const RuleSpec*> ordered;
  for (int k = 0; k < 3; ++k) {
    for (const auto* list : {&builtin_rules(), &extra})
      for (const RuleSpec& s : *list)
        if (rank(s.cls) == k) ordered.push_back(&s);
  }

  auto impl = std::make_shared<Impl>();
  RE2::Options set_opts = rule_options();
  set_opts.set_max_mem(kSetMaxMem);
  impl->set = std::make_unique<RE2::Set>(set_opts, RE2::UNANCHORED);
  for (const RuleSpec* s : ordered) {
    // Check the pattern as written, so the message matches what `stackrun lint` says.
    if (auto e = pattern_error(s->pattern))
      return Result<Classifier>::fail("rule \"" + s->id + "\": invalid regex: " + *e);
    std::string pattern =
        detail::scope_dot_all_wildcards(detail::strip_match_anything_edges(s->pattern));
    auto re = std::make_unique<RE2>(pattern, rule_options());
    if (!re->ok()) {  // cannot happen for a valid pattern; keep the original to be safe
      pattern = s->pattern;
      re = std::make_unique<RE2>(pattern, rule_options());
    }
    std::string err;
    if (impl->set->Add(pattern, &err) < 0)
      return Result<Classifier>::fail("rule \"" + s->id + "\": invalid regex: " + err);
    impl->rules.push_back({s->cls, s->id, std::move(re)});
  }
  if (!impl->set->Compile())
    return Result<Classifier>::fail(
        "classification rules: too large to compile together (RE2 out of memory); "
        "simplify or remove pipeline rules");
  Classifier c;
  c.impl_ = std::move(impl);
  return c;
}

Verdict Classifier::classify(std::string_view output, int exit_code,
                             const std::map<int, Class>& exit_codes) const {
  const NormalisedOutput norm = normalise(output);
  Verdict v;
  v.plan = parse_plan_summary(norm);
  if (const auto it = exit_codes.find(exit_code); it != exit_codes.end()) {
    v.cls = it->second;
    v.rule = "exit:" + std::to_string(exit_code);
    std::optional<std::size_t> idx;
    if (v.cls == Class::drift) idx = plan_summary(norm);
    set_line(v, norm, idx ? idx : last_non_blank(norm));
    if (v.cls == Class::lock) v.lock = norm.lock;
    return cap_verdict(std::move(v));
  }
  if (exit_code == 0) {
    v.cls = Class::success;
    v.rule = "exit:0";
    set_line(v, norm, last_non_blank(norm));
    return cap_verdict(std::move(v));
  }
  if (impl_) {
    if (const auto m = impl_->match_text(norm.text)) {
      const CompiledRule& rule = impl_->rules[m->rule];
      v.cls = rule.cls;
      v.rule = rule.id;
      set_line(v, norm, norm.line_count() ? std::optional(norm.line_at(m->offset)) : std::nullopt);
      if (v.cls == Class::lock) v.lock = norm.lock;
      return cap_verdict(std::move(v));
    }
  }
  v.cls = Class::fatal;
  for (const ExitRule& e : kExitRules) {
    if (e.code != exit_code) continue;
    v.rule = e.id;
    v.line = e.text;
    return cap_verdict(std::move(v));
  }
  v.rule = "builtin.unknown";
  const auto err = last_line(norm, contains_error);
  set_line(v, norm, err ? err : last_non_blank(norm));
  return cap_verdict(std::move(v));
}

}  // namespace stackrun::core
