// A sample delivery must be exactly what the intake accepts: verified by every kind's reader
// and parsed back to the push it was built from.
#include "runner/forge/sample_push.hpp"

#include <gtest/gtest.h>

#include "runner/forge/signature.hpp"

namespace stackrun::forge {
namespace {

Headers lowered(const SampleDelivery& d) {
  Headers h;
  for (auto [name, value] : d.headers) {
    for (char& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    h[name] = value;
  }
  return h;
}

PushEvent push() {
  PushEvent p;
  p.ref = "refs/heads/main";
  p.before = std::string(40, 'a');
  p.after = std::string(40, 'b');
  p.clone_url = "http://127.0.0.1:3000/infra/live.git";
  p.sender = {42, "alice"};
  p.message = "Bump \"dbaas\"\n\nbody";
  p.delivery = "stackrun-sample-1";
  return p;
}

TEST(SamplePush, EveryKindVerifiesAndParsesBackToThePush) {
  for (ForgeKind kind : {ForgeKind::github, ForgeKind::gitea, ForgeKind::forgejo}) {
    const auto d = sample_push(kind, push(), "s3cret");
    const auto headers = lowered(d);
    const auto v = verify_delivery(kind, headers, d.body, {"s3cret"});
    ASSERT_TRUE(v.accepted()) << to_string(kind) << ": " << v.reason;
    const auto parsed = parse_push_event(kind, headers, v.payload);
    ASSERT_TRUE(parsed) << to_string(kind) << ": " << parsed.error();
    PushEvent want = push();
    want.kind = PushKind::push;
    want.event = "push";
    want.branch = "main";
    EXPECT_EQ(*parsed, want) << to_string(kind);
  }
}

TEST(SamplePush, AnotherSecretDoesNotVerify) {
  const auto d = sample_push(ForgeKind::forgejo, push(), "s3cret");
  const auto v = verify_delivery(ForgeKind::forgejo, lowered(d), d.body, {"other"});
  ASSERT_FALSE(v.accepted());
  EXPECT_EQ(*v.rejected, Rejection::mismatch);
}

}  // namespace
}  // namespace stackrun::forge
