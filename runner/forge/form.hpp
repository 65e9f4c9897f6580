#pragma once
// Form-encoded webhook deliveries: `Content-Type: application/x-www-form-urlencoded` with the
// JSON in one `payload=` field (a choice Gitea, Forgejo and GitHub all offer).
#include <string>
#include <string_view>

#include "runner/core/result.hpp"

namespace stackrun::forge {

// True when `content_type`'s media type (before any ';', case-insensitive, spaces trimmed) is
// application/x-www-form-urlencoded.
bool is_form_content_type(std::string_view content_type);

// The decoded value of the body's one `payload` field ('+' is a space, %XX a byte). Fails,
// naming the problem, when the field is absent or repeated or has a bad %-escape.
Result<std::string> form_payload(std::string_view body);

}  // namespace stackrun::forge
