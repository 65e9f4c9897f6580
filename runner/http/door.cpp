#include "runner/http/door.hpp"

namespace stackrun::http {

bool ConnectionCounter::open(const std::string& address) {
  if (total_ >= max_total_ || from(address) >= max_per_address_) return false;
  ++per_address_[address];
  ++total_;
  return true;
}

void ConnectionCounter::close(const std::string& address) {
  auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  --total_;
  if (--it->second == 0) per_address_.erase(it);
}

std::size_t ConnectionCounter::from(const std::string& address) const {
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

std::string body_too_large(std::uint64_t limit) {
  return "request body larger than " + std::to_string(limit) + " bytes";
}

HeadDecision decide_head(const Router::Match& match, const Request& head,
                         std::optional<std::uint64_t> content_length, std::size_t default_limit) {
  HeadDecision out;
  if (!match.handler) {
    out.answer = match.error;
    return out;
  }
  const RouteOptions& options = *match.options;
  out.body_limit = options.max_body_bytes.value_or(default_limit);
  if (content_length && *content_length > out.body_limit) {
    out.answer = error_response(413, body_too_large(out.body_limit));
    return out;
  }
  if (options.admit) out.answer = options.admit(head);
  return out;
}

}  // namespace stackrun::http
