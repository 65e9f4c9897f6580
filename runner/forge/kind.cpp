#include "runner/forge/kind.hpp"

namespace stackrun::forge {

std::string_view to_string(ForgeKind k) {
  switch (k) {
    case ForgeKind::github:
      return "github";
    case ForgeKind::gitea:
      return "gitea";
    case ForgeKind::forgejo:
      return "forgejo";
  }
  return "?";
}

std::optional<ForgeKind> parse_forge_kind(std::string_view text) {
  for (ForgeKind k : {ForgeKind::github, ForgeKind::gitea, ForgeKind::forgejo})
    if (to_string(k) == text) return k;
  return std::nullopt;
}

namespace {

// The headers each forge kind sends, in the order they are looked for: its own name first,
// then the older names Forgejo and Gitea also send.
struct KindHeaders {
  std::vector<std::string> signature, event, delivery;
};

const KindHeaders& headers_of(ForgeKind k) {
  static const KindHeaders github{
      {"x-hub-signature-256"}, {"x-github-event"}, {"x-github-delivery"}};
  static const KindHeaders gitea{
      {"x-gitea-signature", "x-hub-signature-256"}, {"x-gitea-event"}, {"x-gitea-delivery"}};
  static const KindHeaders forgejo{
      {"x-forgejo-signature", "x-gitea-signature", "x-hub-signature-256"},
      {"x-forgejo-event", "x-gitea-event"},
      {"x-forgejo-delivery", "x-gitea-delivery"}};
  switch (k) {
    case ForgeKind::github:
      return github;
    case ForgeKind::gitea:
      return gitea;
    case ForgeKind::forgejo:
      return forgejo;
  }
  return github;
}

}  // namespace

const std::vector<std::string>& signature_headers(ForgeKind k) {
  return headers_of(k).signature;
}

const std::vector<std::string>& event_headers(ForgeKind k) {
  return headers_of(k).event;
}

const std::vector<std::string>& delivery_headers(ForgeKind k) {
  return headers_of(k).delivery;
}

std::optional<FoundHeader> first_header(const Headers& headers,
                                        const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (auto it = headers.find(n); it != headers.end()) return FoundHeader{n, it->second};
  return std::nullopt;
}

std::string display_name(std::string_view lower_name) {
  // GitHub spells its own names with a capital H; the rest are plain title case.
  if (lower_name.starts_with("x-github-")) return "X-GitHub-" + display_name(lower_name.substr(9));
  std::string out(lower_name);
  bool start = true;
  for (char& c : out) {
    if (start && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    start = c == '-';
  }
  return out;
}

ForgeKind from_core(core::ForgeKind k) {
  switch (k) {
    case core::ForgeKind::forgejo:
      return ForgeKind::forgejo;
    case core::ForgeKind::gitea:
      return ForgeKind::gitea;
    case core::ForgeKind::github:
      return ForgeKind::github;
  }
  return ForgeKind::forgejo;
}

}  // namespace stackrun::forge
