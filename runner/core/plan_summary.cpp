#include "runner/core/plan_summary.hpp"

#include <charconv>
#include <string_view>

namespace stackrun::core {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The number before `what` in "..., 2 to change, ..." (0 when absent).
int count_of(std::string_view line, std::string_view what) {
  const auto at = line.find(what);
  if (at == std::string_view::npos || at < 2) return 0;
  std::size_t start = at - 1;  // the space before `what`
  while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9') --start;
  int n = 0;
  std::from_chars(line.data() + start, line.data() + at - 1, n);
  return n;
}

// "# <address> will be created" -> {address, "create"}; nullopt for anything else.
std::optional<PlanChange> change_of(std::string_view l) {
  if (!l.starts_with("# ")) return std::nullopt;
  l.remove_prefix(2);
  struct Suffix {
    std::string_view text, action;
  };
  static constexpr Suffix kSuffixes[] = {
      {" will be created", "create"},
      {" will be updated in-place", "update"},
      {" will be destroyed", "destroy"},
      {" must be replaced", "replace"},
  };
  for (const Suffix& s : kSuffixes) {
    const auto at = l.find(s.text);
    // The suffix may be followed by a reason in parentheses ("(because ...)").
    if (at == std::string_view::npos || at == 0) continue;
    const std::string_view rest = l.substr(at + s.text.size());
    if (!rest.empty() && rest.front() != ' ') continue;
    std::string address(l.substr(0, std::min(at, kMaxPlanAddress)));
    return PlanChange{std::move(address), std::string(s.action)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<PlanSummary> parse_plan_summary(const NormalisedOutput& n) {
  std::optional<PlanSummary> last;
  PlanSummary current;
  for (std::size_t i = 0; i < n.line_count(); ++i) {
    const std::string_view l = trim(n.line(i));
    if (auto c = change_of(l)) {
      if (current.changes.size() < kMaxPlanChanges)
        current.changes.push_back(std::move(*c));
      else
        ++current.more;
      continue;
    }
    if (l.starts_with("Plan: ") && l.find(" to destroy") != std::string_view::npos) {
      current.add = count_of(l, "to add");
      current.change = count_of(l, "to change");
      current.destroy = count_of(l, "to destroy");
      current.import = count_of(l, "to import");
      last = std::move(current);
      current = {};
    } else if (l.starts_with("No changes.")) {
      current = {};
      current.no_changes = true;
      last = std::move(current);
      current = {};
    }
  }
  return last;
}

}  // namespace stackrun::core
