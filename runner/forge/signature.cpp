#include "runner/forge/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "runner/forge/form.hpp"

namespace stackrun::forge {
namespace {

using Mac = std::array<unsigned char, 32>;

// nullopt only if OpenSSL fails (out of memory): then nothing verifies.
std::optional<Mac> hmac_sha256(std::string_view secret, std::string_view data) {
  Mac out{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len) ||
      len != out.size())
    return std::nullopt;
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Mac> decode_hex(std::string_view hex) {
  Mac out{};
  if (hex.size() != out.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

Verification reject(Rejection r, std::string reason) {
  return Verification{r, std::move(reason), {}};
}

std::string alternatives(const std::vector<std::string>& names) {
  std::string s = display_name(names.front());
  if (names.size() == 1) return s;
  s += " (or ";
  for (std::size_t i = 1; i < names.size(); ++i) s += (i > 1 ? ", " : "") + display_name(names[i]);
  return s + ")";
}

}  // namespace

std::string_view to_string(Rejection r) {
  switch (r) {
    case Rejection::too_large:
      return "too_large";
    case Rejection::no_secret:
      return "no_secret";
    case Rejection::missing_signature:
      return "missing_signature";
    case Rejection::empty_signature:
      return "empty_signature";
    case Rejection::malformed_signature:
      return "malformed_signature";
    case Rejection::bad_form:
      return "bad_form";
    case Rejection::mismatch:
      return "mismatch";
  }
  return "?";
}

Verification verify_delivery(ForgeKind kind, const Headers& headers, std::string_view body,
                             const std::vector<std::string>& secrets) {
  if (body.size() > kMaxBodyBytes)
    return reject(Rejection::too_large, "body is " + std::to_string(body.size()) +
                                            " bytes, over the cap of " +
                                            std::to_string(kMaxBodyBytes) + " bytes");
  bool any_secret = false;
  for (const auto& s : secrets) any_secret = any_secret || !s.empty();
  if (!any_secret)
    return reject(Rejection::no_secret,
                  "no webhook secret configured for this source: set one here and on the forge");
  const auto& names = signature_headers(kind);
  const auto found = first_header(headers, names);
  if (!found)
    return reject(Rejection::missing_signature,
                  "missing signature: no " + alternatives(names) +
                      " header; set the webhook's secret on the forge");
  const std::string header = display_name(found->name);
  std::string_view hex = found->value;
  const bool prefixed = found->name == "x-hub-signature-256";
  if (prefixed && !hex.empty() && !hex.starts_with("sha256="))
    return reject(Rejection::malformed_signature,
                  "malformed signature in " + header + ": expected sha256=<64 hex digits>");
  if (prefixed) hex.remove_prefix(hex.empty() ? 0 : 7);
  if (hex.empty())
    return reject(Rejection::empty_signature,
                  "empty signature in " + header + ": the forge has no secret set for this hook");
  const auto sent = decode_hex(hex);
  if (!sent)
    return reject(Rejection::malformed_signature,
                  "malformed signature in " + header + ": expected " +
                      (prefixed ? "sha256=<64 hex digits>" : "64 hex digits"));
  std::string payload(body);
  const auto ct = headers.find("content-type");
  const bool form = ct != headers.end() && is_form_content_type(ct->second);
  if (form) {
    auto decoded = form_payload(body);
    if (!decoded) return reject(Rejection::bad_form, decoded.error());
    payload = std::move(*decoded);
  }
  // Gitea and Forgejo sign a form delivery's JSON; GitHub signs the bytes it sent.
  const std::string_view signed_bytes = form && kind == ForgeKind::github ? body : payload;
  bool match = false;
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    const auto want = hmac_sha256(s, signed_bytes);
    // Every secret is tried (no early exit), so timing does not tell which one matched.
    match = (want && CRYPTO_memcmp(want->data(), sent->data(), want->size()) == 0) || match;
  }
  if (!match)
    return reject(Rejection::mismatch, "signature mismatch in " + header +
                                           ": the body is not signed with any configured secret");
  return Verification{std::nullopt, {}, std::move(payload)};
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view data) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  const auto mac = hmac_sha256(secret, data);
  if (!mac) return out;
  for (unsigned char b : *mac) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

}  // namespace stackrun::forge
