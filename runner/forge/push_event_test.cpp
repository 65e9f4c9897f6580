// parse_push_event over every payload in tests/data/webhooks (expected values read from the
// files by hand), the kinds (push, tag, delete, other), and the errors that name their field.
#include "runner/forge/push_event.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runner/forge/test_data.hpp"

namespace stackrun::forge {
namespace {

using testdata::read_data;

Headers headers_for(ForgeKind k, const std::string& event, const std::string& delivery) {
  switch (k) {
    case ForgeKind::github:
      return {{"x-github-event", event}, {"x-github-delivery", delivery}};
    case ForgeKind::gitea:
      return {{"x-gitea-event", event}, {"x-gitea-delivery", delivery}};
    case ForgeKind::forgejo:
      return {{"x-forgejo-event", event}, {"x-forgejo-delivery", delivery}};
  }
  return {};
}

struct CorpusRow {
  const char* file;
  ForgeKind forge;
  const char* event;
  PushEvent want;
};

const char* kZeros = "0000000000000000000000000000000000000000";

PushEvent gordon_push(const std::string& host) {
  return {PushKind::push,
          "push",
          "d-1",
          "refs/heads/main",
          "main",
          "4b2626259b5a97b6b4eab5e6cca66adb986b672b",
          "ef98532add3b2feb7a137426bba1248724367df5",
          "http://" + host + ".golang.org/gordon/hello-world.git",
          {1, "gordon"},
          "bump\n"};
}

PushEvent new_branch() {
  return {PushKind::push,
          "push",
          "d-1",
          "refs/heads/fdsafdsa",
          "fdsafdsa",
          kZeros,
          "28c3613ae62640216bea5e7dc71aa65356e4298b",
          "https://codeberg.org/meisam/woodpecktester.git",
          {2628, "6543"},
          "Delete '.woodpecker/.check.yml'\n"};
}

PushEvent multi() {
  return {PushKind::push,
          "push",
          "d-1",
          "refs/heads/main",
          "main",
          "6efcf5b7c98f3e7a491675164b7a2e7acac27941",
          "29be01c073851cf0db0c6a466e396b725a670453",
          "http://127.0.0.1:3000/Test-CI/multi-line-secrets.git",
          {1, "test-user"},
          "add some text\n"};
}

// Gitea's and Forgejo's HookTag fixtures are `create` events (ref_type tag, no before/after):
// not a push, so kind other with nothing read from the payload.
PushEvent create_event() {
  PushEvent e;
  e.kind = PushKind::other;
  e.event = "create";
  e.delivery = "d-1";
  return e;
}

std::vector<CorpusRow> corpus() {
  return {
      {"forgejo-HookPush.json", ForgeKind::forgejo, "push", gordon_push("forgejo")},
      {"forgejo-HookPushBranch.json", ForgeKind::forgejo, "push", new_branch()},
      {"forgejo-HookPushMulti.json", ForgeKind::forgejo, "push", multi()},
      {"forgejo-HookTag.json", ForgeKind::forgejo, "create", create_event()},
      {"gitea-HookPush.json", ForgeKind::gitea, "push", gordon_push("gitea")},
      {"gitea-HookPushBranch.json", ForgeKind::gitea, "push", new_branch()},
      {"gitea-HookPushMulti.json", ForgeKind::gitea, "push", multi()},
      {"gitea-HookTag.json", ForgeKind::gitea, "create", create_event()},
      {"github-HookPush.json",
       ForgeKind::github,
       "push",
       {PushKind::push,
        "push",
        "d-1",
        "refs/heads/main",
        "main",
        "2f780193b136b72bfea4eeb640786a8c4450c7a2",
        "366701fde727cb7a9e7f21eb88264f59f6f9b89c",
        "https://github.com/woodpecker-ci/woodpecker.git",
        {24977596, "6543"},
        "Fix multiline secrets replacer (#700)\n\n* Fix multiline secrets replacer\r\n\r\n* Add "
        "tests"}},
      {"github-HookPushForced.json",
       ForgeKind::github,
       "push",
       {PushKind::push,
        "push",
        "d-1",
        "refs/heads/main",
        "main",
        "5ea737297f2e2e88f4cdf796e72cbcb12d40fd9c",
        "f7220f1f753260bf6f1c533357c70213e9fd4abe",
        "https://github.com/6543/oxiduct.git",
        {24977596, "6543"},
        "feat: initial implementation\n\nTCP/UDP proxy skeleton with layered dead-connection "
        "detection.\n\nCo-authored-by: Claude <noreply@anthropic.com>"}},
      {"github-HookTag.json",
       ForgeKind::github,
       "push",
       {PushKind::tag,
        "push",
        "d-1",
        "refs/tags/the-tag-v1",
        "",
        kZeros,
        "67012991d6c69b1c58378346fca366b864d8d1a1",
        "https://github.com/6543/test_ci_tmp.git",
        {24977596, "6543"},
        "Update .woodpecker.yml"}},
  };
}

TEST(ParsePushEvent, EveryCorpusPayload) {
  for (const CorpusRow& r : corpus()) {
    SCOPED_TRACE(r.file);
    auto e = parse_push_event(r.forge, headers_for(r.forge, r.event, "d-1"), read_data(r.file));
    ASSERT_TRUE(e.ok()) << e.error();
    EXPECT_EQ(*e, r.want);
  }
}

TEST(ParsePushEvent, ForgejoFallsBackToGiteaHeaders) {
  const Headers h{{"x-gitea-event", "push"}, {"x-gitea-delivery", "d-2"}};
  auto e = parse_push_event(ForgeKind::forgejo, h, read_data("forgejo-HookPush.json"));
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->kind, PushKind::push);
  EXPECT_EQ(e->delivery, "d-2");
}

TEST(ParsePushEvent, NonPushEventReadsNoPayload) {
  auto e = parse_push_event(ForgeKind::github, headers_for(ForgeKind::github, "issues", "d-3"),
                            "not json at all");
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->kind, PushKind::other);
  EXPECT_EQ(e->event, "issues");
  EXPECT_EQ(e->ref, "");
}

