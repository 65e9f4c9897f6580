// check_hook (verify, then parse) and its one JSON report, compared as exact text.
#include "runner/forge/hook_check.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runner/forge/test_data.hpp"

namespace stackrun::forge {
namespace {

using testdata::read_data;

const std::string kSecret = "s3cret-for-tests";

TEST(CheckHook, AcceptedGiteaPushEncodesEveryField) {
  const std::string body = read_data("gitea-HookPush.json");
  const Headers h{{"x-gitea-event", "push"},
                  {"x-gitea-delivery", "abc-1"},
                  {"x-gitea-signature", hmac_sha256_hex(kSecret, body)}};
  const HookCheck c = check_hook(ForgeKind::gitea, h, body, {kSecret});
  ASSERT_TRUE(c.accepted) << c.reason;
  EXPECT_EQ(encode(c),
            R"({"verdict":"accept","kind":"push","ref":"refs/heads/main","branch":"main",)"
            R"("before":"4b2626259b5a97b6b4eab5e6cca66adb986b672b",)"
            R"("after":"ef98532add3b2feb7a137426bba1248724367df5",)"
            R"("clone_url":"http://gitea.golang.org/gordon/hello-world.git",)"
            R"("sender":{"id":1,"login":"gordon"},"delivery":"abc-1","message":"bump\n"})");
}

TEST(CheckHook, SignatureRejectionParsesNothing) {
  const Headers h{{"x-github-event", "push"},
                  {"x-github-delivery", "abc-2"},
                  {"x-hub-signature-256", "sha256=" + hmac_sha256_hex("wrong", "{}")}};
  const HookCheck c = check_hook(ForgeKind::github, h, "{}", {kSecret});
  EXPECT_FALSE(c.accepted);
  EXPECT_EQ(c.event, PushEvent{});
  EXPECT_EQ(encode(c),
            R"({"verdict":"reject","reason":"signature mismatch in X-Hub-Signature-256: )"
            R"(the body is not signed with any configured secret"})");
}

TEST(CheckHook, VerifiedBodyThatDoesNotParseIsRejected) {
  const std::string body = R"({"ref":"refs/heads/main"})";
  const Headers h{{"x-forgejo-event", "push"},
                  {"x-forgejo-delivery", "abc-3"},
                  {"x-forgejo-signature", hmac_sha256_hex(kSecret, body)}};
  const HookCheck c = check_hook(ForgeKind::forgejo, h, body, {kSecret});
  EXPECT_FALSE(c.accepted);
  EXPECT_EQ(c.reason, "push payload: field \"before\" is missing");
}

TEST(CheckHook, OtherEventHasNullSender) {
  const std::string body = read_data("forgejo-HookTag.json");
  const Headers h{{"x-forgejo-event", "create"},
                  {"x-forgejo-delivery", "abc-4"},
                  {"x-forgejo-signature", hmac_sha256_hex(kSecret, body)}};
  const HookCheck c = check_hook(ForgeKind::forgejo, h, body, {kSecret});
  ASSERT_TRUE(c.accepted) << c.reason;
  EXPECT_EQ(encode(c),
            R"({"verdict":"accept","kind":"other","ref":"","branch":"","before":"","after":"",)"
            R"("clone_url":"","sender":null,"delivery":"abc-4","message":""})");
}

}  // namespace
}  // namespace stackrun::forge
