// The HTTP server: the only file including Boost.Asio/Beast. One io_context, run by the thread
// that calls Server::run(); the acceptor, every session and every timer live on it, so their
// state needs no lock. Other threads reach it only through asio::post (Reply, post, after, stop).

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility> (C++20), so <utility> must come first.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runner/http/door.hpp"
#include "runner/http/http.hpp"
#include "runner/http/router.hpp"

namespace stackrun::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// After a 413/400 we stop reading requests but keep reading (and discarding) what the client is
// still sending, up to this much: closing with unread input makes the kernel send RST, and the
// client may then lose the error response it has not read yet.
constexpr std::size_t kMaxDrainBytes = 4 * 1024 * 1024;
// A request's header (request line and fields) may be this large; over it: 400.
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
// Why the read buffer is capped: Beast keeps a chunk-size line (with its extensions) and the
// trailer in the read buffer until the line ends, and no parser limit applies to them
// (basic_parser::parse_chunk_header); header_limit covers only the request header. With the
// cap, an endless line fails with error::buffer_overflow (400) after this many bytes instead of
// growing the buffer for as long as the client sends. Body bytes do not accumulate here: the
// parser moves them into the body as they arrive.
constexpr std::size_t kMaxReadBuffer = 64 * 1024;

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

std::string endpoint_text(const tcp::endpoint& ep) {
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

bool expects_continue(const Request& head) {
  std::string value = head.header("expect");
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == "100-continue";
}

// A connection refused at accept gets this, best effort, before it is closed.
const std::string& refusal_text() {
  static const std::string text = [] {
    const std::string body = json_error("too many connections, retry later");
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  return text;
}

std::string listen_failure_reason(const error_code& ec) {
  if (ec == asio::error::address_in_use) return "address in use";
  if (ec == asio::error::access_denied) return "permission denied";
  if (ec == boost::system::errc::address_not_available)
    return "address not available on this machine";
  return ec.message();
}

// How a Reply, which may outlive the Server, gets back to the io thread: the Server clears `io`
// under the mutex before the io_context is destroyed, after which posting is a no-op.
struct Link {
  std::mutex mu;
  asio::io_context* io = nullptr;
  void post(std::function<void()> fn) {
    std::lock_guard lock(mu);
    if (io) asio::post(*io, std::move(fn));
  }
};

class Session;

// Everything the io thread owns. Server::Impl is this; sessions hold a reference to it.
struct State {
  explicit State(Server::Options o)
      : options(std::move(o)), counter(options.max_connections, options.max_per_address) {
    link->io = &io;
  }
  ~State();
  void accept();
  // Closes an accepted connection over a cap (io thread).
  void refuse(tcp::socket& socket);
  // A session's close: unregisters it and uncounts its connection.
  void forget(std::uint64_t id, const std::string& address);
  void shutdown();
  // Runs `fn`, reporting what it throws as "<what> threw: <reason>" (io thread).
  void guarded(const char* what, const std::function<void()>& fn);
  void report(const std::string& text);

  Server::Options options;
  Router router;
  asio::io_context io{1};  // concurrency hint: exactly one thread runs it
  // Keeps run() serving before listen() and between connections, until stop().
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
      asio::make_work_guard(io)};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::shared_ptr<Link> link = std::make_shared<Link>();
  std::atomic<bool> stopping{false};
  // io thread only. The registry owns open sessions, including those waiting for a Reply (which
  // holds only a weak_ptr), so every socket is closed before the io_context goes away.
  std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions;
  std::uint64_t next_session_id = 0;
  std::set<std::shared_ptr<asio::steady_timer>> timers;
  ConnectionCounter counter;  // io thread only
  // Where lingering sessions read what they discard. Shared: its contents are never looked at,
  // and only the io thread reads into it.
  std::vector<char> discard = std::vector<char>(64 * 1024);
  // Server::stats(), written on the io thread.
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::uint64_t> refused_connections{0}, body_bytes_read{0};
};

// One connection: read a request's head, decide it (route, body limit, admit), read its body
// only if admitted, run its handler, write the answer, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(State& state, std::uint64_t id, tcp::socket socket, const tcp::endpoint& peer)
      : state_(state),
        id_(id),
        stream_(std::move(socket)),
        address_(peer.address().to_string()),
        remote_(endpoint_text(peer)) {}
  void start() { read(); }
  // The handler's answer (io thread). Ignored unless this session is waiting for one.
  void answer(Response response) {
    if (closed_ || !awaiting_reply_) return;
    awaiting_reply_ = false;
    peer_closed_.reset();
    if (watching_) {
      // Only the readiness wait is pending now (no read, no write yet): cancel it so the next
      // read is the socket's only reader.
      watching_ = false;
      error_code ignored;
      stream_.socket().cancel(ignored);
    }
    send(std::move(response));
  }
  void close() {
    if (closed_) return;
    closed_ = true;
    auto keep = shared_from_this();  // erasing the registry entry may drop the last owner
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    state_.forget(id_, address_);
  }

 private:
  // Reads the next request's head only: nothing past the blank line is parsed yet.
  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    // No limit while the head is read (the route's is set in on_head, before any body byte):
    // Beast would otherwise answer a large Content-Length before we know the route.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(state_.options.read_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_head(ec); });
  }

  void on_head(error_code ec);
  void read_body();
  void on_body(error_code ec, std::size_t bytes);
  void on_read_error(error_code ec);
  // Answers from the head alone; the body, if one was announced, is never read.
  void refuse(Response response);
  void dispatch();
  void watch_peer();
  enum class Peek { nothing, data, closed };
  Peek peek();

  // Answers an unreadable request and closes: the rest of the stream cannot be trusted.
  void reject(int status, const std::string& message) {
    keep_alive_ = false;
    send(error_response(status, message));
  }

  void send(Response r) {
    if (r.status < 100 || r.status > 999) {
      r = error_response(500,
                         "internal error: handler answered status " + std::to_string(r.status));
    }
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(r.status));
    if (!r.content_type.empty()) response_.set(bhttp::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) response_.set(name, value);
    response_.body() = std::move(r.body);
    response_.keep_alive(keep_alive_);
    response_.prepare_payload();
    stream_.expires_after(state_.options.read_timeout);
    bhttp::async_write(stream_, response_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec || self->closed_) {
        self->close();
      } else if (self->keep_alive_) {
        self->read();
      } else {
        self->linger();
      }
    });
  }

  // Half-closes, then discards input until the client closes (or the limits hit).
  void linger() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(state_.options.read_timeout);
    buffer_.clear();
    drain();
  }
  void drain() {
    stream_.async_read_some(asio::buffer(state_.discard),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->closed_ || self->drained_ > kMaxDrainBytes) {
                                self->close();
                              } else {
                                self->drain();
                              }
                            });
  }

  State& state_;
  std::uint64_t id_;
  beast::tcp_stream stream_;
  std::string address_;  // the peer's IP, as counted by State::counter
  std::string remote_;   // the peer's IP and port, for Request::remote
  beast::flat_buffer buffer_{kMaxReadBuffer};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request head_;                                  // the request being read, without its body
  const Handler* handler_ = nullptr;              // its route's; points into state_.router
  std::uint64_t body_limit_ = 0;                  // its route's
  bhttp::response<bhttp::string_body> response_;  // must outlive async_write
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool awaiting_reply_ = false;
  bool closed_ = false;
  // The awaited request's Request::peer_closed; null unless awaiting_reply_.
  std::shared_ptr<std::atomic<bool>> peer_closed_;
  bool watching_ = false;  // a readiness wait for peer_closed_ is pending
  std::size_t drained_ = 0;
};

