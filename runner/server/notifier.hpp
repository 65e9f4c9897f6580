#pragma once
// The notifier: a thread of the server that sends the outbox (schema/sql/0006_outbox.sql) off
// the io thread, over its own SQLite connection. It sends each due row once per pass (a
// target's rows in order), retries a failed try with backoff and jitter (core::retry_delay_ms)
// when it may pass (core::classify_send), and gives a row up (dead, one log line) otherwise or
// after core::kMaxSendAttempts tries. It never touches runs: a target that is down only delays
// its own rows. No polling: it sleeps until wake() or the earliest next_try_at.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "runner/config/server_config.hpp"
#include "runner/http/http.hpp"
#include "runner/store/store.hpp"

namespace stackrun::server {

// One POST of an outbox row: the exchange only.
struct SendRequest {
  std::string url, body;
  std::string authorization;  // the Authorization header's value; "" = none
};
struct SendAnswer {
  std::optional<int> status;  // nullopt: no answer (connection error, timeout)
  std::string error;          // why there was no answer
};
using Send = std::function<SendAnswer(const SendRequest&)>;

// The real Send: libcurl through http::Client, JSON body, User-Agent "stackrun", TLS verified,
// no redirects followed, `timeout` for the whole exchange; `interrupt` (may be null) ends a
// request in flight at once (server shutdown). Refuses (no answer, no request) a URL that is
// not https or loopback http.
Send http_send(std::shared_ptr<http::Interrupt> interrupt,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct NotifierOptions {
  std::function<store::Millis()> clock;
  std::function<double()> jitter;               // uniform in [0, 1]
  std::function<void(const std::string&)> log;  // one line per give-up and per store fault
  int batch = 20;                               // rows read per pass
  store::Db::Options db{};                      // the notifier's own connection
};

class Notifier {
 public:
  // `config` gives the API tokens of commit-status rows (by source name, at send time: tokens
  // are never stored); may be null (such rows die: "no token"). The file at `db_path` must
  // exist and be migrated (the server opened it first).
  Notifier(std::string db_path, std::shared_ptr<const config::ServerConfig> config, Send send,
           NotifierOptions options);
  ~Notifier();  // stop()
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Starts the thread. Once.
  void start();
  // Rows were (or are being) enqueued: look now. Thread-safe, never blocks on the store.
  // Called inside the enqueueing transaction it is still safe: a pass starts with BEGIN
  // IMMEDIATE, which waits for that transaction to end, so the rows are seen.
  void wake();
  // Ends the thread: wakes it, interrupts nothing by itself (give http_send the Interrupt and
  // trigger it first to end a request in flight), joins. Idempotent.
  void stop();

  // One pass on the caller's thread (the thread's loop; tests call it directly): sends every
  // due row once and returns when to look again (nullopt: nothing pending). Throws DbError.
  std::optional<store::Millis> pass();

 private:
  void loop();
  void send_one(const store::Store::OutboxRow& row);
  std::string authorization_of(const store::Store::OutboxRow& row, std::string& why) const;

  std::string db_path_;
  std::shared_ptr<const config::ServerConfig> config_;
  Send send_;
  NotifierOptions options_;
  std::unique_ptr<store::Store> store_;  // opened by the first pass, on the notifier's thread

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false, stopping_ = false;
  std::thread thread_;
};

}  // namespace stackrun::server
