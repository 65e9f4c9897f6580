#include "runner/core/policy.hpp"

#include <algorithm>
#include <cmath>

namespace stackrun::core {
namespace {

// Hard cap on the attempts of one job, whatever the policies say (a lock that is never
// released with a long wait and short poll, or attempts: 1000, must still end).
constexpr std::size_t kMaxAttempts = 100;

std::string lock_holder(const Verdict& v, Duration wait) {
  const std::string for_more = " for more than " + format_duration(wait);
  if (!v.lock) return "state lock held by someone else" + for_more;
  std::string s = "locked by " + (v.lock->who.empty() ? std::string("someone else") : v.lock->who);
  if (!v.lock->id.empty()) s += " (lock ID " + v.lock->id + ")";
  return s + for_more;
}

Action decide_lock(const Verdict& v, const std::vector<AttemptRecord>& history, const LockPolicy& p,
                   TimePoint now) {
  // The current run of consecutive lock attempts started with the first of them to finish.
  TimePoint first = now;
  for (auto it = history.rbegin(); it != history.rend() && it->cls == Class::lock; ++it)
    first = it->finished_at;
  const TimePoint next = now + p.poll;
  if (p.wait > Duration::zero() && next <= first + p.wait) {
    std::string who = v.lock && !v.lock->who.empty() ? v.lock->who : "someone else";
    return {Action::Kind::wait_lock, next, "state lock held by " + who + "; trying again"};
  }
  const auto kind = p.then == LockPolicy::Then::fail ? Action::Kind::fail : Action::Kind::skip;
  return {kind, {}, lock_holder(v, p.wait)};
}

Action decide_transient(const Verdict& v, const std::vector<AttemptRecord>& history,
                        const TransientPolicy& p, TimePoint now, const JitterSource& jitter) {
  const auto count = std::count_if(history.begin(), history.end(), [](const AttemptRecord& a) {
    return a.cls == Class::transient;
  });
  const int k = std::max(1, static_cast<int>(count));
  if (k >= p.attempts)
    return {Action::Kind::fail,
            {},
            "transient failure persisted after " + std::to_string(k) +
                (k == 1 ? " attempt" : " attempts")};
  // min(max_backoff, backoff * 2^(k-1)), doubling step by step so it cannot overflow.
  Duration base = std::max(p.backoff, Duration::zero());
  for (int i = 1; i < k && base < p.max_backoff; ++i) base *= 2;
  base = std::min(base, p.max_backoff);
  const double j = std::clamp(p.jitter, 0.0, 1.0);
  const double u = jitter ? std::clamp(jitter(), 0.0, 1.0) : 0.5;
  const auto delay =
      Duration(std::llround(static_cast<double>(base.count()) * (1 + j * (2 * u - 1))));
  return {Action::Kind::retry, now + delay,
          "transient failure (" + v.rule + "), attempt " + std::to_string(k + 1) + " of " +
              std::to_string(p.attempts) + " in " + format_duration(delay)};
}

}  // namespace

std::string_view to_string(Action::Kind k) {
  switch (k) {
    case Action::Kind::succeed:
      return "succeed";
    case Action::Kind::drift:
      return "drift";
    case Action::Kind::retry:
      return "retry";
    case Action::Kind::wait_lock:
      return "wait_lock";
    case Action::Kind::skip:
      return "skip";
    case Action::Kind::fail:
      return "fail";
  }
  return "fail";
}

Action decide(const Verdict& verdict, const std::vector<AttemptRecord>& history,
              const FailurePolicy& policy, TimePoint now, const JitterSource& jitter) {
  switch (verdict.cls) {
    case Class::success:
      return {Action::Kind::succeed, {}, {}};
    case Class::drift:
      return {Action::Kind::drift, {}, {}};
    case Class::fatal:
      break;
    case Class::lock:
    case Class::transient:
      if (history.size() >= kMaxAttempts)
        return {Action::Kind::fail,
                {},
                "gave up after " + std::to_string(history.size()) + " attempts (limit " +
                    std::to_string(kMaxAttempts) + " per job)"};
      return verdict.cls == Class::lock
                 ? decide_lock(verdict, history, policy.lock, now)
                 : decide_transient(verdict, history, policy.transient, now, jitter);
  }
  return {Action::Kind::fail, {}, "fatal error (rule " + verdict.rule + ")"};
}

}  // namespace stackrun::core
