#include "runner/core/policy.hpp"

#include <gtest/gtest.h>

namespace stackrun::core {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint t0 = TimePoint{} + hours(24 * 20000);

JitterSource fixed(double u) {
  return [u] { return u; };
}

std::vector<AttemptRecord> attempts(std::initializer_list<std::pair<Class, Duration>> list) {
  std::vector<AttemptRecord> h;
  for (const auto& [cls, at] : list) h.push_back({cls, t0 + at});
  return h;
}

Verdict lock_verdict(bool with_info, std::string who = "emo@laptop", std::string id = "1f2e") {
  Verdict v{Class::lock, "builtin.lock.state-lock", "Error: Error acquiring the state lock", 2, {},
            {}};
  if (with_info) {
    v.lock = LockInfo{};
    v.lock->who = std::move(who);
    v.lock->id = std::move(id);
  }
  return v;
}

const Verdict kTransient{Class::transient, "builtin.transient.connection-reset", "x", 1, {}, {}};

struct Case {
  const char* name;
  Verdict verdict;
  std::vector<AttemptRecord> history;
  FailurePolicy policy;
  Duration now;  // after t0
  double u;
  Action::Kind kind;
  Duration at;  // after t0; checked for retry and wait_lock
  std::string reason;
};

FailurePolicy lock_policy(Duration wait, Duration poll, LockPolicy::Then then) {
  FailurePolicy p;
  p.lock = {wait, poll, then};
  return p;
}

FailurePolicy transient_policy(int n, Duration backoff, Duration max, double jitter) {
  FailurePolicy p;
  p.transient = {n, backoff, max, jitter};
  return p;
}

TEST(Decide, Table) {
  const auto skip = LockPolicy::Then::skip;
  const auto fail = LockPolicy::Then::fail;
  const FailurePolicy dflt;
  const Verdict who = lock_verdict(true), nobody = lock_verdict(false);
  const Verdict success{Class::success, "exit:0", "", 0, {}, {}};
  const Verdict drift{Class::drift, "exit:2", "", 0, {}, {}};
  const Verdict fatal{Class::fatal, "builtin.fatal.missing-argument", "Error: x", 3, {}, {}};
  const Class L = Class::lock, T = Class::transient;
  using K = Action::Kind;
  const std::string waiting = "state lock held by emo@laptop; trying again";
  const std::string held_5m = "locked by emo@laptop (lock ID 1f2e) for more than 5m";
  const std::string retry = "transient failure (builtin.transient.connection-reset), attempt ";
  const auto m = [](int n) { return minutes(n); };
  const auto s = [](int n) { return seconds(n); };
  // clang-format off
  const Case cases[] = {
      {"success", success, attempts({{Class::success, {}}}), dflt, {}, 0.5, K::succeed, {}, ""},
      {"drift", drift, attempts({{Class::drift, {}}}), dflt, {}, 0.5, K::drift, {}, ""},
      {"fatal names the rule", fatal, attempts({{Class::fatal, {}}}), dflt, {}, 0.5, K::fail, {},
       "fatal error (rule builtin.fatal.missing-argument)"},

      // --- lock: wait (poll 30s) while now+poll <= first lock of the run + 5m, then skip.
      {"first lock waits", who, attempts({{L, {}}}), dflt, {}, 0.5, K::wait_lock, s(30), waiting},
      {"lock without info waits", nobody, attempts({{L, {}}}), dflt, {}, 0.5, K::wait_lock, s(30),
       "state lock held by someone else; trying again"},
      {"last poll exactly at the deadline", who, attempts({{L, {}}, {L, m(4) + s(30)}}), dflt,
       m(4) + s(30), 0.5, K::wait_lock, m(5), waiting},
      {"past the deadline skips", who, attempts({{L, {}}, {L, m(4) + s(31)}}), dflt,
       m(4) + s(31), 0.5, K::skip, {}, held_5m},
      {"then fail", who, attempts({{L, {}}, {L, m(6)}}), lock_policy(m(5), s(30), fail), m(6),
       0.5, K::fail, {}, held_5m},
      {"skip without info", nobody, attempts({{L, {}}, {L, m(6)}}), dflt, m(6), 0.5, K::skip, {},
       "state lock held by someone else for more than 5m"},
      {"info without who or id", lock_verdict(true, "", ""), attempts({{L, {}}, {L, m(6)}}), dflt,
       m(6), 0.5, K::skip, {}, "locked by someone else for more than 5m"},
      {"wait 0 skips at once", who, attempts({{L, {}}}), lock_policy(Duration::zero(), s(30), skip),
       {}, 0.5, K::skip, {}, "locked by emo@laptop (lock ID 1f2e) for more than 0s"},
      {"wait 0 then fail", nobody, attempts({{L, {}}}), lock_policy(Duration::zero(), s(30), fail),
       {}, 0.5, K::fail, {}, "state lock held by someone else for more than 0s"},
      {"poll longer than wait skips", nobody, attempts({{L, {}}}), lock_policy(s(10), s(30), skip),
       {}, 0.5, K::skip, {}, "state lock held by someone else for more than 10s"},
      {"an earlier lock run does not count", who, attempts({{L, -m(30)}, {T, -m(20)}, {L, {}}}),
       dflt, {}, 0.5, K::wait_lock, s(30), waiting},
      {"run measured from its first lock", who, attempts({{T, -m(30)}, {L, -m(4)}, {L, -s(10)}}),
       dflt, {}, 0.5, K::wait_lock, s(30), waiting},
      {"run measured from its first lock, over", who,
       attempts({{T, -m(30)}, {L, -m(5)}, {L, -s(10)}}), dflt, {}, 0.5, K::skip, {}, held_5m},
      {"lock with empty history waits", who, {}, dflt, {}, 0.5, K::wait_lock, s(30), waiting},

      // --- transient: attempts 3, backoff 15s doubling, capped at 2m, jitter +-20%.
      {"first retry", kTransient, attempts({{T, {}}}), dflt, {}, 0.5, K::retry, s(15),
       retry + "2 of 3 in 15s"},
      {"second retry doubles", kTransient, attempts({{T, -s(40)}, {T, {}}}), dflt, {}, 0.5,
       K::retry, s(30), retry + "3 of 3 in 30s"},
      {"third failure gives up", kTransient, attempts({{T, {}}, {T, {}}, {T, {}}}), dflt, {}, 0.5,
       K::fail, {}, "transient failure persisted after 3 attempts"},
      {"jitter low end", kTransient, attempts({{T, {}}}), dflt, {}, 0.0, K::retry, s(12),
       retry + "2 of 3 in 12s"},
      {"jitter high side", kTransient, attempts({{T, {}}}), dflt, {}, 0.75, K::retry,
       milliseconds(16500), retry + "2 of 3 in 16s500ms"},
      {"no jitter", kTransient, attempts({{T, {}}}), transient_policy(3, s(15), m(2), 0.0), {},
       0.9, K::retry, s(15), retry + "2 of 3 in 15s"},
      {"capped at max_backoff", kTransient, attempts({{T, {}}, {T, {}}, {T, {}}, {T, {}}, {T, {}}}),
       transient_policy(10, s(15), m(2), 0.0), {}, 0.5, K::retry, m(2), retry + "6 of 10 in 2m"},
      {"jitter applies after the cap", kTransient,
       attempts({{T, {}}, {T, {}}, {T, {}}, {T, {}}, {T, {}}}),
       transient_policy(10, s(15), m(2), 0.5), {}, 1.0, K::retry, m(3), retry + "6 of 10 in 3m"},
      {"lock attempts are not transient attempts", kTransient,
       attempts({{L, {}}, {L, {}}, {T, {}}}), dflt, {}, 0.5, K::retry, s(15),
       retry + "2 of 3 in 15s"},
      {"attempts 1 never retries", kTransient, attempts({{T, {}}}),
       transient_policy(1, s(15), m(2), 0.2), {}, 0.5, K::fail, {},
       "transient failure persisted after 1 attempt"},
      {"huge exponent does not overflow", kTransient,
       std::vector<AttemptRecord>(80, AttemptRecord{T, t0}),
       transient_policy(90, s(15), hours(1), 0), {}, 0.5, K::retry, hours(1), retry + "81 of 90 in 1h"},
  };
  // clang-format on
  for (const Case& c : cases) {
    const Action a = decide(c.verdict, c.history, c.policy, t0 + c.now, fixed(c.u));
    EXPECT_EQ(to_string(a.kind), to_string(c.kind)) << c.name;
    EXPECT_EQ(a.reason, c.reason) << c.name;
    if (c.kind == K::retry || c.kind == K::wait_lock) {
      EXPECT_EQ((a.at - t0).count(), c.at.count()) << c.name;
    }
  }
}

TEST(Decide, HardCapOfOneHundredAttempts) {
  FailurePolicy p;
  p.lock.wait = hours(1000);
  p.transient.attempts = 1000;
  for (Class cls : {Class::lock, Class::transient}) {
    const Verdict v{cls, "r", "", 0, {}, {}};
    std::vector<AttemptRecord> h(99, AttemptRecord{cls, t0});
    EXPECT_NE(decide(v, h, p, t0, fixed(0.5)).kind, Action::Kind::fail) << to_string(cls);
    h.push_back({cls, t0});
    const Action a = decide(v, h, p, t0, fixed(0.5));
    EXPECT_EQ(a.kind, Action::Kind::fail) << to_string(cls);
    EXPECT_EQ(a.reason, "gave up after 100 attempts (limit 100 per job)");
  }
}

// A job driven by decide() alone ends, whatever the policy.
TEST(Decide, LoopAlwaysTerminates) {
  FailurePolicy p;
  p.lock.wait = hours(1000);
  p.lock.poll = Duration::zero();
  std::vector<AttemptRecord> h;
  TimePoint now = t0;
  for (int i = 0; i < 1000; ++i) {
    h.push_back({Class::lock, now});
    const Action a = decide(lock_verdict(true), h, p, now, fixed(0.5));
    if (a.kind != Action::Kind::wait_lock) break;
    now = a.at;
  }
  EXPECT_EQ(h.size(), 100u);
}

TEST(ActionKind, ToString) {
  using K = Action::Kind;
  const std::pair<K, std::string_view> cases[] = {
      {K::succeed, "succeed"},     {K::drift, "drift"}, {K::retry, "retry"},
      {K::wait_lock, "wait_lock"}, {K::skip, "skip"},   {K::fail, "fail"}};
  for (const auto& [k, s] : cases) EXPECT_EQ(to_string(k), s);
}

}  // namespace
}  // namespace stackrun::core
