#pragma once
// A git smart-HTTP server on 127.0.0.1 for tests: `git http-backend` run as a CGI, one process
// per request, behind a minimal HTTP/1.1 server on a thread. Serves every bare repository under
// `root` (http://127.0.0.1:PORT/<name>.git), fetch only. Optionally requires HTTP basic auth
// and answers 401 with `WWW-Authenticate: Basic realm="git"` otherwise. One connection at a
// time, one request per connection (`Connection: close`); every read, write and CGI run is
// bounded in time, so a stuck client or backend cannot hang a test.
#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace stackrun::testing {

class GitHttpServer {
 public:
  struct BasicAuth {
    std::string user, password;
  };
  // What a request asked for and what it got; for tests that count round trips.
  struct Request {
    std::string method, target;  // target: path and query, as sent
    bool had_authorization = false;
    bool chunked = false;          // Transfer-Encoding: chunked
    std::string content_encoding;  // e.g. "gzip"
    int status = 0;
  };

  // Listens on 127.0.0.1:0 and starts serving `root`. Throws std::runtime_error when the
  // socket or thread cannot be set up.
  explicit GitHttpServer(std::string root, std::optional<BasicAuth> auth = std::nullopt);
  ~GitHttpServer();  // stop()
  GitHttpServer(const GitHttpServer&) = delete;
  GitHttpServer& operator=(const GitHttpServer&) = delete;

  // "http://127.0.0.1:PORT/<name>" (name e.g. "infra.git").
  std::string url(const std::string& name) const;
  int port() const { return port_; }
  // Requests answered so far, in order. Thread-safe.
  std::vector<Request> requests() const;
  // Stops accepting, finishes the request in progress (bounded) and joins the thread.
  void stop();

 private:
  void serve();
  void handle(int fd);

  std::string root_;
  std::optional<BasicAuth> auth_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // stop() writes to wake_[1]; the accept loop polls wake_[0]
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::thread thread_;
};

// Standard base64 of `bytes` (with '=' padding). Pure; used for basic auth headers.
std::string base64(const std::string& bytes);

}  // namespace stackrun::testing
