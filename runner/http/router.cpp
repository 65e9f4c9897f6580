#include "runner/http/router.hpp"

#include <set>
#include <stdexcept>

namespace stackrun::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "/a/b" -> {"a", "b"}; "/" -> {""}. Empty segments ("/a//b") are kept, so matching is exact.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

Target split_target(std::string_view target) {
  Target out;
  auto q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    out.query[std::move(key)] = std::move(value);
  }
  return out;
}

std::string json_error(std::string_view message) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "{\"error\":\"";
  for (char c : message) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;  // UTF-8 passes through unchanged
        }
    }
  }
  out += "\"}";
  return out;
}

Response error_response(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = json_error(message);
  return r;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler,
                 RouteOptions options) {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("route " + method + " " + pattern + ": " + why);
  };
  if (method.empty()) throw bad("empty method");
  if (pattern.empty() || pattern[0] != '/') throw bad("pattern must start with '/'");
  if (!handler) throw bad("empty handler");
  Route route{method, pattern, {}, std::move(handler), std::move(options)};
  std::set<std::string> names;
  for (std::string_view seg : split_path(pattern)) {
    bool open = seg.find('{') != std::string_view::npos;
    bool close = seg.find('}') != std::string_view::npos;
    if (!open && !close) {
      route.segments.push_back({std::string(seg), false});
      continue;
    }
    if (seg.size() < 3 || seg.front() != '{' || seg.back() != '}' ||
        seg.substr(1, seg.size() - 2).find_first_of("{}") != std::string_view::npos) {
      throw bad("a capture must be a whole segment like {id}, got '" + std::string(seg) + "'");
    }
    std::string name(seg.substr(1, seg.size() - 2));
    if (!names.insert(name).second) throw bad("capture {" + name + "} appears twice");
    route.segments.push_back({std::move(name), true});
  }
  for (const Route& r : routes_) {
    if (r.method == method && r.pattern == pattern) throw bad("registered twice");
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match out;
  if (path.empty() || path[0] != '/') {
    out.error = error_response(404, "no route for " + method + " " + path);
    return out;
  }
  auto segments = split_path(path);
  std::set<std::string> allowed;
  const Route* best = nullptr;
  std::vector<bool> best_shape;  // true = literal; lexicographically larger = more specific
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    std::vector<bool> shape;
    bool matches = true;
    for (std::size_t i = 0; matches && i < segments.size(); ++i) {
      const Segment& s = r.segments[i];
      matches = s.capture ? !segments[i].empty() : s.text == segments[i];
      shape.push_back(!s.capture);
    }
    if (!matches) continue;
    allowed.insert(r.method);
    if (r.method == method && (!best || best_shape < shape)) {
      best = &r;
      best_shape = std::move(shape);
    }
  }
  if (best) {
    out.handler = &best->handler;
    out.options = &best->options;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const Segment& s = best->segments[i];
      if (s.capture) out.params[s.text] = percent_decode(segments[i], false);
    }
    return out;
  }
  if (allowed.empty()) {
    out.error = error_response(404, "no route for " + method + " " + path);
    return out;
  }
  std::string list;
  for (const std::string& m : allowed) list += (list.empty() ? "" : ", ") + m;
  out.error = error_response(
      405, "method " + method + " not allowed for " + path + " (allowed: " + list + ")");
  out.error.headers.emplace_back("Allow", list);
  return out;
}

}  // namespace stackrun::http
