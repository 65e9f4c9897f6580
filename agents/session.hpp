#pragma once
// One started attempt's conversation with the server, beside the steps: a log thread ships
// output as it arrives (coalescing a few ms, retrying while the server is away) and a heartbeat
// thread keeps the lease, hearing cancel requests and fencing. The slot thread feeds output in
// and asks should_stop(); every member is thread-safe.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "agents/log_queue.hpp"
#include "agents/policy.hpp"
#include "agents/server_link.hpp"

namespace stackrun::agent {

using Logger = std::function<void(const std::string& line)>;

struct SessionOptions {
  Ms lease{30'000};                      // the offer's lease_ms
  Ms coalesce{5};                        // how long a batch waits for more output before it is sent
  std::size_t batch_bytes = 256 * 1024;  // a batch this big is sent at once
  Ms backoff_min{200}, backoff_max{5'000};  // retry waits while the server is unavailable
};

class Session {
 public:
  // `started`: the answer of /agent/start (the lease begins now; cancel may already be set).
  // `logs` and `beats` are used only by this session's threads until it is destroyed. `what`
  // names the attempt in log lines, e.g. "attempt 12 (stacks/app, run 3)".
  Session(wire::AttemptRef attempt, const wire::LeaseAnswer& started, SessionOptions options,
          ServerLink& logs, ServerLink& beats, Logger log, std::string what);
  // Ends both threads (after a request in flight returns) and drops undelivered output.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void output(std::string_view bytes);  // step output, in order
  void note(std::string_view line);     // stackrun's own line ("[stackrun] " is added)

  // True once the step must stop: cancelled, fenced, or self-fenced (latched here when no
  // heartbeat was accepted for a whole lease).
  bool should_stop();
  bool cancelled();    // the server asked for a graceful stop
  bool fenced();       // the server refused a heartbeat or logs (4xx): do not report
  bool self_fenced();  // the lease lapsed without an accepted heartbeat

  // Ends the output and waits up to `limit` until the server has every chunk. True when it has;
  // false on timeout or when fenced.
  bool drain(Ms limit);
  std::int64_t seq_count();  // chunks made (the finish report's seq_count)

 private:
  void ship_loop();
  void beat_loop();
  // Caller holds mu_.
  bool check_lease_locked(Instant now);
  void fence_locked(const char* route, int status, const std::string& text);

  const wire::AttemptRef attempt_;
  const SessionOptions o_;
  ServerLink& logs_;
  ServerLink& beats_;
  const Logger log_;
  const std::string what_;

  std::mutex mu_;
  std::condition_variable cv_;  // queue_, output_closed_, closing_, fenced_, logs_refused_ changed
  std::condition_variable beat_cv_;  // closing_ or fenced_ changed (the heartbeat thread)
  LogQueue queue_;
  Instant last_accepted_;
  bool output_closed_ = false, closing_ = false;
  bool cancel_ = false, fenced_ = false, self_fenced_ = false;
  bool logs_refused_ = false;  // the server refused a log batch: stop shipping
  std::thread shipper_, beater_;
};

}  // namespace stackrun::agent
