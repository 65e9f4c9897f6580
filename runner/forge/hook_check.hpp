#pragma once
// A whole delivery checked as the server's intake will: verify the signature, then parse the
// event. `stackrun hook check` prints encode(check_hook(...)).
#include <string>
#include <string_view>
#include <vector>

#include "runner/forge/push_event.hpp"
#include "runner/forge/signature.hpp"

namespace stackrun::forge {

struct HookCheck {
  bool accepted = false;
  std::string reason;  // when rejected: the signature's reason, or the parse error
  PushEvent event;     // when accepted
  bool operator==(const HookCheck&) const = default;
};

// verify_delivery, then parse_push_event over the signed payload. Nothing of an unverified
// body is parsed; a verified body that does not parse is rejected with the parse error.
HookCheck check_hook(ForgeKind kind, const Headers& headers, std::string_view body,
                     const std::vector<std::string>& secrets);

// One compact JSON object, no trailing newline (json.cpp). Keys in this order:
//   accepted: {"verdict":"accept","kind","ref","branch","before","after","clone_url",
//              "sender":{"id","login"},"delivery","message"}   (sender null for kind other
//              from a non-push event, whose push fields are all "")
//   rejected: {"verdict":"reject","reason":"..."}   (an unverified body is never parsed)
std::string encode(const HookCheck& c);

}  // namespace stackrun::forge
