#pragma once
// The pure half of the server: route table, request-target parsing and JSON error bodies.
// No Boost, no sockets; server.cpp feeds it strings and writes what it returns.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runner/http/http.hpp"

namespace stackrun::http {

// Decodes %XX escapes; '+' becomes ' ' when `plus_is_space` (query strings). A malformed
// escape ("%4", "%zz") is kept as written rather than rejected.
std::string percent_decode(std::string_view text, bool plus_is_space);

struct Target {
  std::string path;                          // as sent, without "?query"
  std::map<std::string, std::string> query;  // decoded; "?a" gives {"a", ""}; last repeat wins
};
// Splits an origin-form request target ("/runs/7?after=10") into path and decoded query.
Target split_target(std::string_view target);

// {"error":"<message>"} with the message JSON-escaped.
std::string json_error(std::string_view message);
// A JSON error response: status + json_error(message).
Response error_response(int status, std::string_view message);

// Method + pattern -> handler. Patterns are '/'-separated; a segment "{name}" captures one
// non-empty, percent-decoded path segment. When several patterns match, the one with a literal
// segment where the other captures (leftmost difference) wins, e.g. /runs/latest over /runs/{id}.
class Router {
 public:
  // Throws std::invalid_argument for a malformed pattern or a duplicate method + pattern:
  // routes are fixed at start-up, so that is a programming error.
  void add(const std::string& method, const std::string& pattern, Handler handler,
           RouteOptions options = {});

  struct Match {
    const Handler* handler = nullptr;           // null: answer `error` instead (404 or 405)
    const RouteOptions* options = nullptr;      // set with handler
    std::map<std::string, std::string> params;  // captures, when handler is set
    Response error;
  };
  // `path` as in Target::path (still percent-encoded). The returned handler and options point
  // into this router, which must outlive their use.
  Match match(const std::string& method, const std::string& path) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the capture name
    bool capture = false;
  };
  struct Route {
    std::string method, pattern;
    std::vector<Segment> segments;
    Handler handler;
    RouteOptions options;
  };
  std::vector<Route> routes_;
};

}  // namespace stackrun::http
