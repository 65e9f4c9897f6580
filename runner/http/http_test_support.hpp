#pragma once
// Shared by the loopback tests of this directory (header-only; only *_test.cpp include it): a
// real Server on 127.0.0.1:<free port> served by its own thread, bounded waits, raw sockets for
// what the client cannot show. Every wait is bounded by kWait; none asserts elapsed time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "runner/http/http.hpp"

namespace stackrun::http::test_support {

using namespace std::chrono_literals;
constexpr std::chrono::seconds kWait{10};  // bound on every wait; generous for loaded CI

inline Response text(std::string body, int status = 200) {
  return Response{status, "text/plain", std::move(body), {}};
}

// "status body" or the transport error, for compact expectations.
inline std::string outcome(const Result<ClientResponse>& r) {
  return r.ok() ? std::to_string(r->status) + " " + r->body : "error: " + r.error();
}

// Polls `done` every 5 ms until it holds; false if it still does not after kWait. A bound on a
// wait for another thread, not a timing assertion.
template <class Pred>
bool wait_until(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  for (int polls = 0; polls < 4000; ++polls) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// A server run() by its own thread. Register routes on `server`, then start(). The destructor
// stops it and waits (bounded) for run() to return.
class LiveServer {
 public:
  explicit LiveServer(Server::Options options = {}) : server(std::move(options)) {}
  ~LiveServer() {
    if (!thread_.joinable()) return;
    server.stop();
    if (!wait_stopped()) {
      std::fprintf(stderr, "Server::run() still running %llds after stop()\n",
                   static_cast<long long>(kWait.count()));
      std::abort();  // joining would hang the whole suite
    }
    thread_.join();
  }
  // Listens on host:0 and starts the io thread; "" on success, else the listen error.
  std::string start(const std::string& host = "127.0.0.1") {
    auto port = server.listen(host, 0);
    if (!port.ok()) return port.error();
    port_ = *port;
    url_ = "http://" + (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" +
           std::to_string(port_);
    thread_ = std::thread([this] {
      server.run();
      stopped_.set_value();
    });
    return "";
  }
  bool wait_stopped() { return stopped_future_.wait_for(kWait) == std::future_status::ready; }
  int port() const { return port_; }
  const std::string& url() const { return url_; }
  std::thread::id thread_id() const { return thread_.get_id(); }

  Server server;

 private:
  int port_ = 0;
  std::string url_;
  std::promise<void> stopped_;
  std::shared_future<void> stopped_future_ = stopped_.get_future().share();
  std::thread thread_;
};

// Opened once, from any thread; waited on with a bound.
class Latch {
 public:
  void open() {
    std::call_once(once_, [this] { promise_.set_value(); });
  }
  bool wait() { return future_.wait_for(kWait) == std::future_status::ready; }

 private:
  std::once_flag once_;
  std::promise<void> promise_;
  std::future<void> future_ = promise_.get_future();
};

// A plain TCP connection to 127.0.0.1:port, for byte-level exchanges.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
  }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends all of `bytes`; false if the connection failed first.
  bool send(const std::string& bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // All it reads until the server closes, with "<timeout>" appended if it has not closed
  // within kWait.
  std::string read_until_close() { return read_until(""); }
  // All it reads until what it read contains `marker` (never, when empty) or the server
  // closes, with "<timeout>" appended if neither happened within kWait.
  std::string read_until(const std::string& marker) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + kWait;
    for (;;) {
      if (!marker.empty() && out.find(marker) != std::string::npos) return out;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return out + "<timeout>";
      }
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Connects, sends `bytes`, returns all it reads until the server closes (see read_until_close).
inline std::string raw_exchange(int port, const std::string& bytes) {
  RawConnection c(port);
  if (!c.connected()) return "<connect failed>";
  c.send(bytes);
  return c.read_until_close();
}

// "POST <path> HTTP/1.1" with `headers` ("Name: value\r\n" each) and a Content-Length of
// `length`, ending at the blank line: the head of an upload whose body is not sent (yet).
inline std::string upload_head(const std::string& path, std::size_t length,
                               const std::string& headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + headers +
         "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// The status line of a raw response ("HTTP/1.1 401 Unauthorized"), or all of it if it has none.
inline std::string status_line(const std::string& raw) {
  return raw.substr(0, raw.find("\r\n"));
}

// The body of a raw response (after the blank line), or "" if it has none.
inline std::string body_of(const std::string& raw) {
  auto end = raw.find("\r\n\r\n");
  return end == std::string::npos ? "" : raw.substr(end + 4);
}

}  // namespace stackrun::http::test_support