// Shared by every copy of one request's Reply: delivers at most one answer, and a 500 if all
// copies are dropped unanswered (so a forgetful handler cannot hang a connection forever).
struct ReplyState {
  ReplyState(std::shared_ptr<Link> l, std::weak_ptr<Session> s)
      : link(std::move(l)), session(std::move(s)) {}
  ~ReplyState() {
    deliver(error_response(500, "internal error: handler dropped its reply without answering"));
  }
  void deliver(Response response) {
    if (done.exchange(true)) return;
    link->post([s = session, r = std::move(response)]() mutable {
      if (auto alive = s.lock()) alive->answer(std::move(r));
    });
  }
  std::shared_ptr<Link> link;
  std::weak_ptr<Session> session;
  std::atomic<bool> done{false};
};

void Session::on_head(error_code ec) {
  if (closed_) return;
  if (ec) return on_read_error(ec);
  auto& msg = parser_->get();
  head_ = Request{};
  head_.method = std::string(view(msg.method_string()));
  Target target = split_target(view(msg.target()));
  head_.path = std::move(target.path);
  head_.query = std::move(target.query);
  for (const auto& field : msg) {
    std::string name(view(field.name_string()));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    head_.headers[std::move(name)] = std::string(view(field.value()));
  }
  head_.remote = remote_;
  version_ = msg.version();
  keep_alive_ = msg.keep_alive();

  Router::Match match = state_.router.match(head_.method, head_.path);
  if (match.handler) head_.params = std::move(match.params);
  HeadDecision decision;
  try {
    std::optional<std::uint64_t> length;
    if (auto l = parser_->content_length()) length = *l;
    decision = decide_head(match, head_, length, state_.options.max_body_bytes);
  } catch (const std::exception& e) {
    decision.answer = error_response(500, std::string("internal error: ") + e.what());
  } catch (...) {
    decision.answer = error_response(500, "internal error: unknown exception");
  }
  if (decision.answer) return refuse(std::move(*decision.answer));
  handler_ = match.handler;
  body_limit_ = decision.body_limit;
  parser_->body_limit(body_limit_);
  if (parser_->is_done()) return dispatch();  // no body announced
  if (version_ == 11 && expects_continue(head_)) {
    // The client waits for this before sending the body (RFC 9110 10.1.1); Beast does not
    // send it on its own.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](error_code wec, std::size_t) {
                        if (wec || self->closed_) return self->close();
                        self->read_body();
                      });
    return;
  }
  read_body();
}

