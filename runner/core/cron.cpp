#include "runner/core/cron.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace stackrun::core {
namespace {

using namespace std::chrono;

struct Field {
  const char* name;
  int lo, hi;                // accepted values, inclusive
  const char* const* names;  // names[i] stands for lo + i; nullptr when none
  int name_count;
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Day-of-week accepts 0..7 so that "7" (and ranges like "5-7") can mean Sunday.
constexpr std::array<Field, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, kMonthNames, 12},
    {"day-of-week", 0, 7, kDayNames, 7},
}};

struct Descriptor {
  const char* name;
  const char* expansion;
};
constexpr Descriptor kDescriptors[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Parses one field's items into a list of set bits; messages come back without the
// `cron "<expr>": ` prefix, which the caller adds.
class FieldParser {
 public:
  explicit FieldParser(const Field& f) : f_(f) {}

  Result<std::vector<bool>> parse(std::string_view text) {
    std::vector<bool> bits(f_.hi + 1, false);
    for (std::string_view item : split(text, ',')) {
      if (item.empty()) return fail("\"" + std::string(text) + "\" has an empty list item");
      if (auto st = parse_item(item, bits); !st) return Error{st.error()};
    }
    return bits;
  }

 private:
  Result<std::vector<bool>> fail(std::string what) const {
    return Error{std::string(f_.name) + " " + what};
  }

  // A number or (for month/day-of-week) a three-letter name; `item` is quoted in errors.
  Result<int> value(std::string_view tok, std::string_view item) const {
    const std::string field = f_.name;
    if (tok.empty()) return Error{field + " \"" + std::string(item) + "\" is missing a value"};
    bool digits = true;
    for (char c : tok) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (digits) {
      long n = 0;
      for (char c : tok) n = n < 1000 ? n * 10 + (c - '0') : n;  // saturate: out of range anyway
      if (n < f_.lo || n > f_.hi)
        return Error{field + " " + std::string(tok) + " out of range " + std::to_string(f_.lo) +
                     "-" + std::to_string(f_.hi)};
      return static_cast<int>(n);
    }
    const std::string l = lower(tok);
    for (int i = 0; i < f_.name_count; ++i)
      if (l == f_.names[i]) return f_.lo + i;
    std::string msg = field + " \"" + std::string(tok) + "\" is not a number";
    if (f_.names) msg += f_.lo == 1 ? " or month name (jan..dec)" : " or day name (sun..sat)";
    return Error{msg};
  }

  Result<int> step(std::string_view tok) const {
    long n = 0;
    bool digits = !tok.empty();
    for (char c : tok) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        digits = false;
        break;
      }
      n = n * 10 + (c - '0');
      if (n > 1000) break;
    }
    const int span = f_.hi - f_.lo + 1;
    if (!digits || n < 1 || n > span)
      return Error{std::string(f_.name) + " step \"" + std::string(tok) + "\" must be a number 1-" +
                   std::to_string(span)};
    return static_cast<int>(n);
  }

  // item := "*" | value | value "-" value, each optionally followed by "/" step.
  // "a/n" means a through the field's maximum, every n (as in cronie and most schedulers).
  Status parse_item(std::string_view item, std::vector<bool>& bits) const {
    std::string_view range = item;
    int every = 1;
    const auto slash = item.find('/');
    if (slash != std::string_view::npos) {
      range = item.substr(0, slash);
      auto s = step(item.substr(slash + 1));
      if (!s) return Error{s.error()};
      every = *s;
    }
    int a = f_.lo, b = f_.hi;
    if (range != "*") {
      auto dash = range.find('-');
      auto first = value(range.substr(0, dash), item);
      if (!first) return Error{first.error()};
      a = *first;
      if (dash != std::string_view::npos) {
        auto last = value(range.substr(dash + 1), item);
        if (!last) return Error{last.error()};
        b = *last;
        if (a > b)
          return Error{std::string(f_.name) + " range \"" + std::string(range) +
                       "\" runs backwards (write the smaller value first)"};
      } else if (slash == std::string_view::npos) {
        b = a;
      } else if (f_.names == kDayNames) {
        b = 6;  // "a/n" on day-of-week stops at Saturday; 7 would repeat Sunday
      }
    } else if (f_.names == kDayNames) {
      b = 6;
    }
    for (int v = a; v <= b; v += every) bits[v] = true;
    return ok_status();
  }

  const Field& f_;
};

