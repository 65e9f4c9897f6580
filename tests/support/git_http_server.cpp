#include "tests/support/git_http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>

extern char** environ;

namespace stackrun::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRequestTime = std::chrono::seconds(30);  // read a request, or run one CGI
constexpr std::size_t kMaxHeader = 64 * 1024;
constexpr std::size_t kMaxBody = 64 * 1024 * 1024;
constexpr const char* kBackend = "/usr/lib/git-core/git-http-backend";

struct HttpRequest {
  std::string method, target, path, query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Reads more bytes from `fd` into `buf`; false on EOF, error or a passed deadline. Why poll
// with the remaining time: a client that stops sending must not block stop() for ever.
bool read_more(int fd, std::string& buf, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[65536];
  const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buf.append(chunk, static_cast<std::size_t>(n));
  return true;
}

void send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    // MSG_NOSIGNAL: a client that hung up must not kill the test with SIGPIPE.
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Parses the request line and headers in `head` (without the blank line).
bool parse_head(const std::string& head, HttpRequest& req) {
  std::size_t pos = head.find("\r\n");
  const std::string line = head.substr(0, pos);
  const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return false;
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  while (pos != std::string::npos && pos + 2 < head.size()) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string h = head.substr(pos + 2, next - pos - 2);
    const auto colon = h.find(':');
    if (colon != std::string::npos)
      req.headers[lower(trim(h.substr(0, colon)))] = trim(h.substr(colon + 1));
    pos = next;
  }
  return true;
}

// Decodes a chunked body from `buf` (reading more as needed) into `body`.
bool read_chunked(int fd, std::string& buf, std::string& body, Clock::time_point deadline) {
  for (;;) {
    std::size_t eol;
    while ((eol = buf.find("\r\n")) == std::string::npos)
      if (buf.size() > kMaxHeader || !read_more(fd, buf, deadline)) return false;
    const std::size_t size = std::strtoul(buf.substr(0, eol).c_str(), nullptr, 16);
    buf.erase(0, eol + 2);
    if (size == 0) {  // trailers, then a blank line
      while (buf.find("\r\n") != 0) {
        const auto end = buf.find("\r\n");
        if (end != std::string::npos) {
          buf.erase(0, end + 2);
        } else if (buf.size() > kMaxHeader || !read_more(fd, buf, deadline)) {
          return false;
        }
      }
      return true;
    }
    if (body.size() + size > kMaxBody) return false;
    while (buf.size() < size + 2)
      if (!read_more(fd, buf, deadline)) return false;
    body.append(buf, 0, size);
    buf.erase(0, size + 2);
  }
}

bool read_request(int fd, HttpRequest& req, std::string& buf, Clock::time_point deadline) {
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos)
    if (buf.size() > kMaxHeader || !read_more(fd, buf, deadline)) return false;
  if (!parse_head(buf.substr(0, end), req)) return false;
  buf.erase(0, end + 4);
  return true;
}

bool read_body(int fd, HttpRequest& req, std::string& buf, Clock::time_point deadline) {
  if (lower(req.headers["transfer-encoding"]) == "chunked")
    return read_chunked(fd, buf, req.body, deadline);
  const std::size_t length = std::strtoul(req.headers["content-length"].c_str(), nullptr, 10);
  if (length > kMaxBody) return false;
  while (buf.size() < length)
    if (!read_more(fd, buf, deadline)) return false;
  req.body = buf.substr(0, length);
  return true;
}

std::string response(int status, const std::string& reason, const std::string& headers,
                     const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// The CGI environment: only what git http-backend reads, plus PATH so it finds git.
std::vector<std::string> cgi_env(const std::string& root, const HttpRequest& req,
                                 const std::string& remote_user) {
  std::vector<std::string> env{"GIT_PROJECT_ROOT=" + root,
                               "GIT_HTTP_EXPORT_ALL=1",
                               "GIT_CONFIG_NOSYSTEM=1",
                               "GIT_CONFIG_GLOBAL=/dev/null",
                               "HOME=" + root,
                               "GATEWAY_INTERFACE=CGI/1.1",
                               "SERVER_PROTOCOL=HTTP/1.1",
                               "REMOTE_ADDR=127.0.0.1",
                               "REQUEST_METHOD=" + req.method,
                               "PATH_INFO=" + req.path,
                               "QUERY_STRING=" + req.query,
                               "CONTENT_LENGTH=" + std::to_string(req.body.size())};
  if (const char* path = std::getenv("PATH")) env.push_back(std::string("PATH=") + path);
  auto header = [&](const char* name) {
    auto it = req.headers.find(name);
    return it == req.headers.end() ? std::string() : it->second;
  };
  if (auto v = header("content-type"); !v.empty()) env.push_back("CONTENT_TYPE=" + v);
  // git http-backend inflates a gzip body itself when told the encoding.
  if (auto v = header("content-encoding"); !v.empty()) env.push_back("HTTP_CONTENT_ENCODING=" + v);
  if (auto v = header("git-protocol"); !v.empty()) env.push_back("GIT_PROTOCOL=" + v);
  if (!remote_user.empty()) env.push_back("REMOTE_USER=" + remote_user);
  return env;
}

struct CgiOutput {
  bool ok = false;
  std::string out, err;
};

// Runs the backend with `env`, feeding `body` on stdin; killed at the deadline.
CgiOutput run_cgi(const std::vector<std::string>& env, const std::string& body) {
  CgiOutput r;
  int in[2], out[2], err[2];
  // O_CLOEXEC: only the dup2'd copies reach the child, so its stdin sees EOF once we close.
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(kBackend), nullptr};
  pid_t pid = -1;
  // posix_spawn, not fork: the test process has other threads, and the environment is built
  // before the spawn, so nothing runs between fork and exec.
  const int rc = ::posix_spawn(&pid, kBackend, &fa, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  for (int fd : {in[0], out[1], err[1]}) ::close(fd);
  if (rc != 0) {
    for (int fd : {in[1], out[0], err[0]}) ::close(fd);
    r.err = std::string("cannot start ") + kBackend + ": " + std::strerror(rc);
    return r;
  }
  int to_child = in[1];
  std::size_t written = 0;
  if (body.empty()) {
    ::close(to_child);
    to_child = -1;
  }
  bool out_open = true, err_open = true;
  const auto deadline = Clock::now() + kRequestTime;
  while ((out_open || err_open) && Clock::now() < deadline) {
    pollfd fds[3] = {{out_open ? out[0] : -1, POLLIN, 0},
                     {err_open ? err[0] : -1, POLLIN, 0},
                     {to_child, POLLOUT, 0}};
    ::poll(fds, 3, 100);
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      if (n <= 0) (i == 0 ? out_open : err_open) = false;
    }
    if (to_child >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(to_child, body.data() + written, body.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n <= 0 || written == body.size()) {
        ::close(to_child);
        to_child = -1;
      }
    }
  }
  if (to_child >= 0) ::close(to_child);
  ::close(out[0]);
  ::close(err[0]);
  if (out_open || err_open) ::kill(pid, SIGKILL);  // the deadline passed
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return r;
}

