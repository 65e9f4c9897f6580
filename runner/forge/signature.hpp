#pragma once
// Is a webhook delivery signed by its forge? Pure apart from OpenSSL's HMAC: the caller hands
// over the request (headers, raw body) and the source's secrets; nothing is read or logged.
//
// What is signed: HMAC-SHA256 with the webhook secret over the raw body, sent as hex in the
// kind's signature header (kind.hpp lists which headers each kind is read from). One exception:
// Gitea and Forgejo form deliveries (Content-Type application/x-www-form-urlencoded, body
// `payload=<urlencoded JSON>`) sign the decoded JSON, not the form body; GitHub signs the form
// body as sent.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/forge/kind.hpp"

namespace stackrun::forge {

// Largest body verified, in bytes. Push payloads are a few KiB (GitHub lists at most 20
// commits; its own 25 MB cap is for every event kind); 1 MiB leaves room for pushes with long
// file lists and keeps a forged body from costing more than that to hash.
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

// Why a delivery was refused; the server maps too_large to 413 and the rest to 401/403.
enum class Rejection {
  too_large,            // body over kMaxBodyBytes
  no_secret,            // no non-empty secret configured: fail closed
  missing_signature,    // none of the kind's signature headers present
  empty_signature,      // header present with no hex (a forge with no secret set sends that)
  malformed_signature,  // not 64 hex digits (or GitHub's sha256= prefix missing)
  bad_form,             // form delivery without one decodable payload field
  mismatch,             // well-formed, but no configured secret gives it
};
std::string_view to_string(Rejection r);  // "too_large", ..., "mismatch"

// Either accepted, with the signed JSON to parse next, or rejected with a reason.
struct Verification {
  std::optional<Rejection> rejected;  // nullopt: accepted
  std::string reason;                 // when rejected: interface text naming the header
  std::string payload;  // when accepted: the JSON the signature covers (body, or form payload)
  bool accepted() const { return !rejected.has_value(); }
};

// Checks, in this order: body size, at least one non-empty secret, the signature header (the
// first of signature_headers(kind) present), its form, then the HMAC against every non-empty
// secret in constant time (CRYPTO_memcmp; rotation: any one secret may match). Hex digits may be
// upper or lower case: both spell the same MAC. Empty secrets never verify anything.
Verification verify_delivery(ForgeKind kind, const Headers& headers, std::string_view body,
                             const std::vector<std::string>& secrets);

// Lower-case hex HMAC-SHA256 of `data` keyed with `secret` (what a forge sends; tests and
// `hook send` sign with it); empty only if OpenSSL fails.
std::string hmac_sha256_hex(std::string_view secret, std::string_view data);

}  // namespace stackrun::forge
