#include "runner/forge/sample_push.hpp"

#include "runner/forge/signature.hpp"

namespace stackrun::forge {

SampleDelivery sample_push(ForgeKind kind, const PushEvent& push, const std::string& secret) {
  SampleDelivery d;
  d.body = encode_sample_payload(kind, push);
  const std::string mac = hmac_sha256_hex(secret, d.body);
  d.headers.emplace_back("Content-Type", "application/json");
  switch (kind) {
    case ForgeKind::github:
      d.headers.emplace_back("X-GitHub-Event", "push");
      d.headers.emplace_back("X-GitHub-Delivery", push.delivery);
      break;
    case ForgeKind::forgejo:
      d.headers.emplace_back("X-Forgejo-Event", "push");
      d.headers.emplace_back("X-Forgejo-Delivery", push.delivery);
      d.headers.emplace_back("X-Forgejo-Signature", mac);
      [[fallthrough]];  // Forgejo also sends Gitea's headers
    case ForgeKind::gitea:
      d.headers.emplace_back("X-Gitea-Event", "push");
      d.headers.emplace_back("X-Gitea-Delivery", push.delivery);
      d.headers.emplace_back("X-Gitea-Signature", mac);
      break;
  }
  d.headers.emplace_back("X-Hub-Signature-256", "sha256=" + mac);  // every kind sends it
  return d;
}

}  // namespace stackrun::forge
