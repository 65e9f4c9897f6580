// next_fire against an independent implementation: tests/data/cron/reference.tsv holds the next
// five fire times that cron-parser (npm) gives for 29 expressions x 4 zones x 6 start times
// (scripts/cron-reference.js; rows near daylight-saving changes, where the two follow different
// documented rules, are left out there and tested by hand in cron_test.cpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "runner/core/cron.hpp"

namespace stackrun::core {
namespace {

using namespace std::chrono;

std::vector<std::string> split_on(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

sys_seconds parse_iso(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  EXPECT_EQ(std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &se), 6) << s;
  return sys_days(year(y) / mo / d) + hours(h) + minutes(mi) + seconds(se);
}

TEST(CronReference, MatchesAnIndependentImplementation) {
  std::ifstream in(STACKRUN_DATA_DIR "/cron/reference.tsv");
  ASSERT_TRUE(in) << "missing tests/data/cron/reference.tsv";
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto cols = split_on(line, '\t');
    ASSERT_EQ(cols.size(), 4u) << line;
    SCOPED_TRACE(cols[0] + " in " + cols[1] + " after " + cols[2]);
    const auto spec = parse_cron(cols[0]);
    ASSERT_TRUE(spec.ok()) << spec.error();
    const auto zone = load_zone(cols[1]);
    ASSERT_TRUE(zone.ok()) << zone.error();
    sys_seconds t = parse_iso(cols[2]);
    std::string got;
    for (std::size_t i = 0; i < split_on(cols[3], ' ').size(); ++i) {
      const auto next = next_fire(*spec, t, *zone);
      ASSERT_TRUE(next.has_value());
      got += (got.empty() ? "" : " ") + iso_utc(*next);
      t = *next;
    }
    EXPECT_EQ(got, cols[3]);
    ++rows;
  }
  EXPECT_GT(rows, 600);  // the table is all there
}

}  // namespace
}  // namespace stackrun::core
