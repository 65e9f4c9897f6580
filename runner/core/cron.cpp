#include "runner/core/cron.hpp"

#include <array>
#include <cctype>
#include <cstdio>
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

unsigned last_day_of(year_month_day ymd) {
  return static_cast<unsigned>(year_month_day_last(ymd.year(), month_day_last(ymd.month())).day());
}

bool is_weekend(unsigned wd) {
  return wd == 0 || wd == 6;
}

// The weekday (Monday-Friday) nearest day `n` of the month, never crossing into another month;
// 0 when the month has no day n.
unsigned nearest_weekday(year_month_day ymd, unsigned n) {
  const unsigned last = last_day_of(ymd);
  if (n > last) return 0;
  const unsigned wd = weekday(sys_days(ymd.year() / ymd.month() / day(n))).c_encoding();
  if (wd == 6) return n == 1 ? 3 : n - 1;         // Saturday: Friday, or Monday the 3rd
  if (wd == 0) return n == last ? n - 2 : n + 1;  // Sunday: Monday, or Friday before the end
  return n;
}

bool dom_matches(const CronSpec& s, year_month_day ymd) {
  const unsigned d = static_cast<unsigned>(ymd.day());
  if (s.days[d]) return true;
  const unsigned last = last_day_of(ymd);
  if (s.last_day && d == last) return true;
  const unsigned wd = weekday(sys_days(ymd)).c_encoding();
  if (s.last_weekday && !is_weekend(wd)) {
    unsigned lw = last;
    while (is_weekend(weekday(sys_days(ymd.year() / ymd.month() / day(lw))).c_encoding())) --lw;
    if (d == lw) return true;
  }
  if (s.nearest.any() && !is_weekend(wd))
    for (unsigned n = 1; n <= 31; ++n)
      if (s.nearest[n] && nearest_weekday(ymd, n) == d) return true;
  return false;
}

bool dow_matches(const CronSpec& s, year_month_day ymd) {
  const unsigned wd = weekday(sys_days(ymd)).c_encoding();
  if (s.weekdays[wd]) return true;
  const unsigned d = static_cast<unsigned>(ymd.day());
  if (s.last_of[wd] && d + 7 > last_day_of(ymd)) return true;
  const unsigned n = (d - 1) / 7 + 1;  // 1..5
  return s.nth[wd * 5 + (n - 1)];
}

bool day_matches(const CronSpec& s, year_month_day ymd) {
  const bool dom = dom_matches(s, ymd);
  const bool dow = dow_matches(s, ymd);
  // Vixie cron: if either field was written starting with '*', both must match (one of them
  // matches everything, unless it is a stepped star such as "*/2"); otherwise either may.
  return (s.dom_star || s.dow_star) ? (dom && dow) : (dom || dow);
}

