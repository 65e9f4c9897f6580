// `stackrun cron next EXPR [--tz ZONE] [--from TIME] [--count N]`: the next fire times of a
// cron expression, exactly as the server's schedules compute them (runner/core/cron.hpp).
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <regex>
#include <string>

#include "runner/cli/commands.hpp"
#include "runner/core/cron.hpp"

namespace stackrun::cli {
namespace {

using namespace std::chrono;

struct CronNextArgs {
  std::string expr, tz = "UTC", from;
  int count = 1;
};

// YYYY-MM-DDTHH:MM[:SS] followed by Z, +HH:MM or -HH:MM, or nothing (then a wall-clock time
// in `zone`; a skipped or repeated one resolves as the schedules do).
Result<sys_seconds> parse_time(const std::string& s, const cctz::time_zone& zone) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$)");
  std::smatch m;
  if (!std::regex_match(s, m, re))
    return Error{"--from \"" + s + "\": expected an ISO 8601 time such as 2026-03-08T01:30:00Z"};
  const auto n = [&](int i) { return m[i].matched ? std::stoi(m[i].str()) : 0; };
  const cctz::civil_second cs(n(1), n(2), n(3), n(4), n(5), n(6));
  if (cs.year() != n(1) || cs.month() != n(2) || cs.day() != n(3) || cs.hour() != n(4) ||
      cs.minute() != n(5) || cs.second() != n(6))
    return Error{"--from \"" + s + "\": no such date or time"};
  if (!m[7].matched) {
    const auto l = zone.lookup(cs);
    const auto at = l.kind == cctz::time_zone::civil_lookup::SKIPPED ? l.trans : l.pre;
    return sys_seconds(time_point_cast<seconds>(at).time_since_epoch());
  }
  const auto utc = cctz::convert(cs, cctz::utc_time_zone());
  sys_seconds t(time_point_cast<seconds>(utc).time_since_epoch());
  const std::string off = m[7].str();
  if (off != "Z") {
    const int hh = std::stoi(off.substr(1, 2));
    const int mm = std::stoi(off.substr(off.size() - 2));
    const seconds delta = hours(hh) + minutes(mm);
    t = off[0] == '+' ? t - delta : t + delta;
  }
  return t;
}

int run_cron_next(const CronNextArgs& a) {
  const auto zone = core::load_zone(a.tz);
  if (!zone) {
    std::cerr << "stackrun cron next: --tz: " << zone.error() << "\n";
    return 1;
  }
  const auto spec = core::parse_cron(a.expr);
  if (!spec) {
    std::cerr << "stackrun cron next: " << spec.error() << "\n";
    return 1;
  }
  sys_seconds t = floor<seconds>(system_clock::now());
  if (!a.from.empty()) {
    auto from = parse_time(a.from, *zone);
    if (!from) {
      std::cerr << "stackrun cron next: " << from.error() << "\n";
      return 2;
    }
    t = *from;
  }
  for (int i = 0; i < a.count; ++i) {
    const auto next = core::next_fire(*spec, t, *zone);
    if (!next) {  // unreachable for a parsed spec (parse_cron rejects one that never fires)
      std::cerr << "stackrun cron next: cron \"" << a.expr << "\": never fires\n";
      return 1;
    }
    std::cout << core::iso_utc(*next) << "\n";
    t = *next;
  }
  return 0;
}

}  // namespace

void add_cron(CLI::App& app, int& exit_code) {
  auto* cron = app.add_subcommand("cron", "Cron expressions as stackrun's schedules read them");
  cron->require_subcommand(1);
  auto* cmd = cron->add_subcommand("next", "Print the next fire times of a cron expression");
  cmd->footer(
      "Prints one time per line, in UTC (YYYY-MM-DDTHH:MM:SSZ), strictly after --from.\n"
      "Syntax and the daylight-saving rules: docs/pipeline-reference.md, \"schedules\".\n"
      "Exit status: 0 ok; 1 invalid or never-firing expression, or unknown zone; 2 usage.");
  auto a = std::make_shared<CronNextArgs>();
  cmd->add_option("expr", a->expr, "5-field expression or @descriptor (quote it)")->required();
  cmd->add_option("--tz", a->tz, "IANA time zone the expression's times are in")
      ->default_val("UTC");
  cmd->add_option("--from", a->from,
                  "Start (default now): 2026-03-08T01:30:00Z, +01:00 offsets, or a wall-clock "
                  "time in --tz");
  cmd->add_option("--count", a->count, "How many fire times")->check(CLI::Range(1, 10000));
  cmd->callback([a, &exit_code] { exit_code = run_cron_next(*a); });
}

}  // namespace stackrun::cli