bool day_matches(const CronSpec& s, year_month_day ymd) {
  const bool dom = s.days[static_cast<unsigned>(ymd.day())];
  const bool dow = s.weekdays[weekday(sys_days(ymd)).c_encoding()];
  // Vixie cron: if either field was written starting with '*', both must match (one of them
  // matches everything, unless it is a stepped star such as "*/2"); otherwise either may.
  return (s.dom_star || s.dow_star) ? (dom && dow) : (dom || dow);
}

}  // namespace

Result<CronSpec> parse_cron(std::string_view expr) {
  const std::string prefix = "cron \"" + std::string(expr) + "\": ";
  std::vector<std::string_view> fields = split_ws(expr);
  if (fields.size() == 1 && fields[0].starts_with('@')) {
    const std::string name = lower(fields[0]);
    for (const Descriptor& d : kDescriptors)
      if (name == d.name) {
        auto spec = parse_cron(d.expansion);
        if (!spec) return Error{prefix + spec.error()};  // unreachable: expansions are valid
        return spec;
      }
    return Error{prefix + "unknown descriptor"};
  }
  if (fields.size() != 5)
    return Error{prefix + "expected 5 fields, got " + std::to_string(fields.size())};

  std::array<std::vector<bool>, 5> bits;
  for (size_t i = 0; i < 5; ++i) {
    auto r = FieldParser(kFields[i]).parse(fields[i]);
    if (!r) return Error{prefix + r.error()};
    bits[i] = std::move(*r);
  }
  CronSpec spec;
  for (int v = 0; v < 60; ++v) spec.minutes[v] = bits[0][v];
  for (int v = 0; v < 24; ++v) spec.hours[v] = bits[1][v];
  for (int v = 1; v <= 31; ++v) spec.days[v] = bits[2][v];
  for (int v = 1; v <= 12; ++v) spec.months[v] = bits[3][v];
  for (int v = 0; v <= 7; ++v)
    if (bits[4][v]) spec.weekdays[v % 7] = true;
  // Vixie cron decides "unrestricted" by the field's first character, so "*/2" counts as a star.
  spec.dom_star = fields[2].starts_with('*');
  spec.dow_star = fields[4].starts_with('*');
  return spec;
}

std::optional<sys_seconds> next_fire(const CronSpec& spec, sys_seconds after) {
  const sys_time<minutes> start = floor<minutes>(after) + minutes(1);
  const sys_days first_day = floor<days>(start);
  const sys_days last_day = sys_days(year_month_day(first_day) + years(5));
  const minutes first_tod = start - first_day;

  for (sys_days d = first_day; d <= last_day; d += days(1)) {
    const year_month_day ymd(d);
    if (!spec.months[static_cast<unsigned>(ymd.month())]) {
      // Jump to the first day of the next month.
      d = sys_days(year_month_day(ymd.year() / ymd.month() / 1) + months(1)) - days(1);
      continue;
    }
    if (!day_matches(spec, ymd)) continue;
    const int from = d == first_day ? static_cast<int>(first_tod.count()) : 0;
    for (int h = from / 60; h < 24; ++h) {
      if (!spec.hours[h]) continue;
      for (int m = h == from / 60 ? from % 60 : 0; m < 60; ++m)
        if (spec.minutes[m]) return sys_seconds(d) + hours(h) + minutes(m);
    }
  }
  return std::nullopt;
}

}  // namespace stackrun::core
