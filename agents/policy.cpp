#include "agents/policy.hpp"

#include <algorithm>

namespace stackrun::agent {

Ms next_backoff(Ms previous, Ms min, Ms max) {
  return std::clamp(previous * 2, min, std::max(min, max));
}

Ms heartbeat_interval(Ms lease) {
  return std::max(lease / 3, Ms(10));
}

Ms heartbeat_retry(Ms backoff, Ms lease) {
  return std::min(backoff, heartbeat_interval(lease));
}

bool lease_lapsed(Instant last_accepted, Instant now, Ms lease) {
  return now - last_accepted >= lease;
}

bool fits_before(Instant now, Ms wait, Instant deadline) {
  return now + wait < deadline;
}

}  // namespace stackrun::agent
