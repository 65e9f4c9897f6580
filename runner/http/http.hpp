#pragma once
// Minimal HTTP/1.1 server (Boost.Beast on one Asio io thread, async so long-polls and log
// followers cost no thread) and client (libcurl). Neither header pulls in Boost or curl:
// server.cpp is the only file including Asio/Beast, client.cpp the only one including curl.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runner/core/result.hpp"

namespace stackrun::http {

struct Request {
  std::string method;                          // "GET", "POST", ... (case as sent)
  std::string path;                            // as sent, without the query, e.g. /api/v1/runs/7
  std::map<std::string, std::string> query;    // decoded ?a=b&c=d ('+' is a space; last wins)
  std::map<std::string, std::string> params;   // from route patterns, decoded, e.g. {"id": "7"}
  std::map<std::string, std::string> headers;  // names lower-cased; a repeat keeps the last
  std::string body;
  std::string remote;  // peer "127.0.0.1:54321" or "[::1]:54321", for logs
  // Becomes true, stored on the io thread and never reset, once the client closed (or reset) its
  // connection before this request's reply was sent: a parked long-poll may read it from any
  // thread and drop its work; a reply after that is ignored. Not watched once the client sent
  // more bytes (pipelining); not set when stop() closes the connection. Never null.
  std::shared_ptr<const std::atomic<bool>> peer_closed = std::make_shared<std::atomic<bool>>(false);
  std::string header(const std::string& lower_name) const;  // "" when absent
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Completes a request. Call once, from any thread, now or later (it is posted to the io thread);
// later calls are ignored. Copies share one request. If every copy is destroyed uncalled, the
// client gets 500. Calling it after the Server is gone is a harmless no-op.
using Reply = std::function<void(Response)>;
// Runs on the io thread; must not block (long work: answer later through `reply`). `request` is
// valid only during the call: copy what a later answer needs. If it throws before replying, the
// client gets 500 {"error":"internal error: <what>"}.
using Handler = std::function<void(const Request& request, Reply reply)>;

// What a route decides from the request line and headers alone, before any body byte is read:
// a refused request costs the server its header (at most 8 KiB), never its body.
struct RouteOptions {
  // Largest body accepted. A larger Content-Length gets 413 at once; a chunked body gets 413
  // once its chunks pass it. Unset: Server::Options::max_body_bytes.
  std::optional<std::size_t> max_body_bytes;
  // Runs on the io thread (must not block) with the request minus its body (`body` empty,
  // `params` set). An answer refuses the request: it is sent, its body is never read, and the
  // connection is closed if a body was announced. nullopt lets the body be read and the handler
  // run. If it throws, the client gets 500 and the body is not read. Empty: admit everything.
  std::function<std::optional<Response>(const Request& head)> admit;
};

class Server {
 public:
  struct Options {
    // Default body limit of a route (RouteOptions::max_body_bytes): larger bodies get 413 and
    // are not read; the handler is not called.
    std::size_t max_body_bytes = 4 * 1024 * 1024;
    // Caps on open connections, in total and per peer IP address (loopback counts like any
    // address). A connection accepted over a cap gets a best-effort 503 and is closed at once,
    // before anything is read from it.
    std::size_t max_connections = 512;
    std::size_t max_per_address = 64;
    // Limit for receiving one request (and for writing one response); an idle keep-alive
    // connection is closed after it. Not applied while a handler has yet to reply.
    std::chrono::seconds read_timeout{30};
    // Told, on the io thread, what a function given to post() or after() (or other io-thread
    // work) threw, e.g. "timer callback threw: disk I/O error"; serving continues. Empty: write
    // "stackrun http: <text>" to stderr. If it throws, the text goes to stderr instead.
    std::function<void(const std::string& text)> on_error;
  };
  Server();
  explicit Server(Options options);
  // Destroy only after run() has returned (or was never called).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Pattern segments in braces capture: "/api/v1/runs/{id}/logs"; a literal segment beats a
  // capture (/runs/latest over /runs/{id}). Unknown path: 404 {"error":"no route for GET /x"};
  // known path, other method: 405 with Allow; both answered before the body is read. Register
  // before listen(); a malformed or duplicate pattern throws std::invalid_argument (a
  // programming error).
  void route(const std::string& method, const std::string& pattern, Handler handler,
             RouteOptions options = {});
  // Binds `host` (an IP literal: "127.0.0.1", "::1") and starts accepting; port 0 picks a free
  // one. Returns the bound port, or an error naming host:port and why ("address in use").
  Result<int> listen(const std::string& host, int port);
  // Runs `fn` on the io thread (thread-safe); not run once stop() has taken effect. If `fn`
  // throws, Options::on_error gets "posted function threw: <what>" and serving continues.
  void post(std::function<void()> fn);
  // Runs `fn` on the io thread `delay` after this call (thread-safe). Not run once stop() began.
  // If `fn` throws, Options::on_error gets "timer callback threw: <what>" and serving continues.
  void after(std::chrono::milliseconds delay, std::function<void()> fn);
  // Serves until stop(), even before listen(); call once, from the thread that should be the
  // io thread. What io-thread work throws does not escape: it goes to on_error, and serving
  // resumes.
  void run();
  // Stops accepting, cancels timers, closes open connections (pending requests get no answer)
  // and lets run() return. Thread-safe, idempotent; before run(), run() returns at once.
  void stop();

