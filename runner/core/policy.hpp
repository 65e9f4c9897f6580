#pragma once
// The failure policy: verdict + attempt history + the step's policy -> the next action.
// Pure: time and jitter are passed in.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "runner/core/duration.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::core {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

// What to do when a step fails on a state lock held by someone else.
struct LockPolicy {
  Duration wait{std::chrono::minutes(5)};   // keep retrying for this long after the first lock
  Duration poll{std::chrono::seconds(30)};  // delay between lock re-tries while waiting
  enum class Then { skip, fail } then = Then::skip;  // once the wait is used up
};

// Bounded retry of transient failures: attempts counts the first try too.
struct TransientPolicy {
  int attempts = 3;
  Duration backoff{std::chrono::seconds(15)};     // delay before the 2nd attempt
  Duration max_backoff{std::chrono::minutes(2)};  // cap of the exponential growth
  double jitter = 0.2;                            // +-fraction of the delay, in [0, 1]
};

struct FailurePolicy {
  LockPolicy lock;
  TransientPolicy transient;
  // fatal always fails; kept as a field so a pipeline can state it explicitly.
};

// One finished attempt of a job, oldest first.
struct AttemptRecord {
  Class cls = Class::success;
  TimePoint finished_at{};
};

struct Action {
  enum class Kind { succeed, drift, retry, wait_lock, skip, fail } kind = Kind::fail;
  TimePoint at{};      // retry / wait_lock: when to start the next attempt
  std::string reason;  // skip / fail / retry: human-readable why, shown in `stackrun show`
};

std::string_view to_string(Action::Kind k);

// Returns a number in [0, 1); injected so tests are deterministic.
using JitterSource = std::function<double()>;

// Decides the next action for a job whose latest attempt ended with `verdict` at `now`.
// `history` holds every finished attempt of this job including the latest (its last element).
Action decide(const Verdict& verdict, const std::vector<AttemptRecord>& history,
              const FailurePolicy& policy, TimePoint now, const JitterSource& jitter);

}  // namespace stackrun::core
