#include "runner/forge/hook_check.hpp"

namespace stackrun::forge {

HookCheck check_hook(ForgeKind kind, const Headers& headers, std::string_view body,
                     const std::vector<std::string>& secrets) {
  HookCheck c;
  const Verification v = verify_delivery(kind, headers, body, secrets);
  if (!v.accepted()) {
    c.reason = v.reason;
    return c;
  }
  auto event = parse_push_event(kind, headers, v.payload);
  if (!event) {
    c.reason = event.error();
    return c;
  }
  c.accepted = true;
  c.event = std::move(*event);
  return c;
}

}  // namespace stackrun::forge