  // What the server holds and has refused, for tests and operators. Thread-safe; each field is
  // read on its own (not one snapshot).
  struct Stats {
    std::size_t open_connections = 0;
    std::uint64_t refused_connections = 0;  // closed at accept: over a connection cap
    // Bytes read as request bodies (chunk framing included), counted when a body read ends.
    // Bodies of refused requests (unknown route, admit answered, over the limit) are not read.
    std::uint64_t body_bytes_read = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Stops Client requests from another thread, e.g. an agent told to quit while parked in a
// long-poll. trigger() makes every request in flight on a Client using it return within
// milliseconds with an error ending in "interrupted", and every later one fail at once the same
// way. One-way (cannot be reset). Thread-safe; share it through std::shared_ptr.
class Interrupt {
 public:
  Interrupt() = default;
  Interrupt(const Interrupt&) = delete;
  Interrupt& operator=(const Interrupt&) = delete;
  void trigger();  // idempotent
  bool triggered() const;

 private:
  friend class Client;
  // Client side: enter() registers a curl multi handle (CURLM*) about to wait, so trigger()
  // wakes it; false, registering nothing, once triggered. leave() unregisters it.
  bool enter(void* multi);
  void leave(void* multi);

  std::mutex mu_;               // guards waiting_; held while trigger() wakes them
  std::vector<void*> waiting_;  // CURLM* of requests in flight
  std::atomic<bool> triggered_{false};
};

struct ClientResponse {
  int status = 0;
  std::string body;
};

// Blocking client for one base URL (e.g. "http://127.0.0.1:8080"); one instance per thread (not
// thread-safe, except that its Interrupt may be triggered from anywhere). Reuses its connection
// between requests (keep-alive); never follows redirects; only http and https.
class Client {
 public:
  explicit Client(std::string base_url, std::string bearer_token = "");
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Sends `method base_url+path` with a body (may be empty) of `content_type` (JSON unless
  // said otherwise) and returns status + body,
  // whatever the status. Fails only on transport errors (connection refused, timeout), e.g.
  // "GET http://127.0.0.1:1234/api/v1/x: <curl's reason>", or ".../x: interrupted" once the
  // Interrupt fired. `timeout` bounds the whole exchange.
  Result<ClientResponse> request(const std::string& method, const std::string& path,
                                 const std::string& body = "",
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                 const std::string& content_type = "application/json");
  // Later requests obey `interrupt` (null: none). Call between requests; the Client keeps a
  // reference.
  void set_interrupt(std::shared_ptr<Interrupt> interrupt);
  // Sends `name: value` with every later request (e.g. the protocol version header).
  void set_header(const std::string& name, const std::string& value);
  const std::string& base_url() const { return base_url_; }

 private:
  // Runs the transfer request() configured on curl_ through multi_, waking on the interrupt.
  // Fails with what + curl's reason, or what + "interrupted".
  Status perform(const std::string& what, const char* error_text);

  std::string base_url_, token_;
  void* curl_ = nullptr;   // CURL*, reset and reused for every request
  void* multi_ = nullptr;  // CURLM* driving curl_; its connection cache gives keep-alive
  std::shared_ptr<Interrupt> interrupt_;
  std::vector<std::string> extra_headers_;  // "Name: value"
};

}  // namespace stackrun::http
