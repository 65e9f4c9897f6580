#include "agents/policy.hpp"

#include <gtest/gtest.h>

namespace stackrun::agent {
namespace {

TEST(NextBackoff, DoublesWithinBounds) {
  struct Row {
    int previous, min, max, expected;
  };
  const Row rows[] = {
      {0, 200, 5000, 200},                            // first failure: the minimum
      {200, 200, 5000, 400},                          // doubles
      {3000, 200, 5000, 5000},                        // capped
      {5000, 200, 5000, 5000}, {50, 200, 5000, 200},  // never below the minimum
      {0, 200, 100, 200},                             // max below min: min wins
  };
  for (const auto& r : rows)
    EXPECT_EQ(next_backoff(Ms(r.previous), Ms(r.min), Ms(r.max)), Ms(r.expected))
        << r.previous << " " << r.min << " " << r.max;
}

TEST(Heartbeat, IntervalIsAThirdOfTheLeaseAtLeastTenMs) {
  EXPECT_EQ(heartbeat_interval(Ms(30'000)), Ms(10'000));
  EXPECT_EQ(heartbeat_interval(Ms(300)), Ms(100));
  EXPECT_EQ(heartbeat_interval(Ms(20)), Ms(10));
  EXPECT_EQ(heartbeat_interval(Ms(0)), Ms(10));
}

TEST(Heartbeat, RetryComesSoonButNeverLaterThanAnInterval) {
  EXPECT_EQ(heartbeat_retry(Ms(200), Ms(30'000)), Ms(200));
  EXPECT_EQ(heartbeat_retry(Ms(5'000), Ms(300)), Ms(100));
}

TEST(Lease, LapsesAfterAWholeLeaseWithoutAnAcceptedBeat) {
  const Instant t0{};
  EXPECT_FALSE(lease_lapsed(t0, t0 + Ms(299), Ms(300)));
  EXPECT_TRUE(lease_lapsed(t0, t0 + Ms(300), Ms(300)));
  EXPECT_TRUE(lease_lapsed(t0, t0 + Ms(10'000), Ms(300)));
}

TEST(FitsBefore, RetryOnlyWhileItEndsBeforeTheDeadline) {
  const Instant t0{};
  EXPECT_TRUE(fits_before(t0, Ms(10), t0 + Ms(11)));
  EXPECT_FALSE(fits_before(t0, Ms(10), t0 + Ms(10)));
  EXPECT_FALSE(fits_before(t0 + Ms(20), Ms(1), t0 + Ms(10)));
}

}  // namespace
}  // namespace stackrun::agent
