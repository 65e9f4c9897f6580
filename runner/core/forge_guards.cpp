#include "runner/core/forge_guards.hpp"

#include <algorithm>
#include <cctype>

#include "runner/core/glob.hpp"

namespace stackrun::core {
namespace {

bool contains_nocase(std::string_view hay, std::string_view needle) {
  const auto it =
      std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      });
  return it != hay.end();
}

bool branch_allowed(const RepoGuards& g, std::string_view branch) {
  if (g.branches.empty()) return true;
  return std::any_of(g.branches.begin(), g.branches.end(),
                     [&](const std::string& p) { return glob_match(p, branch); });
}

bool sender_allowed(const RepoGuards& g, ForgeKind forge, const std::string& sender) {
  if (g.senders.empty()) return true;
  const auto it = g.senders.find(forge);
  if (it == g.senders.end() || sender.empty()) return false;
  return std::find(it->second.begin(), it->second.end(), sender) != it->second.end();
}

GuardDecision ignore(std::string why) {
  return {GuardOutcome::ignore, "ignored: " + std::move(why)};
}

std::string describe_push(const Delivery& d) {
  return d.repo + " " + d.ref + " " + d.after.substr(0, 12);
}

}  // namespace

std::string_view to_string(ForgeKind k) {
  switch (k) {
    case ForgeKind::forgejo:
      return "forgejo";
    case ForgeKind::gitea:
      return "gitea";
    case ForgeKind::github:
      return "github";
  }
  return "?";
}

std::string_view to_string(SourceRole r) {
  switch (r) {
    case SourceRole::canonical:
      return "canonical";
    case SourceRole::mirror:
      return "mirror";
  }
  return "?";
}

std::string_view to_string(DeliveryKind k) {
  switch (k) {
    case DeliveryKind::push:
      return "push";
    case DeliveryKind::tag:
      return "tag";
    case DeliveryKind::branch_delete:
      return "branch_delete";
    case DeliveryKind::other:
      return "other";
  }
  return "?";
}

std::string_view to_string(GuardOutcome o) {
  switch (o) {
    case GuardOutcome::start_apply:
      return "start_apply";
    case GuardOutcome::ignore:
      return "ignore";
    case GuardOutcome::deny:
      return "deny";
  }
  return "?";
}

std::string_view skip_marker(std::string_view message) {
  for (std::string_view marker : {"[ci skip]", "[skip ci]"})
    if (contains_nocase(message, marker)) return marker;
  return {};
}

GuardDecision guard_push(const Delivery& d, const RepoGuards& g, const DeliveryHistory& h) {
  if (h.delivery_seen) return ignore("duplicate delivery " + d.id);
  switch (d.kind) {
    case DeliveryKind::push:
      break;
    case DeliveryKind::tag:
      return ignore("tag push");
    case DeliveryKind::branch_delete:
      return ignore("branch deletion");
    case DeliveryKind::other:
      return ignore("not a push event");
  }
  if (auto it = h.runs.find(PushKey{d.repo, d.ref, d.after}); it != h.runs.end())
    return ignore("push " + describe_push(d) + " already has run " + std::to_string(it->second));
  if (d.role == SourceRole::mirror) return ignore("mirror source " + d.source + " never applies");
  if (!branch_allowed(g, d.branch)) return ignore("branch " + d.branch + " not in the allowlist");
  if (auto m = skip_marker(d.message); !m.empty())
    return ignore(std::string(m) + " in the head commit message");
  if (!sender_allowed(g, d.forge, d.sender_id))
    return {GuardOutcome::deny, "denied: sender not allowed"};
  return {GuardOutcome::start_apply, "accepted: push " + describe_push(d)};
}

}  // namespace stackrun::core
