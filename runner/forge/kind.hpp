#pragma once
// The forges stackrun takes webhooks from, and the request headers each one documents.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/forge_guards.hpp"

namespace stackrun::forge {

enum class ForgeKind { github, gitea, forgejo };

// "github", "gitea", "forgejo"; parse is its exact inverse (nullopt for anything else).
std::string_view to_string(ForgeKind k);
std::optional<ForgeKind> parse_forge_kind(std::string_view text);
// The same forge as the core's guards name it (core::ForgeKind, in the server configuration).
ForgeKind from_core(core::ForgeKind k);

// Request headers by lower-cased name (as runner/http's Request holds them; a repeat keeps the
// last).
using Headers = std::map<std::string, std::string>;

// Lower-cased header names a kind's deliveries are read from, in order of preference: the
// kind's own header first, then the ones its forge also sends. A delivery is read from the
// first of them that is present, and only from that one (present but empty counts).
//   github:  X-Hub-Signature-256 (sha256=<hex>)
//   gitea:   X-Gitea-Signature (<hex>), X-Hub-Signature-256
//   forgejo: X-Forgejo-Signature (<hex>), X-Gitea-Signature, X-Hub-Signature-256
// Never read: GitHub's SHA-1 X-Hub-Signature and the legacy X-Gogs-* headers.
const std::vector<std::string>& signature_headers(ForgeKind k);
// X-GitHub-Event | X-Gitea-Event | X-Forgejo-Event, then X-Gitea-Event (Forgejo sends both).
const std::vector<std::string>& event_headers(ForgeKind k);
// X-GitHub-Delivery | X-Gitea-Delivery | X-Forgejo-Delivery, then X-Gitea-Delivery.
const std::vector<std::string>& delivery_headers(ForgeKind k);

// The first of `names` present in `headers` (name, value); nullopt when none is.
struct FoundHeader {
  std::string name, value;
};
std::optional<FoundHeader> first_header(const Headers& headers,
                                        const std::vector<std::string>& names);

// "x-hub-signature-256" -> "X-Hub-Signature-256": how error texts name a header.
std::string display_name(std::string_view lower_name);

}  // namespace stackrun::forge