void Session::read_body() {
  // Beast reads as much as the buffer's free capacity (at least 512 bytes): without room, a
  // 1 MiB log batch took 2,048 reads and as many trips through the reactor (~25 ms here).
  // Only a request with a body pays for the room.
  buffer_.reserve(kMaxReadBuffer);
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, std::size_t bytes) { self->on_body(ec, bytes); });
}

void Session::on_body(error_code ec, std::size_t bytes) {
  state_.body_bytes_read += bytes;
  if (closed_) return;
  if (ec) return on_read_error(ec);
  dispatch();
}

void Session::on_read_error(error_code ec) {
  bool malformed = ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                   ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  if (ec == bhttp::error::body_limit) {
    reject(413, body_too_large(body_limit_));
  } else if (ec == bhttp::error::buffer_overflow) {
    reject(400, "bad request: a chunk line or trailer is longer than " +
                    std::to_string(kMaxReadBuffer) + " bytes");
  } else if (malformed) {
    reject(400, "bad request: " + ec.message());
  } else {
    close();  // peer went away, read timeout, or the socket was closed by stop()
  }
}

void Session::refuse(Response response) {
  // A body still to come would be the next request's first bytes: close instead (after the
  // answer, draining a bounded amount so the client can read it). With no body announced
  // nothing is left unread and the connection stays as the client asked.
  if (!parser_->is_done()) keep_alive_ = false;
  send(std::move(response));
}

