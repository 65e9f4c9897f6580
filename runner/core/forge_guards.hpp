#pragma once
// Forge guards (pure): does one forge delivery start an apply run, and if not, why not.
// Inputs are plain values the webhook intake parsed and the store looked up; no I/O here.
//
// The guards apply in this order; the first that matches decides (each pinned by a row in
// forge_guards_test.cpp):
//   1. the delivery id was seen before       -> ignore "ignored: duplicate delivery <id>"
//   2. not a branch push: tag push, branch deletion (`after` all zeros) or another event
//                                            -> ignore "ignored: tag push" /
//                                               "ignored: branch deletion" /
//                                               "ignored: not a push event"
//   3. (repo, ref, after) already has a run  -> ignore "ignored: push <repo> <ref> <after12>
//                                               already has run N"
//      (whichever source delivered it first, canonical or mirror)
//   4. the source is a mirror                -> ignore "ignored: mirror source <name> never
//                                               applies"
//   5. branch outside the repo's allowlist   -> ignore "ignored: branch <b> not in the allowlist"
//   6. `[ci skip]` / `[skip ci]` (any case, anywhere) in the head commit message
//                                            -> ignore "ignored: [ci skip] in the head commit
//                                               message" (the marker as the guard spells it)
//   7. sender not in the allowlist           -> deny "denied: sender not allowed"
//   otherwise                                -> start_apply "accepted: push <repo> <ref> <after12>"
//
// Why this order: cheap and certain answers first; a push that already has a run says so even
// when a mirror re-delivers it (the most useful reason); "denied" is kept for the one case
// where the sender alone stood between the push and an apply, so a denial is always worth a look.
//
// A mirror never applies: a push the mirror delivers before the canonical source does is
// ignored (rule 4) and records no run key, so the canonical's later delivery still starts the
// run; a push only the mirror ever delivers starts nothing.
//
// Concurrency is the caller's: to keep "one run per (repo, ref, after)" it must look up
// `runs`, call guard_push and record the new run key in one step (one io-thread turn, or one
// store transaction) so two deliveries of the same push cannot both see no run.
#include <compare>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace stackrun::core {

enum class ForgeKind { forgejo, gitea, github };
enum class SourceRole { canonical, mirror };
// What a delivery is: a branch push, a tag push, a branch deletion, or any other event.
enum class DeliveryKind { push, tag, branch_delete, other };

// "forgejo", "canonical", "push", "branch_delete", ...
std::string_view to_string(ForgeKind k);
std::string_view to_string(SourceRole r);
std::string_view to_string(DeliveryKind k);

// One parsed delivery, as the webhook intake saw it.
struct Delivery {
  std::string id;      // the forge's delivery id (X-GitHub-Delivery, X-Gitea-Delivery, ...)
  std::string source;  // the configured source name (/hooks/{source})
  ForgeKind forge = ForgeKind::forgejo;
  SourceRole role = SourceRole::canonical;
  DeliveryKind kind = DeliveryKind::other;
  std::string repo;       // the configured repo name the source belongs to
  std::string ref;        // "refs/heads/main"
  std::string branch;     // "main" (for branch pushes)
  std::string after;      // the pushed commit, 40 hex digits
  std::string sender_id;  // the forge user id, as decimal text
  std::string message;    // the head commit's message
};

// A repo's allowlists, from the server configuration.
struct RepoGuards {
  std::vector<std::string> branches;  // doublestar globs over the branch name; empty = any branch
  // Forge user ids allowed to start applies, per forge kind. Empty map = any sender; once any
  // kind is listed, a kind without an entry allows nobody.
  std::map<ForgeKind, std::vector<std::string>> senders;
};

// A push already turned into a run, whichever source delivered it.
struct PushKey {
  std::string repo, ref, after;
  auto operator<=>(const PushKey&) const = default;
};

// What the store knows about this delivery.
struct DeliveryHistory {
  bool delivery_seen = false;         // this delivery id was recorded before
  std::map<PushKey, long long> runs;  // forge-delivered runs by push (only the one key matters)
};

enum class GuardOutcome { start_apply, ignore, deny };
std::string_view to_string(GuardOutcome o);  // "start_apply", "ignore", "deny"

struct GuardDecision {
  GuardOutcome outcome = GuardOutcome::ignore;
  std::string reason;  // recorded with the delivery; exact texts in the header comment
  bool operator==(const GuardDecision&) const = default;
};

// Decides one delivery by the rules above. Total: never fails.
GuardDecision guard_push(const Delivery& d, const RepoGuards& g, const DeliveryHistory& h);

// The skip marker in `message` ("[ci skip]" or "[skip ci]", case-insensitive, anywhere), or
// an empty view when there is none.
std::string_view skip_marker(std::string_view message);

}  // namespace stackrun::core