TEST(ClassifyPush, Table) {
  const std::string sha = "67012991d6c69b1c58378346fca366b864d8d1a1";
  struct Row {
    std::string ref, after;
    PushKind want;
  };
  const std::vector<Row> table{
      {"refs/heads/main", sha, PushKind::push},
      {"refs/heads/feature/x", sha, PushKind::push},
      {"refs/tags/v1.0.0", sha, PushKind::tag},
      {"refs/heads/main", kZeros, PushKind::deletion},
      {"refs/tags/v1.0.0", kZeros, PushKind::deletion},
      {"refs/heads/main", std::string(64, '0'), PushKind::deletion},
      {"refs/heads/", sha, PushKind::other},
      {"refs/notes/commits", sha, PushKind::other},
      {"main", sha, PushKind::other},
  };
  for (const auto& r : table) {
    SCOPED_TRACE(r.ref + " " + r.after);
    EXPECT_EQ(classify_push(r.ref, r.after), r.want);
  }
  EXPECT_EQ(to_string(PushKind::deletion), "delete");
}

TEST(ParsePushEvent, BranchDeletion) {
  // GitHub's shape for a deleted branch: after all zeros, head_commit null, no commits.
  const std::string body =
      R"({"ref":"refs/heads/gone","before":"67012991d6c69b1c58378346fca366b864d8d1a1",)"
      R"("after":"0000000000000000000000000000000000000000","head_commit":null,"commits":[],)"
      R"("repository":{"clone_url":"https://x/r.git"},"sender":{"id":7,"login":"al"}})";
  auto e = parse_push_event(ForgeKind::github, headers_for(ForgeKind::github, "push", "d"), body);
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->kind, PushKind::deletion);
  EXPECT_EQ(e->branch, "gone");
  EXPECT_EQ(e->message, "");
}