void Session::dispatch() {
  Request request = std::move(head_);
  request.body = std::move(parser_->get().body());
  awaiting_reply_ = true;
  peer_closed_ = std::make_shared<std::atomic<bool>>(false);
  request.peer_closed = peer_closed_;
  stream_.expires_never();  // a long-poll may wait far longer than read_timeout
  auto reply_state = std::make_shared<ReplyState>(state_.link, weak_from_this());
  try {
    (*handler_)(request, [reply_state](Response r) { reply_state->deliver(std::move(r)); });
  } catch (const std::exception& e) {
    reply_state->deliver(error_response(500, std::string("internal error: ") + e.what()));
  } catch (...) {
    reply_state->deliver(error_response(500, "internal error: unknown exception"));
  }
  // Posted, so an answer the handler gave at once (posted before this) goes first and needs no
  // watch.
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->watch_peer(); });
}

// Learns, while the handler has yet to reply, that the client closed the connection. Why a
// readiness wait and a peek rather than a read: bytes a pipelining client already sent must
// stay unread for the next request's parser. (Asio's wait completes at once if the socket is
// already readable, so a close before the wait began is not missed.)
void Session::watch_peer() {
  if (closed_ || !awaiting_reply_ || watching_) return;
  if (buffer_.size() > 0) return;  // the client is pipelining: it is there
  watching_ = true;
  stream_.socket().async_wait(
      tcp::socket::wait_read, [self = shared_from_this(), flag = peer_closed_](error_code ec) {
        // Answered, closed, or a later request's watch has taken over: not ours to act on.
        if (self->closed_ || self->peer_closed_ != flag) return;
        self->watching_ = false;
        if (ec == asio::error::operation_aborted) return;
        switch (ec ? Peek::closed : self->peek()) {
          case Peek::nothing:  // woken without input: keep watching
            self->watch_peer();
            break;
          case Peek::data:  // pipelined bytes: left for the next read; stop watching
            break;
          case Peek::closed:
            flag->store(true);
            self->close();
            break;
        }
      });
}

// Why ::recv with MSG_PEEK | MSG_DONTWAIT: looks at the next byte without consuming it and
// without blocking the io thread, whatever blocking mode Asio keeps the socket in.
Session::Peek Session::peek() {
  char byte = 0;
  for (;;) {  // repeats only on EINTR
    ssize_t n = ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return Peek::data;
    if (n == 0) return Peek::closed;  // end of stream: the client closed (or half-closed)
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Peek::nothing;
    return Peek::closed;  // ECONNRESET and the like
  }
}

void State::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopping || !acceptor.is_open()) return;
    if (ec) {
      // e.g. EMFILE: retrying at once would spin; try again shortly.
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](error_code wait_ec) {
        if (!wait_ec && !stopping) accept();
      });
      return;
    }
    error_code peer_ec;
    const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    if (peer_ec) {  // already reset by the peer: nothing to serve
      socket.close(peer_ec);
    } else if (!counter.open(peer.address().to_string())) {
      refuse(socket);
    }
    if (!socket.is_open()) {
      accept();
      return;
    }
    ++open_connections;
    // Why no_delay: a response is one write; Nagle would hold its tail for the client's
    // delayed ACK (~40 ms) on every keep-alive request.
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto id = next_session_id++;
    auto session = std::make_shared<Session>(*this, id, std::move(socket), peer);
    sessions.emplace(id, session);
    session->start();
    accept();
  });
}

