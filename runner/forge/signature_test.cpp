// verify_delivery as a table: each forge's headers, rotation, every way a signature is wrong,
// the body cap, and Gitea/Forgejo form deliveries signed over the decoded payload.
#include "runner/forge/signature.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "runner/forge/test_data.hpp"

namespace stackrun::forge {
namespace {

using testdata::read_data;

const std::string kSecret = "s3cret-for-tests";
const std::string kOther = "another-secret";
const std::string kBody = read_data("github-HookPush.json");
const std::string kSig = hmac_sha256_hex(kSecret, kBody);

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// "payload=" + the JSON with every byte outside [A-Za-z0-9._~-] %-escaped, spaces as '+'.
std::string form_body(const std::string& json) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = "payload=";
  for (unsigned char c : json) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

struct Row {
  const char* name;
  ForgeKind kind;
  Headers headers;
  std::string body;
  std::vector<std::string> secrets;
  std::optional<Rejection> rejected;  // nullopt: accepted
  std::string reason;                 // exact, when rejected
};

std::vector<Row> rows() {
  const auto gh = ForgeKind::github;
  const auto gt = ForgeKind::gitea;
  const auto fj = ForgeKind::forgejo;
  const std::vector<std::string> one{kSecret};
  const std::string hub = "sha256=" + kSig;
  std::string changed = kBody;
  changed[10] = static_cast<char>(changed[10] ^ 1);
  const std::string mismatch_hub =
      "signature mismatch in X-Hub-Signature-256: the body is not signed with any configured "
      "secret";
  return {
      {"github accepts", gh, {{"x-hub-signature-256", hub}}, kBody, one, {}, ""},
      {"gitea accepts its own header", gt, {{"x-gitea-signature", kSig}}, kBody, one, {}, ""},
      {"forgejo accepts its own header", fj, {{"x-forgejo-signature", kSig}}, kBody, one, {}, ""},
      {"forgejo falls back to X-Gitea-Signature",
       fj,
       {{"x-gitea-signature", kSig}},
       kBody,
       one,
       {},
       ""},
      {"gitea falls back to X-Hub-Signature-256",
       gt,
       {{"x-hub-signature-256", hub}},
       kBody,
       one,
       {},
       ""},
      {"second secret of a rotation pair",
       gh,
       {{"x-hub-signature-256", hub}},
       kBody,
       {kOther, kSecret},
       {},
       ""},
      {"empty secret beside a real one is skipped",
       gt,
       {{"x-gitea-signature", kSig}},
       kBody,
       {"", kSecret},
       {},
       ""},
      {"upper-case hex spells the same MAC",
       gt,
       {{"x-gitea-signature", upper(kSig)}},
       kBody,
       one,
       {},
       ""},
      {"one-byte body change",
       gh,
       {{"x-hub-signature-256", hub}},
       changed,
       one,
       Rejection::mismatch,
       mismatch_hub},
      {"wrong secret",
       gt,
       {{"x-gitea-signature", kSig}},
       kBody,
       {kOther},
       Rejection::mismatch,
       "signature mismatch in X-Gitea-Signature: the body is not signed with any configured "
       "secret"},
      {"no secret configured",
       gh,
       {{"x-hub-signature-256", hub}},
       kBody,
       {},
       Rejection::no_secret,
       "no webhook secret configured for this source: set one here and on the forge"},
      {"only empty secrets",
       gh,
       {{"x-hub-signature-256", "sha256=" + hmac_sha256_hex("", kBody)}},
       kBody,
       {""},
       Rejection::no_secret,
       "no webhook secret configured for this source: set one here and on the forge"},
      {"missing header",
       fj,
       {{"x-github-event", "push"}},
       kBody,
       one,
       Rejection::missing_signature,
       "missing signature: no X-Forgejo-Signature (or X-Gitea-Signature, X-Hub-Signature-256) "
       "header; set the webhook's secret on the forge"},
      {"github ignores Gitea's header",
       gh,
       {{"x-gitea-signature", kSig}},
       kBody,
       one,
       Rejection::missing_signature,
       "missing signature: no X-Hub-Signature-256 header; set the webhook's secret on the forge"},
      {"empty header",
       gt,
       {{"x-gitea-signature", ""}},
       kBody,
       one,
       Rejection::empty_signature,
       "empty signature in X-Gitea-Signature: the forge has no secret set for this hook"},
      {"sha256= with nothing after",
       gh,
       {{"x-hub-signature-256", "sha256="}},
       kBody,
       one,
       Rejection::empty_signature,
       "empty signature in X-Hub-Signature-256: the forge has no secret set for this hook"},
      {"empty own header wins over a valid fallback",
       fj,
       {{"x-forgejo-signature", ""}, {"x-gitea-signature", kSig}},
       kBody,
       one,
       Rejection::empty_signature,
       "empty signature in X-Forgejo-Signature: the forge has no secret set for this hook"},
      {"github without sha256= prefix",
       gh,
       {{"x-hub-signature-256", kSig}},
       kBody,
       one,
       Rejection::malformed_signature,
       "malformed signature in X-Hub-Signature-256: expected sha256=<64 hex digits>"},
      {"sha1= prefix",
       gh,
       {{"x-hub-signature-256", "sha1=" + kSig}},
       kBody,
       one,
       Rejection::malformed_signature,
       "malformed signature in X-Hub-Signature-256: expected sha256=<64 hex digits>"},
      {"a seven-character prefix that is not sha256=",
       gh,
       {{"x-hub-signature-256", "sha512=" + kSig}},
       kBody,
       one,
       Rejection::malformed_signature,
       "malformed signature in X-Hub-Signature-256: expected sha256=<64 hex digits>"},
      {"non-hex digit",
       gt,
       {{"x-gitea-signature", kSig.substr(0, 63) + "g"}},
       kBody,
       one,
       Rejection::malformed_signature,
       "malformed signature in X-Gitea-Signature: expected 64 hex digits"},
      {"hex too short",
       fj,
       {{"x-forgejo-signature", kSig.substr(2)}},
       kBody,
       one,
       Rejection::malformed_signature,
       "malformed signature in X-Forgejo-Signature: expected 64 hex digits"},
      {"hex too long",
       gh,
       {{"x-hub-signature-256", hub + "00"}},
       kBody,
       one,
       Rejection::malformed_signature,
       "malformed signature in X-Hub-Signature-256: expected sha256=<64 hex digits>"},
      {"body over the cap",
       gh,
       {{"x-hub-signature-256", hub}},
       std::string(kMaxBodyBytes + 1, ' '),
       one,
       Rejection::too_large,
       "body is 1048577 bytes, over the cap of 1048576 bytes"},
  };
}

TEST(VerifyDelivery, Table) {
  for (const Row& r : rows()) {
    SCOPED_TRACE(r.name);
    const Verification v = verify_delivery(r.kind, r.headers, r.body, r.secrets);
    EXPECT_EQ(v.rejected, r.rejected) << v.reason;
    EXPECT_EQ(v.reason, r.reason);
    EXPECT_EQ(v.payload, r.rejected ? "" : r.body);
  }
}

TEST(VerifyDelivery, BodyAtTheCapIsHashed) {
  const std::string body(kMaxBodyBytes, 'x');
  const Headers h{{"x-hub-signature-256", "sha256=" + hmac_sha256_hex(kSecret, body)}};
  EXPECT_TRUE(verify_delivery(ForgeKind::github, h, body, {kSecret}).accepted());
}

TEST(VerifyDelivery, KnownHmacVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(VerifyDelivery, GiteaFormDeliverySignsThePayload) {
  const std::string json = read_data("gitea-HookPush.json");
  const std::string form = form_body(json);
  for (ForgeKind k : {ForgeKind::gitea, ForgeKind::forgejo}) {
    SCOPED_TRACE(std::string(to_string(k)));
    const std::string header = k == ForgeKind::gitea ? "x-gitea-signature" : "x-forgejo-signature";
    Headers h{{"content-type", "application/x-www-form-urlencoded"},
              {header, hmac_sha256_hex(kSecret, json)}};
    const Verification v = verify_delivery(k, h, form, {kSecret});
    ASSERT_TRUE(v.accepted()) << v.reason;
    EXPECT_EQ(v.payload, json);
    // A signature over the form body as sent is not what Gitea and Forgejo send.
    h[header] = hmac_sha256_hex(kSecret, form);
    EXPECT_EQ(verify_delivery(k, h, form, {kSecret}).rejected, Rejection::mismatch);
    // Without the form content type the body is taken as the signed JSON itself.
    h = {{header, hmac_sha256_hex(kSecret, json)}};
    EXPECT_EQ(verify_delivery(k, h, form, {kSecret}).rejected, Rejection::mismatch);
  }
}

TEST(VerifyDelivery, GithubFormDeliverySignsTheFormBody) {
  const std::string form = form_body(kBody);
  Headers h{{"content-type", "Application/X-WWW-Form-Urlencoded; charset=utf-8"},
            {"x-hub-signature-256", "sha256=" + hmac_sha256_hex(kSecret, form)}};
  const Verification v = verify_delivery(ForgeKind::github, h, form, {kSecret});
  ASSERT_TRUE(v.accepted()) << v.reason;
  EXPECT_EQ(v.payload, kBody);
  h["x-hub-signature-256"] = "sha256=" + hmac_sha256_hex(kSecret, kBody);
  EXPECT_EQ(verify_delivery(ForgeKind::github, h, form, {kSecret}).rejected, Rejection::mismatch);
}

TEST(VerifyDelivery, BadFormsAreRejectedWithTheirReason) {
  struct FormRow {
    std::string body, reason;
  };
  const std::vector<FormRow> table{
      {"other=1", "form delivery: no \"payload\" field"},
      {"", "form delivery: no \"payload\" field"},
      {"payload=%7B%7D&payload=%7B%7D", "form delivery: field \"payload\" appears more than once"},
      {"payload=%7", "form delivery: field \"payload\" has a malformed %-escape"},
      {"payload=%zz", "form delivery: field \"payload\" has a malformed %-escape"},
  };
  for (const auto& r : table) {
    SCOPED_TRACE(r.body);
    const Headers h{{"content-type", "application/x-www-form-urlencoded"},
                    {"x-gitea-signature", kSig}};
    const Verification v = verify_delivery(ForgeKind::gitea, h, r.body, {kSecret});
    EXPECT_EQ(v.rejected, Rejection::bad_form);
    EXPECT_EQ(v.reason, r.reason);
  }
}

TEST(ForgeKind, RoundTripsAndRefusesOtherText) {
  for (ForgeKind k : {ForgeKind::github, ForgeKind::gitea, ForgeKind::forgejo})
    EXPECT_EQ(parse_forge_kind(to_string(k)), k);
  EXPECT_EQ(parse_forge_kind("GitHub"), std::nullopt);
  EXPECT_EQ(parse_forge_kind("gogs"), std::nullopt);
  EXPECT_EQ(parse_forge_kind(""), std::nullopt);
}

}  // namespace
}  // namespace stackrun::forge
