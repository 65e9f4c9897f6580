#pragma once
// The agent's timing rules as pure functions of durations and instants (no clock inside), so
// they are tested as tables.
#include <chrono>

namespace stackrun::agent {

using Ms = std::chrono::milliseconds;
using Instant = std::chrono::steady_clock::time_point;

// The wait after a failure that followed a wait of `previous`: doubled, within [min, max].
Ms next_backoff(Ms previous, Ms min, Ms max);

// How often to heartbeat under a lease: a third of it (so two beats may fail before the lease
// lapses), but at least 10 ms.
Ms heartbeat_interval(Ms lease);

// The next beat after a failed one: soon (the `backoff` of the failure streak), never later than
// a regular interval would be.
Ms heartbeat_retry(Ms backoff, Ms lease);

// True once no heartbeat was accepted for a whole lease since `last_accepted`: the server may
// already have given the attempt away, so the agent must stop the step (self-fencing).
bool lease_lapsed(Instant last_accepted, Instant now, Ms lease);

// True while waiting `wait` from `now` ends before `deadline`: a retry still fits.
bool fits_before(Instant now, Ms wait, Instant deadline);

}  // namespace stackrun::agent
