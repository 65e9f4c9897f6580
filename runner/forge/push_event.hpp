#pragma once
// A verified webhook delivery as data: what was pushed, by whom, under which delivery id.
// The payload's changed-file lists (commits[].added/removed/modified) are ignored on purpose:
// the stacks to apply come from stackrun's own diff of before..after, never from the forge's
// lists (GitHub truncates them, and a new branch's push lists no commits at all).
#include <cstdint>
#include <string>
#include <string_view>

#include "runner/core/result.hpp"
#include "runner/forge/kind.hpp"

namespace stackrun::forge {

// push: a branch push (refs/heads/*); tag: refs/tags/*; deletion: `after` is all zeros (a
// deleted branch or tag); other: any other event, or a push to a ref outside heads and tags.
enum class PushKind { push, tag, deletion, other };
std::string_view to_string(PushKind k);  // "push", "tag", "delete", "other"

struct Sender {
  std::int64_t id = 0;  // the forge's immutable user id (allowlists match this, not the login)
  std::string login;
  bool operator==(const Sender&) const = default;
};

struct PushEvent {
  PushKind kind = PushKind::other;
  std::string event;     // the event header's value as sent ("push", "create", ...)
  std::string delivery;  // the delivery id header's value
  // Empty for a non-push event; branch is ref minus refs/heads/ ("" outside refs/heads/).
  std::string ref, branch, before, after, clone_url;
  Sender sender;
  std::string message;  // head commit's message ("" when the push has no commits)
  bool operator==(const PushEvent&) const = default;
};

// A full commit id as forges send it: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
bool is_commit_id(std::string_view s);

// The kind of a push to `ref` ending at `after`: deletion first (a deleted tag is a deletion),
// then tag, then push for refs/heads/*, else other.
PushKind classify_push(std::string_view ref, std::string_view after);

// A push payload's own fields (json.cpp, the one file that reads JSON): ref, before, after
// (40 or 64 lower-case hex digits), repository.clone_url, sender.id (integer), sender.login;
// message from head_commit.message, else the commit whose id is `after`, else the last commit.
// kind, event, delivery and branch are left for parse_push_event. Errors name the field:
//   push payload: field "sender.id": expected an integer
Result<PushEvent> decode_push_payload(std::string_view json);

// The event a verified delivery carries. Reads the kind's event and delivery headers (both
// required: an error names the missing header); a push event's payload is decoded and
// classified; any other event is kind other and its payload is not read.
Result<PushEvent> parse_push_event(ForgeKind kind, const Headers& headers,
                                   std::string_view payload);

}  // namespace stackrun::forge
