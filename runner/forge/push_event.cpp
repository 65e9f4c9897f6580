#include "runner/forge/push_event.hpp"

namespace stackrun::forge {

std::string_view to_string(PushKind k) {
  switch (k) {
    case PushKind::push:
      return "push";
    case PushKind::tag:
      return "tag";
    case PushKind::deletion:
      return "delete";
    case PushKind::other:
      return "other";
  }
  return "?";
}

PushKind classify_push(std::string_view ref, std::string_view after) {
  if (!after.empty() && after.find_first_not_of('0') == std::string_view::npos)
    return PushKind::deletion;
  if (ref.starts_with("refs/tags/")) return PushKind::tag;
  if (ref.starts_with("refs/heads/") && ref.size() > 11) return PushKind::push;
  return PushKind::other;
}

Result<PushEvent> parse_push_event(ForgeKind kind, const Headers& headers,
                                   std::string_view payload) {
  const auto event = first_header(headers, event_headers(kind));
  if (!event || event->value.empty())
    return Error{"missing header " + display_name(event_headers(kind).front()) +
                 ": cannot tell which event was delivered"};
  const auto delivery = first_header(headers, delivery_headers(kind));
  if (!delivery || delivery->value.empty())
    return Error{"missing header " + display_name(delivery_headers(kind).front()) +
                 ": every delivery needs its id"};
  PushEvent e;
  if (event->value == "push") {
    auto decoded = decode_push_payload(payload);
    if (!decoded) return decoded;
    e = std::move(*decoded);
    e.kind = classify_push(e.ref, e.after);
    if (e.ref.starts_with("refs/heads/")) e.branch = e.ref.substr(11);
  }
  e.event = event->value;
  e.delivery = delivery->value;
  return e;
}

bool is_commit_id(std::string_view s) {
  if (s.size() != 40 && s.size() != 64) return false;
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace stackrun::forge
