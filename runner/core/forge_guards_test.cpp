#include "runner/core/forge_guards.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace stackrun::core {
namespace {

const std::string kAfter = "0123456789abcdef0123456789abcdef01234567";

// A canonical Forgejo push to main by user 7, which a repo with these guards applies.
Delivery push() {
  Delivery d;
  d.id = "d-1";
  d.source = "infra-forgejo";
  d.forge = ForgeKind::forgejo;
  d.role = SourceRole::canonical;
  d.kind = DeliveryKind::push;
  d.repo = "infra";
  d.ref = "refs/heads/main";
  d.branch = "main";
  d.after = kAfter;
  d.sender_id = "7";
  d.message = "Bump the vault stack\n\nBody text.";
  return d;
}

RepoGuards guards() {
  RepoGuards g;
  g.branches = {"main", "release/*"};
  g.senders = {{ForgeKind::forgejo, {"1", "7"}}, {ForgeKind::github, {"583231"}}};
  return g;
}

struct Row {
  const char* name;
  std::function<void(Delivery&, RepoGuards&, DeliveryHistory&)> change;
  GuardOutcome outcome;
  const char* reason;
};

const Row kRows[] = {
    {"accepted", [](auto&, auto&, auto&) {}, GuardOutcome::start_apply,
     "accepted: push infra refs/heads/main 0123456789ab"},
    // 1. duplicate delivery, before anything else
    {"duplicate delivery", [](auto&, auto&, auto& h) { h.delivery_seen = true; },
     GuardOutcome::ignore, "ignored: duplicate delivery d-1"},
    {"duplicate delivery of a tag",
     [](auto& d, auto&, auto& h) {
       h.delivery_seen = true;
       d.kind = DeliveryKind::tag;
     },
     GuardOutcome::ignore, "ignored: duplicate delivery d-1"},
    // 2. not a branch push
    {"tag push", [](auto& d, auto&, auto&) { d.kind = DeliveryKind::tag; }, GuardOutcome::ignore,
     "ignored: tag push"},
    {"branch deletion", [](auto& d, auto&, auto&) { d.kind = DeliveryKind::branch_delete; },
     GuardOutcome::ignore, "ignored: branch deletion"},
    {"other event", [](auto& d, auto&, auto&) { d.kind = DeliveryKind::other; },
     GuardOutcome::ignore, "ignored: not a push event"},
    {"tag push from a mirror",
     [](auto& d, auto&, auto&) {
       d.kind = DeliveryKind::tag;
       d.role = SourceRole::mirror;
     },
     GuardOutcome::ignore, "ignored: tag push"},
    // 3. one run per (repo, ref, after), whichever source delivers first
    {"already has a run",
     [](auto&, auto&, auto& h) {
       h.runs[{"infra", "refs/heads/main", kAfter}] = 12;
     },
     GuardOutcome::ignore, "ignored: push infra refs/heads/main 0123456789ab already has run 12"},
    {"mirror re-delivers a push that has a run",
     [](auto& d, auto&, auto& h) {
       d.role = SourceRole::mirror;
       d.source = "infra-github";
       d.forge = ForgeKind::github;
       h.runs[{"infra", "refs/heads/main", kAfter}] = 3;
     },
     GuardOutcome::ignore, "ignored: push infra refs/heads/main 0123456789ab already has run 3"},
    {"run of another commit does not count",
     [](auto&, auto&, auto& h) {
       h.runs[{"infra", "refs/heads/main", "1123456789abcdef0123456789abcdef01234567"}] = 4;
     },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"run of another ref does not count",
     [](auto&, auto&, auto& h) {
       h.runs[{"infra", "refs/heads/dev", kAfter}] = 4;
     },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"run of another repo does not count",
     [](auto&, auto&, auto& h) {
       h.runs[{"other", "refs/heads/main", kAfter}] = 4;
     },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"a run wins over a skip marker and a bad sender",
     [](auto& d, auto&, auto& h) {
       d.message = "[ci skip]";
       d.sender_id = "666";
       h.runs[{"infra", "refs/heads/main", kAfter}] = 5;
     },
     GuardOutcome::ignore, "ignored: push infra refs/heads/main 0123456789ab already has run 5"},
    // 4. a mirror never applies, even when nothing else objects
    {"mirror first", [](auto& d, auto&, auto&) { d.role = SourceRole::mirror; },
     GuardOutcome::ignore, "ignored: mirror source infra-forgejo never applies"},
    {"mirror with a bad sender",
     [](auto& d, auto&, auto&) {
       d.role = SourceRole::mirror;
       d.source = "gh";
       d.sender_id = "666";
     },
     GuardOutcome::ignore, "ignored: mirror source gh never applies"},
    // 5. branch allowlist (globs)
    {"branch not allowed",
     [](auto& d, auto&, auto&) {
       d.branch = "feature/x";
       d.ref = "refs/heads/feature/x";
     },
     GuardOutcome::ignore, "ignored: branch feature/x not in the allowlist"},
    {"branch by glob", [](auto& d, auto&, auto&) { d.branch = "release/2026"; },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"glob stays in one segment", [](auto& d, auto&, auto&) { d.branch = "release/a/b"; },
     GuardOutcome::ignore, "ignored: branch release/a/b not in the allowlist"},
    {"empty allowlist allows any branch",
     [](auto& d, auto& g, auto&) {
       d.branch = "anything";
       g.branches.clear();
     },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"branch before skip and sender",
     [](auto& d, auto&, auto&) {
       d.branch = "dev";
       d.message = "[skip ci]";
       d.sender_id = "666";
     },
     GuardOutcome::ignore, "ignored: branch dev not in the allowlist"},
    // 6. skip markers, any case, anywhere
    {"ci skip", [](auto& d, auto&, auto&) { d.message = "Fix typo [ci skip]"; },
     GuardOutcome::ignore, "ignored: [ci skip] in the head commit message"},
    {"skip ci", [](auto& d, auto&, auto&) { d.message = "[skip ci] docs only"; },
     GuardOutcome::ignore, "ignored: [skip ci] in the head commit message"},
    {"upper case", [](auto& d, auto&, auto&) { d.message = "x\n\n[CI Skip]\n"; },
     GuardOutcome::ignore, "ignored: [ci skip] in the head commit message"},
    {"SKIP CI in the body", [](auto& d, auto&, auto&) { d.message = "title\n\nbody [SKIP CI]"; },
     GuardOutcome::ignore, "ignored: [skip ci] in the head commit message"},
    {"no brackets is no marker", [](auto& d, auto&, auto&) { d.message = "ci skip skip ci"; },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"other spacing is no marker", [](auto& d, auto&, auto&) { d.message = "[ci  skip] [skipci]"; },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"skip before sender",
     [](auto& d, auto&, auto&) {
       d.message = "[ci skip]";
       d.sender_id = "666";
     },
     GuardOutcome::ignore, "ignored: [ci skip] in the head commit message"},
    // 7. sender allowlist, by forge user id per forge kind
    {"sender not allowed", [](auto& d, auto&, auto&) { d.sender_id = "666"; }, GuardOutcome::deny,
     "denied: sender not allowed"},
    {"empty sender id", [](auto& d, auto&, auto&) { d.sender_id = ""; }, GuardOutcome::deny,
     "denied: sender not allowed"},
    {"id allowed on another forge only", [](auto& d, auto&, auto&) { d.sender_id = "583231"; },
     GuardOutcome::deny, "denied: sender not allowed"},
    {"forge kind without an entry allows nobody",
     [](auto& d, auto&, auto&) {
       d.forge = ForgeKind::gitea;
       d.sender_id = "7";
     },
     GuardOutcome::deny, "denied: sender not allowed"},
    {"github canonical sender allowed",
     [](auto& d, auto&, auto&) {
       d.forge = ForgeKind::github;
       d.sender_id = "583231";
     },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"no sender allowlist allows anyone",
     [](auto& d, auto& g, auto&) {
       d.sender_id = "666";
       g.senders.clear();
     },
     GuardOutcome::start_apply, "accepted: push infra refs/heads/main 0123456789ab"},
    {"ids match whole", [](auto& d, auto&, auto&) { d.sender_id = "77"; }, GuardOutcome::deny,
     "denied: sender not allowed"},
};

TEST(ForgeGuards, Table) {
  for (const Row& row : kRows) {
    Delivery d = push();
    RepoGuards g = guards();
    DeliveryHistory h;
    row.change(d, g, h);
    const GuardDecision got = guard_push(d, g, h);
    EXPECT_EQ(got.reason, row.reason) << row.name;
    EXPECT_EQ(to_string(got.outcome), to_string(row.outcome)) << row.name;
  }
}

// The two-forge scenario as a sequence: canonical and mirror deliver the same push in
// either order; the caller records the run key of the one start_apply.
TEST(ForgeGuards, OneRunPerPushInEitherOrder) {
  for (bool mirror_first : {true, false}) {
    Delivery canonical = push();
    Delivery mirror = push();
    mirror.id = "gh-1";
    mirror.source = "infra-github";
    mirror.forge = ForgeKind::github;
    mirror.role = SourceRole::mirror;
    DeliveryHistory h;
    int started = 0;
    for (const Delivery* d :
         mirror_first ? std::vector{&mirror, &canonical} : std::vector{&canonical, &mirror}) {
      const GuardDecision got = guard_push(*d, RepoGuards{}, h);
      if (got.outcome == GuardOutcome::start_apply) {
        ++started;
        h.runs[{d->repo, d->ref, d->after}] = 1;
      }
    }
    EXPECT_EQ(started, 1) << (mirror_first ? "mirror first" : "canonical first");
  }
}

TEST(ForgeGuards, MirrorOnlyPushStartsNothing) {
  Delivery mirror = push();
  mirror.source = "infra-github";
  mirror.role = SourceRole::mirror;
  EXPECT_EQ(
      guard_push(mirror, RepoGuards{}, {}),
      (GuardDecision{GuardOutcome::ignore, "ignored: mirror source infra-github never applies"}));
}

TEST(ForgeGuards, SkipMarker) {
  EXPECT_EQ(skip_marker("a [Ci SkIp] b"), "[ci skip]");
  EXPECT_EQ(skip_marker("[skip CI]"), "[skip ci]");
  EXPECT_EQ(skip_marker("[ci skip"), "");
  EXPECT_EQ(skip_marker(""), "");
}

TEST(ForgeGuards, Names) {
  EXPECT_EQ(to_string(ForgeKind::gitea), "gitea");
  EXPECT_EQ(to_string(SourceRole::mirror), "mirror");
  EXPECT_EQ(to_string(DeliveryKind::branch_delete), "branch_delete");
  EXPECT_EQ(to_string(GuardOutcome::deny), "deny");
}

}  // namespace
}  // namespace stackrun::core