// The first matching day on or after `from` within the next 400 years (the Gregorian calendar,
// weekdays included, repeats every 400 years), or nullopt.
std::optional<sys_days> next_day(const CronSpec& s, sys_days from) {
  const sys_days end = from + days(146'097 + 31);
  for (sys_days d = from; d <= end; d += days(1)) {
    const year_month_day ymd(d);
    if (!s.months[static_cast<unsigned>(ymd.month())]) {
      d = sys_days(year_month_day(ymd.year() / ymd.month() / 1) + months(1)) - days(1);
      continue;
    }
    if (day_matches(s, ymd)) return d;
  }
  return std::nullopt;
}

// The first (hour, minute) of the spec at or after minute-of-day `from`, or nullopt.
std::optional<int> next_minute_of_day(const CronSpec& s, int from) {
  for (int h = from / 60; h < 24; ++h) {
    if (!s.hours[h]) continue;
    for (int m = h == from / 60 ? from % 60 : 0; m < 60; ++m)
      if (s.minutes[m]) return h * 60 + m;
  }
  return std::nullopt;
}

// Day-of-month items beyond numbers: L, LW, nW. Returns false when `item` is none of them.
bool special_dom(std::string_view item, CronSpec& spec, std::string& error) {
  const std::string l = lower(item);
  if (l == "l") return spec.last_day = true;
  if (l == "lw") return spec.last_weekday = true;
  if (l.size() >= 2 && l.back() == 'w') {
    const std::string n = l.substr(0, l.size() - 1);
    if (n.empty() || n.size() > 2 || n.find_first_not_of("0123456789") != std::string::npos) {
      error = "day-of-month \"" + std::string(item) + "\": W takes a day number, as in 15W";
      return true;
    }
    const int v = std::stoi(n);
    if (v < 1 || v > 31) {
      error = "day-of-month " + std::string(item) + " out of range 1W-31W";
      return true;
    }
    spec.nearest[static_cast<std::size_t>(v)] = true;
    return true;
  }
  return false;
}

// A day-of-week value: 0-7 or sun..sat; -1 when it is not one.
int weekday_value(std::string_view tok) {
  const std::string l = lower(tok);
  if (l.size() == 1 && l[0] >= '0' && l[0] <= '7') return (l[0] - '0') % 7;
  for (int i = 0; i < 7; ++i)
    if (l == kDayNames[i]) return i;
  return -1;
}

// Day-of-week items beyond the usual: dL, d#n. Returns false when `item` is none of them.
bool special_dow(std::string_view item, CronSpec& spec, std::string& error) {
  const auto hash = item.find('#');
  if (hash != std::string_view::npos) {
    const int d = weekday_value(item.substr(0, hash));
    const std::string_view n = item.substr(hash + 1);
    if (d < 0) {
      error = "day-of-week \"" + std::string(item) + "\": # follows a day (0-7 or sun..sat)";
    } else if (n.size() != 1 || n[0] < '1' || n[0] > '5') {
      error = "day-of-week \"" + std::string(item) + "\": # takes 1-5 (the n-th such day)";
    } else {
      spec.nth[static_cast<std::size_t>(d * 5 + (n[0] - '1'))] = true;
    }
    return true;
  }
  if (item.size() >= 2 && (item.back() == 'L' || item.back() == 'l')) {
    const int d = weekday_value(item.substr(0, item.size() - 1));
    if (d < 0)
      error = "day-of-week \"" + std::string(item) + "\": L follows a day (0-7 or sun..sat)";
    else
      spec.last_of[static_cast<std::size_t>(d)] = true;
    return true;
  }
  return false;
}

// Splits off the special items of the day fields into `spec`; returns the plain items left,
// comma-joined ("" when none: the field then contributes no plain bits).
Result<std::string> take_special(std::string_view field, bool dom, CronSpec& spec) {
  std::string plain;
  for (std::string_view item : split(field, ',')) {
    std::string error;
    const bool special = dom ? special_dom(item, spec, error) : special_dow(item, spec, error);
    if (!error.empty()) return Error{error};
    if (special) continue;
    plain += (plain.empty() ? "" : ",") + std::string(item);
  }
  return plain;
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

  CronSpec spec;
  std::array<std::vector<bool>, 5> bits;
  for (size_t i = 0; i < 5; ++i) {
    std::string text(fields[i] == "?" ? "*" : fields[i]);
    if (i == 2 || i == 4) {  // day-of-month, day-of-week: their special items first
      auto plain = take_special(text, i == 2, spec);
      if (!plain) return Error{prefix + plain.error()};
      if (plain->empty()) {
        bits[i] = std::vector<bool>(kFields[i].hi + 1, false);
        continue;
      }
      text = *plain;
    }
    auto r = FieldParser(kFields[i]).parse(text);
    if (!r) return Error{prefix + r.error()};
    bits[i] = std::move(*r);
  }
  for (int v = 0; v < 60; ++v) spec.minutes[v] = bits[0][v];
  for (int v = 0; v < 24; ++v) spec.hours[v] = bits[1][v];
  for (int v = 1; v <= 31; ++v) spec.days[v] = bits[2][v];
  for (int v = 1; v <= 12; ++v) spec.months[v] = bits[3][v];
  for (int v = 0; v <= 7; ++v)
    if (bits[4][v]) spec.weekdays[v % 7] = true;
  // Vixie cron decides "unrestricted" by the field's first character, so "*/2" counts as a star.
  spec.dom_star = fields[2].starts_with('*') || fields[2] == "?";
  spec.dow_star = fields[4].starts_with('*') || fields[4] == "?";
  if (!next_day(spec, sys_days(2000y / January / 1)))
    return Error{prefix + "never fires (no day matches its day-of-month, month and day-of-week)"};
  return spec;
}

std::optional<sys_seconds> next_fire(const CronSpec& spec, sys_seconds after) {
  return next_fire(spec, after, cctz::utc_time_zone());
}

std::optional<sys_seconds> next_fire(const CronSpec& spec, sys_seconds after,
                                     const cctz::time_zone& zone) {
  // Walk local wall-clock minutes from the one after `after`'s; map each match to an instant
  // (the DST rules in cron.hpp) and take the first strictly after `after`. A skipped or
  // repeated local time can map to or before `after`: then the walk goes on.
  const auto local = cctz::convert(after, zone);
  sys_days day =
      sys_days(year(static_cast<int>(local.year())) / static_cast<unsigned>(local.month()) /
               static_cast<unsigned>(local.day()));
  int from = local.hour() * 60 + local.minute() + 1;
  for (int guard = 0; guard < 200'000; ++guard) {  // days visited: bounded by next_day's window
    if (from >= 24 * 60) {
      day += days(1);
      from = 0;
    }
    const auto d = next_day(spec, day);
    if (!d) return std::nullopt;
    if (*d != day) from = 0;
    day = *d;
    const auto m = next_minute_of_day(spec, from);
    if (!m) {
      from = 24 * 60;
      continue;
    }
    const year_month_day ymd(day);
    const cctz::civil_minute cm(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                                static_cast<unsigned>(ymd.day()), *m / 60, *m % 60);
    const auto lookup = zone.lookup(cctz::civil_second(cm));
    const auto at =
        lookup.kind == cctz::time_zone::civil_lookup::SKIPPED ? lookup.trans : lookup.pre;
    const auto instant = time_point_cast<seconds>(at);
    if (instant > after) return sys_seconds(instant.time_since_epoch());
    from = *m + 1;
  }
  return std::nullopt;
}

std::string iso_utc(sys_seconds t) {
  const auto day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

Result<cctz::time_zone> load_zone(const std::string& name) {
  cctz::time_zone zone;
  if (name.empty() || !cctz::load_time_zone(name, &zone))
    return Error{"unknown time zone \"" + name + "\""};
  return zone;
}

}  // namespace stackrun::core