void State::refuse(tcp::socket& socket) {
  ++refused_connections;
  // Why one non-blocking ::send: a fresh socket's send buffer is empty, so the short answer
  // goes at once or not at all; the io thread never waits on a client it is turning away.
  const std::string& text = refusal_text();
  [[maybe_unused]] ssize_t sent =
      ::send(socket.native_handle(), text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void State::forget(std::uint64_t id, const std::string& address) {
  sessions.erase(id);
  counter.close(address);
  --open_connections;
}

void State::shutdown() {
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  for (const auto& timer : timers) timer->cancel();
  timers.clear();
  auto open = std::move(sessions);
  sessions.clear();
  for (auto& [id, session] : open) session->close();
  work.reset();
  io.stop();
}

void State::guarded(const char* what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    report(std::string(what) + " threw: " + e.what());
  } catch (...) {
    report(std::string(what) + " threw a non-standard exception");
  }
}

void State::report(const std::string& text) {
  if (options.on_error) {
    try {
      options.on_error(text);
      return;
    } catch (...) {
      // Fall through: the text must not be lost with the reporter.
    }
  }
  std::fprintf(stderr, "stackrun http: %s\n", text.c_str());
}

State::~State() {
  {
    std::lock_guard lock(link->mu);
    link->io = nullptr;
  }
  // run() has returned, so nothing else touches io-thread state: close sockets while the
  // io_context they belong to still exists.
  shutdown();
}

}  // namespace

struct Server::Impl : State {
  using State::State;
};

Server::Server() : Server(Options{}) {}
Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;

void Server::route(const std::string& method, const std::string& pattern, Handler handler,
                   RouteOptions options) {
  impl_->router.add(method, pattern, std::move(handler), std::move(options));
}

Result<int> Server::listen(const std::string& host, int port) {
  State& s = *impl_;
  bool v6 = host.find(':') != std::string::npos;
  std::string where = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  auto fail = [&](const std::string& why) {
    return Result<int>::fail("cannot listen on " + where + ": " + why);
  };
  if (port < 0 || port > 65535) return fail("port out of range 0-65535");
  if (s.acceptor.is_open()) return fail("this server is already listening");
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return fail("not an IP address (use e.g. 127.0.0.1 or ::1)");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  s.acceptor.open(endpoint.protocol(), ec);
  // Why SO_REUSEADDR: a restarted server can rebind while its old connections sit in
  // TIME_WAIT; Linux still refuses a port that another socket is listening on.
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  tcp::endpoint bound;
  if (!ec) bound = s.acceptor.local_endpoint(ec);
  if (ec) {
    error_code ignored;
    s.acceptor.close(ignored);
    return fail(listen_failure_reason(ec));
  }
  asio::post(s.io, [&s] { s.accept(); });  // the acceptor's async work belongs to the io thread
  return static_cast<int>(bound.port());
}

void Server::post(std::function<void()> fn) {
  State& s = *impl_;
  asio::post(s.io, [&s, fn = std::move(fn)] { s.guarded("posted function", fn); });
}

void Server::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (impl_->stopping) return;
  auto deadline = std::chrono::steady_clock::now() + delay;  // from the call, not the post
  State& s = *impl_;
  asio::post(s.io, [&s, deadline, fn = std::move(fn)]() mutable {
    if (s.stopping) return;
    auto timer = std::make_shared<asio::steady_timer>(s.io, deadline);
    s.timers.insert(timer);
    timer->async_wait([&s, timer, fn = std::move(fn)](error_code ec) {
      s.timers.erase(timer);
      if (!ec && !s.stopping) s.guarded("timer callback", fn);
    });
  });
}

void Server::run() {
  State& s = *impl_;
  // Why resume: Asio lets run() continue after a handler threw, and one failed callback must
  // not take every connection and timer down with it. post() and after() already catch; this
  // is the net for the rest.
  for (;;) {
    try {
      s.io.run();
      return;
    } catch (const std::exception& e) {
      s.report(std::string("io thread work threw: ") + e.what());
    } catch (...) {
      s.report("io thread work threw a non-standard exception");
    }
  }
}

Server::Stats Server::stats() const {
  const State& s = *impl_;
  Stats out;
  out.open_connections = s.open_connections.load();
  out.refused_connections = s.refused_connections.load();
  out.body_bytes_read = s.body_bytes_read.load();
  return out;
}

void Server::stop() {
  impl_->stopping = true;
  State& s = *impl_;
  asio::post(s.io, [&s] { s.shutdown(); });
}

}  // namespace stackrun::http
