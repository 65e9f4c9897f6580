#pragma once
// One started attempt's conversation with the server, beside its steps: a log thread ships the
// attempt's spool as it grows (woken by inotify, many lines per request, retrying while the
// server is away) and a heartbeat thread keeps the lease, hearing cancel requests and fencing.
// The step writes to the spool, never to the agent, so a slow server slows only the shipping,
// and memory stays one batch whatever the output. Every member is thread-safe.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "agents/policy.hpp"
#include "agents/server_link.hpp"
#include "agents/spool_reader.hpp"

namespace stackrun::agent {

using Logger = std::function<void(const std::string& line)>;

struct SessionOptions {
  Ms lease{30'000};    // the offer's lease_ms
  Ms coalesce{5};      // after output wakes the log thread, it waits this long for more
  Ms fallback{1'000};  // the log thread looks at the spool at least this often (no inotify)
  ShipLimits limits;
  Ms backoff_min{200}, backoff_max{5'000};  // retry waits while the server is unavailable
};

// Where the output is: the spool (which must exist), and where shipping state is persisted.
struct SessionSpool {
  std::string spool;
  std::string state_path;  // "" = not persisted
  ShipState start;         // where the server is (a restarted agent's persisted state)
};

class Session {
 public:
  // `started`: the answer of /agent/start (the lease begins now; cancel may already be set).
  // `logs` and `beats` are used only by this session's threads until it is destroyed. `what`
  // names the attempt in log lines, e.g. "attempt 12 (stacks/app, run 3)".
  Session(wire::AttemptRef attempt, const wire::LeaseAnswer& started, SessionOptions options,
          SessionSpool spool, ServerLink& logs, ServerLink& beats, Logger log, std::string what);
  // Ends both threads (after a request in flight returns); unshipped output stays in the spool.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // True once the step must stop: cancelled, fenced, or self-fenced (latched here when no
  // heartbeat was accepted for a whole lease).
  bool should_stop();
  bool cancelled();    // the server asked for a graceful stop
  bool fenced();       // the server refused a heartbeat or logs (4xx): do not report
  bool self_fenced();  // the lease lapsed without an accepted heartbeat

  // The output ended (no more writes to the spool): waits up to `limit` until the server has
  // all of it (up to the cap). True when it has; false on timeout or when logs were refused.
  bool drain(Ms limit);
  std::int64_t seq_count();  // chunks the server has (the finish report's seq_count)

 private:
  void ship_loop();
  bool output_closed();  // drain() was called
  void beat_loop();
  // Waits for new output (inotify), a wake() or `wait`; drains what woke it.
  void wait_for_output(Ms wait);
  // Waits for a wake() or `wait` (backoff, coalescing): output does not cut it short.
  void sleep_unless_woken(Ms wait);
  void wake();
  // Caller holds mu_.
  bool check_lease_locked(Instant now);
  void fence_locked(const char* route, int status, const std::string& text);

  const wire::AttemptRef attempt_;
  const SessionOptions o_;
  ServerLink& logs_;
  ServerLink& beats_;
  const Logger log_;
  const std::string what_;
  SpoolReader reader_;  // the log thread's alone
  int inotify_fd_ = -1, wake_fd_ = -1;

  std::mutex mu_;
  std::condition_variable cv_;       // drained_, logs_refused_, seq_ changed (drain waits)
  std::condition_variable beat_cv_;  // closing_ or fenced_ changed (the heartbeat thread)
  Instant last_accepted_;
  std::int64_t seq_ = 0;
  bool output_closed_ = false, closing_ = false, drained_ = false;
  bool cancel_ = false, fenced_ = false, self_fenced_ = false;
  bool logs_refused_ = false;  // the server refused a log batch: stop shipping
  std::thread shipper_, beater_;
};

}  // namespace stackrun::agent