// A valid push body with one field replaced by `field_json` (the raw JSON after the key),
// or removed when `field_json` is empty.
std::string with(const std::string& key, const std::string& field_json) {
  const std::string sha = "\"67012991d6c69b1c58378346fca366b864d8d1a1\"";
  std::vector<std::pair<std::string, std::string>> fields{
      {"ref", "\"refs/heads/main\""},
      {"before", sha},
      {"after", sha},
      {"repository", R"({"clone_url":"https://x/r.git"})"},
      {"sender", R"({"id":7,"login":"al"})"},
      {"head_commit", R"({"message":"m"})"},
  };
  std::string out = "{";
  for (auto& [k, v] : fields) {
    const std::string& value = k == key ? field_json : v;
    if (value.empty()) continue;
    out += (out.size() > 1 ? "," : "") + ("\"" + k + "\":") + value;
  }
  return out + "}";
}

TEST(ParsePushEvent, ErrorsNameTheField) {
  struct Row {
    std::string body, error;
  };
  const std::vector<Row> table{
      {with("", ""), ""},
      {with("ref", ""), "push payload: field \"ref\" is missing"},
      {with("ref", "5"), "push payload: field \"ref\": expected a string"},
      {with("before", "null"), "push payload: field \"before\": expected a string"},
      {with("after", ""), "push payload: field \"after\" is missing"},
      {with("after", "\"HEAD\""),
       "push payload: field \"after\": expected a commit id (40 or 64 lower-case hex digits)"},
      {with("before", "\"67012991D6C69B1C58378346FCA366B864D8D1A1\""),
       "push payload: field \"before\": expected a commit id (40 or 64 lower-case hex digits)"},
      {with("repository", ""), "push payload: field \"repository\" is missing"},
      {with("repository", "[]"), "push payload: field \"repository\": expected an object"},
      {with("repository", "{}"), "push payload: field \"repository.clone_url\" is missing"},
      {with("sender", R"({"login":"al"})"), "push payload: field \"sender.id\" is missing"},
      {with("sender", R"({"id":"7","login":"al"})"),
       "push payload: field \"sender.id\": expected an integer"},
      {with("sender", R"({"id":7.5,"login":"al"})"),
       "push payload: field \"sender.id\": expected an integer"},
      {with("sender", R"({"id":18446744073709551615,"login":"al"})"),
       "push payload: field \"sender.id\": expected an integer"},
      {with("sender", R"({"id":7,"login":null})"),
       "push payload: field \"sender.login\": expected a string"},
      {with("head_commit", "\"m\""), "push payload: field \"head_commit\": expected an object"},
      {with("head_commit", "{}"), "push payload: field \"head_commit.message\" is missing"},
      {with("head_commit", R"(null,"commits":{})"),
       "push payload: field \"commits\": expected an array"},
      {with("head_commit", R"(null,"commits":[{"id":"a","message":3}])"),
       "push payload: field \"commits[0].message\": expected a string"},
      {"[1]", "push payload: body is not a JSON object"},
      {"{\"ref\":", "push payload: body is not valid JSON"},
  };
  for (const auto& r : table) {
    SCOPED_TRACE(r.body);
    auto e = parse_push_event(ForgeKind::gitea, headers_for(ForgeKind::gitea, "push", "d"), r.body);
    EXPECT_EQ(e.ok() ? "" : e.error(), r.error);
  }
}

TEST(ParsePushEvent, MessageFallsBackToTheAfterCommitThenTheLast) {
  const std::string a = "67012991d6c69b1c58378346fca366b864d8d1a1";
  const auto body = [&](const std::string& commits) {
    return with("head_commit", "null,\"commits\":" + commits);
  };
  const auto message = [&](const std::string& commits) {
    auto e = parse_push_event(ForgeKind::gitea, headers_for(ForgeKind::gitea, "push", "d"),
                              body(commits));
    return e.ok() ? e->message : "error: " + e.error();
  };
  // Newest first (Gitea's order): the commit whose id is `after` wins.
  EXPECT_EQ(message(R"([{"id":")" + a + R"(","message":"new"},{"id":"b","message":"old"}])"),
            "new");
  // No commit matches `after`: the last one.
  EXPECT_EQ(message(R"([{"id":"c","message":"one"},{"id":"b","message":"two"}])"), "two");
  EXPECT_EQ(message("[]"), "");
}

TEST(ParsePushEvent, MissingHeadersAreErrors) {
  const std::string body = read_data("github-HookPush.json");
  auto no_event = parse_push_event(ForgeKind::github, {{"x-github-delivery", "d"}}, body);
  EXPECT_EQ(no_event.ok() ? "" : no_event.error(),
            "missing header X-GitHub-Event: cannot tell which event was delivered");
  auto no_id = parse_push_event(ForgeKind::forgejo, {{"x-forgejo-event", "push"}}, body);
  EXPECT_EQ(no_id.ok() ? "" : no_id.error(),
            "missing header X-Forgejo-Delivery: every delivery needs its id");
  auto empty_id = parse_push_event(ForgeKind::gitea,
                                   {{"x-gitea-event", "push"}, {"x-gitea-delivery", ""}}, body);
  EXPECT_EQ(empty_id.ok() ? "" : empty_id.error(),
            "missing header X-Gitea-Delivery: every delivery needs its id");
}

}  // namespace
}  // namespace stackrun::forge
