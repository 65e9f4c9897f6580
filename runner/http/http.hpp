#pragma once
// Minimal HTTP/1.1 server (Boost.Beast on one Asio io thread, async so long-polls and log
// followers cost no thread) and client (libcurl). Neither header pulls in Boost or curl:
// server.cpp is the only file including Asio/Beast, client.cpp the only one including curl.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
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

class Server {
 public:
  struct Options {
    std::size_t max_body_bytes = 4 * 1024 * 1024;  // larger bodies get 413, handler not called
    // Limit for receiving one request (and for writing one response); an idle keep-alive
    // connection is closed after it. Not applied while a handler has yet to reply.
    std::chrono::seconds read_timeout{30};
  };
  Server();
  explicit Server(Options options);
  // Destroy only after run() has returned (or was never called).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Pattern segments in braces capture: "/api/v1/runs/{id}/logs"; a literal segment beats a
  // capture (/runs/latest over /runs/{id}). Unknown path: 404 {"error":"no route for GET /x"};
  // known path, other method: 405 with Allow. Register before listen(); a malformed or
  // duplicate pattern throws std::invalid_argument (a programming error).
  void route(const std::string& method, const std::string& pattern, Handler handler);
  // Binds `host` (an IP literal: "127.0.0.1", "::1") and starts accepting; port 0 picks a free
  // one. Returns the bound port, or an error naming host:port and why ("address in use").
  Result<int> listen(const std::string& host, int port);
  // Runs `fn` on the io thread (thread-safe); not run once stop() has taken effect. An exception
  // from `fn` propagates out of run().
  void post(std::function<void()> fn);
  // Runs `fn` on the io thread `delay` after this call (thread-safe). Not run once stop() began.
  void after(std::chrono::milliseconds delay, std::function<void()> fn);
  // Serves until stop(), even before listen(); call once, from the thread that should be the
  // io thread.
  void run();
  // Stops accepting, cancels timers, closes open connections (pending requests get no answer)
  // and lets run() return. Thread-safe, idempotent; before run(), run() returns at once.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ClientResponse {
  int status = 0;
  std::string body;
};

// Blocking client for one base URL (e.g. "http://127.0.0.1:8080"); one instance per thread (not
// thread-safe). Reuses its connection between requests (keep-alive); never follows redirects;
// only http and https.
class Client {
 public:
  explicit Client(std::string base_url, std::string bearer_token = "");
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Sends `method base_url+path` with a JSON body (may be empty) and returns status + body,
  // whatever the status. Fails only on transport errors (connection refused, timeout), e.g.
  // "GET http://127.0.0.1:1234/api/v1/x: <curl's reason>". `timeout` bounds the whole exchange.
  Result<ClientResponse> request(const std::string& method, const std::string& path,
                                 const std::string& body = "",
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_, token_;
  void* curl_ = nullptr;  // CURL*, reused for keep-alive
};

}  // namespace stackrun::http
