#pragma once
// The door before the body, its pure half: which connections a server takes and which requests
// it answers from their request line and headers alone. No Boost, no sockets: server.cpp asks
// and acts on the answer.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "runner/http/http.hpp"
#include "runner/http/router.hpp"

namespace stackrun::http {

// Open connections, in total and per peer address (an IP literal; loopback is an address like
// any other). Not thread-safe: the io thread owns it.
class ConnectionCounter {
 public:
  ConnectionCounter(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}
  // Counts one more connection from `address` and returns true, or returns false and counts
  // nothing when either cap is already reached.
  bool open(const std::string& address);
  // Uncounts a connection open() counted; an address with none is left alone.
  void close(const std::string& address);
  std::size_t total() const { return total_; }
  std::size_t from(const std::string& address) const;

 private:
  std::size_t max_total_, max_per_address_;
  std::size_t total_ = 0;
  std::map<std::string, std::size_t> per_address_;  // only addresses with a connection
};

struct HeadDecision {
  // Set: send this and do not read the body (404/405 from the router, 413 over the limit, or
  // what the route's admit answered). Unset: read the body, then run the handler.
  std::optional<Response> answer;
  std::uint64_t body_limit = 0;  // the route's limit, for reading a chunked body
};

// Decides a request from its head: the router's 404/405 first, then a Content-Length over the
// route's limit (413 "request body larger than N bytes"; `default_limit` when the route sets
// none), then the route's admit. Lets what admit throws escape (the caller answers 500).
HeadDecision decide_head(const Router::Match& match, const Request& head,
                         std::optional<std::uint64_t> content_length, std::size_t default_limit);

// The 413 text for a body over `limit` bytes.
std::string body_too_large(std::uint64_t limit);

}  // namespace stackrun::http