// Turns CGI output (headers, blank line, body) into an HTTP response; "Status:" sets the code.
std::string cgi_to_http(const std::string& out, int& status) {
  std::size_t sep = out.find("\r\n\r\n");
  std::size_t skip = 4;
  if (const std::size_t lf = out.find("\n\n"); lf != std::string::npos && lf < sep) {
    sep = lf;
    skip = 2;
  }
  if (sep == std::string::npos) {
    status = 502;
    return response(502, "Bad Gateway", "", "git http-backend wrote no headers\n");
  }
  status = 200;
  std::string reason = "OK", headers;
  std::size_t pos = 0;
  const std::string head = out.substr(0, sep);
  while (pos <= head.size()) {
    std::size_t eol = head.find('\n', pos);
    if (eol == std::string::npos) eol = head.size();
    std::string line = head.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = eol + 1;
    if (line.empty()) continue;
    if (lower(line.substr(0, 7)) == "status:") {
      const std::string v = trim(line.substr(7));
      status = std::atoi(v.c_str());
      reason = v.size() > 4 ? v.substr(4) : "";
    } else {
      headers += line + "\r\n";
    }
  }
  return response(status, reason, headers, out.substr(sep + skip));
}

}  // namespace

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

GitHttpServer::GitHttpServer(std::string root, std::optional<BasicAuth> auth)
    : root_(std::move(root)), auth_(std::move(auth)) {
  ::signal(SIGPIPE, SIG_IGN);  // a backend that exits early must not kill the test
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("GitHttpServer: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error(std::string("GitHttpServer: cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

GitHttpServer::~GitHttpServer() {
  stop();
}

std::string GitHttpServer::url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

std::vector<GitHttpServer::Request> GitHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void GitHttpServer::stop() {
  if (stopping_.exchange(true)) return;
  const char byte = 'x';
  (void)!::write(wake_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  for (int fd : {listen_fd_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

void GitHttpServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
    ::close(fd);
  }
}

void GitHttpServer::handle(int fd) {
  const auto deadline = Clock::now() + kRequestTime;
  HttpRequest req;
  std::string buf;
  if (!read_request(fd, req, buf, deadline)) return;
  Request seen{req.method,
               req.target,
               req.headers.count("authorization") > 0,
               lower(req.headers["transfer-encoding"]) == "chunked",
               req.headers["content-encoding"],
               0};
  std::string remote_user;
  if (auth_) {
    const std::string expected = "Basic " + base64(auth_->user + ":" + auth_->password);
    if (req.headers["authorization"] != expected) {
      seen.status = 401;
      // No body: libgit2 1.5 leaves an unread 401 body in its buffer when the server closes
      // the connection and parses it as the start of the next response.
      send_all(fd, response(401, "Unauthorized", "WWW-Authenticate: Basic realm=\"git\"\r\n", ""));
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(seen);
      return;
    }
    remote_user = auth_->user;
  }
  if (lower(req.headers["expect"]) == "100-continue") send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
  std::string reply;
  if (!read_body(fd, req, buf, deadline)) {
    seen.status = 400;
    reply = response(400, "Bad Request", "", "unreadable request body\n");
  } else {
    const CgiOutput cgi = run_cgi(cgi_env(root_, req, remote_user), req.body);
    reply = cgi_to_http(cgi.out, seen.status);
    if (!cgi.ok && seen.status == 200) {
      seen.status = 500;
      reply = response(500, "Internal Server Error", "", cgi.err);
    }
  }
  send_all(fd, reply);
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(seen);
}

}  // namespace stackrun::testing
