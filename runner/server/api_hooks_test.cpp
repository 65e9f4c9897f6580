// POST /hooks/{source} over real HTTP on 127.0.0.1, a real SQLite file and the run worker (a
// FakeRepo stands in for git): signatures, the door, the guards with their store history, one
// run per push across the canonical source and its mirror, and every delivery recorded.
#include <gtest/gtest.h>

#include <cctype>
#include <future>
#include <thread>

#include "runner/forge/signature.hpp"
#include "runner/forge/test_data.hpp"
#include "runner/http/http_test_support.hpp"
#include "runner/server/api.hpp"
#include "runner/wire/protocol.hpp"
#include "tests/support/fake_repo.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

using http::test_support::LiveServer;
using http::test_support::wait_until;
using store::DeliveryOutcome;
using namespace std::chrono_literals;

const char* const kUrl = "https://forge.example/infra.git";
const char* const kApply = R"(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks}
steps:
  - {name: apply, command: "terragrunt apply"}
)";
const char* const kForgejoAfter = "ef98532add3b2feb7a137426bba1248724367df5";
const char* const kGithubAfter = "366701fde727cb7a9e7f21eb88264f59f6f9b89c";
const std::string kZeros(40, '0');

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// Repo "infra": source "forgejo" (canonical) and "github" (its mirror).
std::shared_ptr<config::ServerConfig> test_config(core::RepoGuards guards = {}) {
  auto c = std::make_shared<config::ServerConfig>();
  config::Repo r;
  r.name = "infra";
  r.guards = std::move(guards);
  config::Source canonical;
  canonical.name = "forgejo";
  canonical.kind = core::ForgeKind::forgejo;
  canonical.clone_url = kUrl;
  canonical.webhook_secrets.emplace_back("old-secret", "env OLD");
  canonical.webhook_secrets.emplace_back("forgejo-secret", "env NEW");
  config::Source mirror;
  mirror.name = "github";
  mirror.kind = core::ForgeKind::github;
  mirror.role = core::SourceRole::mirror;
  mirror.clone_url = kUrl;
  mirror.webhook_secrets.emplace_back("github-secret", "env GH");
  r.sources = {canonical, mirror};
  c->repos.push_back(r);
  return c;
}

struct HookCluster {
  CoordinatorOptions copts{30'000, 10'000};
  testing::TempDir dir{"stackrun-hooks"};
  std::string db = (dir.path() / "db.sqlite").string();
  store::Store st{db, store::Db::Options{.read_only = false, .busy_timeout_ms = 200}};
  Coordinator coord{st, copts, wall_ms, [] { return 0.5; }};
  testing::FakeRepo repo;
  LiveServer live;
  std::unique_ptr<RunWorker> worker;
  std::shared_ptr<Api> api;
  std::string first, second;  // two commits, each changing stacks/a

  explicit HookCluster(core::RepoGuards guards = {})
      : HookCluster(test_config(std::move(guards))) {}
  explicit HookCluster(std::shared_ptr<config::ServerConfig> config) {
    auto tx = st.begin();
    st.upsert_repo("infra", kUrl, "main", 1);
    tx.commit();
    first = repo.commit({{".stackrun/apply.yml", kApply}, {"stacks/a/terragrunt.hcl", "a1"}});
    second = repo.commit({{".stackrun/apply.yml", kApply}, {"stacks/a/terragrunt.hcl", "a2"}});
    worker = std::make_unique<RunWorker>(
        db, repo.opener(kUrl),
        [this](std::function<void()> fn) { live.server.post(std::move(fn)); },
        [this](const std::vector<store::NewRun>& runs) { return insert_runs(*api, runs); });
    ApiOptions ao;
    ao.log = [](const std::string&) {};
    ao.config = std::move(config);
    api = install_routes(live.server, st, coord, *worker, wall_ms, ao);
    EXPECT_EQ(live.start(), "");
  }
  ~HookCluster() { worker->stop(); }

  template <class Fn>
  auto on_io(Fn fn) {
    std::promise<decltype(fn())> p;
    auto f = p.get_future();
    live.server.post([&] { p.set_value(fn()); });
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }
  std::vector<store::RunRow> runs() {
    return on_io([this] {
      auto tx = st.begin_read();
      return st.recent_runs(100);
    });
  }
  std::vector<store::DeliveryRow> deliveries() {
    return on_io([this] {
      auto tx = st.begin_read();
      return st.recent_deliveries("", 100);
    });
  }
  // Waits until the newest delivery has the worker's answer (a run or an error).
  bool worker_answered() {
    return wait_until([&] {
      const auto d = deliveries();
      return !d.empty() && (d.front().run_id || !d.front().error.empty());
    });
  }
};

struct Answer {
  int status = 0;
  std::string body;
};

// Posts `body` to /hooks/<source> as a Forgejo or GitHub push signed with `secret`, with
// `extra` headers ("Name: value") replacing the defaults.
Answer post(HookCluster& c, const std::string& source, const std::string& body,
            const std::string& secret, const std::string& delivery,
            const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  http::Client client(c.live.url());
  std::map<std::string, std::string> h;
  const std::string mac = forge::hmac_sha256_hex(secret, body);
  if (source == "github") {
    h = {{"X-GitHub-Event", "push"},
         {"X-GitHub-Delivery", delivery},
         {"X-Hub-Signature-256", "sha256=" + mac}};
  } else {
    h = {{"X-Forgejo-Event", "push"},
         {"X-Forgejo-Delivery", delivery},
         {"X-Forgejo-Signature", mac}};
  }
  for (const auto& [k, v] : extra) h[k] = v;
  for (const auto& [k, v] : h) client.set_header(k, v);
  auto r = client.request("POST", "/hooks/" + source, body);
  EXPECT_TRUE(r) << (r ? "" : r.error());
  return r ? Answer{r->status, r->body} : Answer{};
}

std::string forgejo_push(const std::string& after, const std::string& ref = "refs/heads/main") {
  auto body = forge::testdata::read_data("forgejo-HookPush.json");
  body = replace_all(body, kForgejoAfter, after);
  return replace_all(body, "\"refs/heads/main\"", "\"" + ref + "\"");
}

std::string github_push(const std::string& after) {
  return replace_all(forge::testdata::read_data("github-HookPush.json"), kGithubAfter, after);
}

TEST(ApiHooks, ASignedPushCreatesExactlyOneRunAtItsCommit) {
  HookCluster c;
  const auto a = post(c, "forgejo", forgejo_push(c.second), "forgejo-secret", "d-1");
  EXPECT_EQ(a.status, 202) << a.body;
  EXPECT_NE(a.body.find("\"outcome\":\"accept\""), std::string::npos) << a.body;
  ASSERT_TRUE(c.worker_answered());
  const auto runs = c.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].commit_sha, c.second);
  EXPECT_EQ(runs[0].event, "push");
  const auto d = c.deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].outcome, DeliveryOutcome::accept);
  EXPECT_EQ(d[0].run_id, std::optional<store::Id>(runs[0].id));
  EXPECT_EQ(d[0].delivery_id, "d-1");
  EXPECT_EQ(d[0].ref, "refs/heads/main");
  EXPECT_EQ(d[0].after, c.second);
  EXPECT_EQ(d[0].sender_login, "gordon");
}

// Each forge kind as the canonical source, with its real push payload (tests/data/webhooks) and
// its own headers; Gitea's form-encoded delivery signs the JSON inside the form.
TEST(ApiHooks, EachForgeKindsSignedPushCreatesExactlyOneRun) {
  struct Case {
    core::ForgeKind kind;
    const char* file;
    const char* after;
    bool form;
  };
  const std::vector<Case> cases = {
      {core::ForgeKind::github, "github-HookPush.json", kGithubAfter, false},
      {core::ForgeKind::gitea, "gitea-HookPush.json", kForgejoAfter, false},
      {core::ForgeKind::gitea, "gitea-HookPush.json", kForgejoAfter, true},
      {core::ForgeKind::forgejo, "forgejo-HookPush.json", kForgejoAfter, false},
  };
  for (const auto& k : cases) {
    const std::string name(core::to_string(k.kind));
    SCOPED_TRACE(name + (k.form ? " (form)" : ""));
    auto cfg = std::make_shared<config::ServerConfig>();
    config::Repo r;
    r.name = "infra";
    config::Source src;
    src.name = "solo";
    src.kind = k.kind;
    src.clone_url = kUrl;
    src.webhook_secrets.emplace_back("s3cret", "env S");
    r.sources = {src};
    cfg->repos.push_back(r);
    HookCluster c(cfg);
    const std::string json = replace_all(forge::testdata::read_data(k.file), k.after, c.second);
    const std::string mac = forge::hmac_sha256_hex("s3cret", json);
    std::string body = json;
    http::Client client(c.live.url());
    const std::string title = k.kind == core::ForgeKind::github  ? "GitHub"
                              : k.kind == core::ForgeKind::gitea ? "Gitea"
                                                                 : "Forgejo";
    client.set_header("X-" + title + "-Event", "push");
    client.set_header("X-" + title + "-Delivery", "d-" + name);
    if (k.kind == core::ForgeKind::github)
      client.set_header("X-Hub-Signature-256", "sha256=" + mac);
    else
      client.set_header("X-" + title + "-Signature", mac);
    if (k.form) {
      client.set_header("Content-Type", "application/x-www-form-urlencoded");
      std::string enc = "payload=";
      for (unsigned char ch : json) {
        static const char* kHex = "0123456789ABCDEF";
        if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
          enc += static_cast<char>(ch);
        } else {
          enc += '%';
          enc += kHex[ch >> 4];
          enc += kHex[ch & 15];
        }
      }
      body = enc;
    }
    auto a = client.request("POST", "/hooks/solo", body);
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->status, 202) << a->body;
    ASSERT_TRUE(c.worker_answered());
    const auto runs = c.runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].commit_sha, c.second);
    const auto d = c.deliveries();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].outcome, DeliveryOutcome::accept) << d[0].reason;
    EXPECT_EQ(d[0].delivery_id, "d-" + name);
  }
}

TEST(ApiHooks, BadSignaturesAre4xxRecordedAndCreateNoRun) {
  HookCluster c;
  const std::string body = forgejo_push(c.second);
  const std::string mac = forge::hmac_sha256_hex("forgejo-secret", body);
  struct Row {
    std::string name, body, secret;
    std::vector<std::pair<std::string, std::string>> extra;
    int want;
  };
  const Row rows[] = {
      {"wrong secret", body, "nope", {}, 401},
      {"one byte changed", body + " ", "forgejo-secret", {{"X-Forgejo-Signature", mac}}, 401},
      {"empty signature", body, "forgejo-secret", {{"X-Forgejo-Signature", ""}}, 401},
      {"malformed", body, "forgejo-secret", {{"X-Forgejo-Signature", "xyz"}}, 400},
      {"no delivery id", body, "forgejo-secret", {{"X-Forgejo-Delivery", ""}}, 400},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(post(c, "forgejo", row.body, row.secret, "d-x", row.extra).status, row.want);
  }
  // Positive control after them: the worker serves in order, so once this run exists any run
  // the rejected deliveries had started would exist too.
  EXPECT_EQ(post(c, "forgejo", body, "forgejo-secret", "d-ok").status, 202);
  ASSERT_TRUE(c.worker_answered());
  EXPECT_EQ(c.runs().size(), 1u);
  const auto d = c.deliveries();
  ASSERT_EQ(d.size(), std::size(rows) + 1);
  for (std::size_t i = 1; i < d.size(); ++i) {
    EXPECT_EQ(d[i].outcome, DeliveryOutcome::rejected);
    EXPECT_EQ(d[i].delivery_id, "");  // an unverified id is never kept
    EXPECT_FALSE(d[i].reason.empty());
  }
}

TEST(ApiHooks, UnknownSourceIs404AndOversizeIs413BeforeTheBodyIsRead) {
  using http::test_support::body_of;
  using http::test_support::RawConnection;
  using http::test_support::status_line;
  using http::test_support::upload_head;
  HookCluster c;
  {
    RawConnection conn(c.live.port());
    ASSERT_TRUE(conn.send(upload_head("/hooks/nope", 1000)));
    const std::string raw = conn.read_until_close();
    EXPECT_EQ(status_line(raw), "HTTP/1.1 404 Not Found") << raw;
    EXPECT_EQ(wire::error_text(body_of(raw)), "no webhook source nope");
  }
  {
    RawConnection conn(c.live.port());
    ASSERT_TRUE(conn.send(upload_head("/hooks/forgejo", forge::kMaxBodyBytes + 1)));
    const std::string raw = conn.read_until_close();
    EXPECT_EQ(status_line(raw), "HTTP/1.1 413 Payload Too Large") << raw;
  }
  EXPECT_EQ(c.live.server.stats().body_bytes_read, 0u);
  const auto d = c.deliveries();
  ASSERT_EQ(d.size(), 1u);  // the unknown source has nowhere to be recorded
  EXPECT_EQ(d[0].outcome, DeliveryOutcome::rejected);
  EXPECT_EQ(d[0].reason, "body of 1048577 bytes is over the limit of 1048576 bytes");
}

TEST(ApiHooks, ARedeliveredIdIsAcknowledgedAndCreatesNothing) {
  HookCluster c;
  const std::string body = forgejo_push(c.second);
  EXPECT_EQ(post(c, "forgejo", body, "forgejo-secret", "d-1").status, 202);
  ASSERT_TRUE(c.worker_answered());
  const auto again = post(c, "forgejo", body, "forgejo-secret", "d-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("ignored: duplicate delivery d-1"), std::string::npos) << again.body;
  // Control: a new push afterwards is served, and only it adds a run.
  EXPECT_EQ(post(c, "forgejo", forgejo_push(c.first), "forgejo-secret", "d-2").status, 202);
  ASSERT_TRUE(c.worker_answered());
  EXPECT_EQ(c.runs().size(), 2u);
}

TEST(ApiHooks, OnePushViaCanonicalAndMirrorInEitherOrderIsOneRun) {
  for (const bool canonical_first : {true, false}) {
    SCOPED_TRACE(canonical_first ? "canonical first" : "mirror first");
    HookCluster c;
    const auto canonical = [&] {
      return post(c, "forgejo", forgejo_push(c.second), "forgejo-secret", "f-1");
    };
    const auto mirror = [&] {
      return post(c, "github", github_push(c.second), "github-secret", "g-1");
    };
    if (canonical_first) {
      EXPECT_EQ(canonical().status, 202);
      const auto m = mirror();
      EXPECT_EQ(m.status, 200);
      EXPECT_NE(m.body.find("already has run"), std::string::npos) << m.body;
    } else {
      const auto m = mirror();
      EXPECT_EQ(m.status, 200);
      EXPECT_NE(m.body.find("ignored: mirror source github never applies"), std::string::npos)
          << m.body;
      EXPECT_EQ(canonical().status, 202);
    }
    ASSERT_TRUE(wait_until([&] { return !c.runs().empty(); }));
    // Control: a later push still runs, so the mirror's delivery had its chance to add one.
    EXPECT_EQ(post(c, "forgejo", forgejo_push(c.first), "forgejo-secret", "f-2").status, 202);
    ASSERT_TRUE(c.worker_answered());
    EXPECT_EQ(c.runs().size(), 2u);
  }
}

TEST(ApiHooks, CanonicalAndMirrorDeliveringAtOnceMakeOneRun) {
  HookCluster c;
  Answer canonical, mirror;
  std::thread a(
      [&] { canonical = post(c, "forgejo", forgejo_push(c.second), "forgejo-secret", "f-1"); });
  std::thread b([&] { mirror = post(c, "github", github_push(c.second), "github-secret", "g-1"); });
  a.join();
  b.join();
  EXPECT_EQ(canonical.status, 202) << canonical.body;
  EXPECT_EQ(mirror.status, 200) << mirror.body;
  EXPECT_EQ(post(c, "forgejo", forgejo_push(c.first), "forgejo-secret", "f-2").status, 202);
  ASSERT_TRUE(c.worker_answered());
  EXPECT_EQ(c.runs().size(), 2u);
}

TEST(ApiHooks, ASenderOutsideTheAllowlistIsDeniedWithoutARun) {
  core::RepoGuards g;
  g.senders[core::ForgeKind::forgejo] = {"999"};  // the payload's sender is gordon, id 1
  HookCluster c(g);
  const auto a = post(c, "forgejo", forgejo_push(c.second), "forgejo-secret", "f-1");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.body.find("\"outcome\":\"denied\""), std::string::npos) << a.body;
  const auto d = c.deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].outcome, DeliveryOutcome::denied);
  EXPECT_EQ(d[0].reason, "denied: sender not allowed");
  EXPECT_TRUE(c.runs().empty());
}

TEST(ApiHooks, AMirrorOnlyPushStartsNothingAndSaysWhy) {
  HookCluster c;
  const auto m = post(c, "github", github_push(c.second), "github-secret", "g-1");
  EXPECT_EQ(m.status, 200);
  const auto d = c.deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].outcome, DeliveryOutcome::ignored);
  EXPECT_EQ(d[0].reason, "ignored: mirror source github never applies");
  EXPECT_FALSE(d[0].holds_key);
  EXPECT_EQ(post(c, "forgejo", forgejo_push(c.first), "forgejo-secret", "f-1").status, 202);
  ASSERT_TRUE(c.worker_answered());
  EXPECT_EQ(c.runs().size(), 1u);
  EXPECT_EQ(c.runs()[0].commit_sha, c.first);
}

TEST(ApiHooks, TagPushesBranchDeletionsAndOtherEventsAreIgnored) {
  HookCluster c;
  struct Row {
    std::string body, event, want_reason;
  };
  const Row rows[] = {
      {forgejo_push(c.second, "refs/tags/v1"), "push", "ignored: tag push"},
      {forgejo_push(kZeros), "push", "ignored: branch deletion"},
      {forgejo_push(c.second), "issues", "ignored: not a push event"},
  };
  int n = 0;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.want_reason);
    const auto a = post(c, "forgejo", row.body, "forgejo-secret", "d-" + std::to_string(++n),
                        {{"X-Forgejo-Event", row.event}});
    EXPECT_EQ(a.status, 200) << a.body;
    const auto d = c.deliveries();
    ASSERT_FALSE(d.empty());
    EXPECT_EQ(d.front().outcome, DeliveryOutcome::ignored);
    EXPECT_EQ(d.front().reason, row.want_reason);
  }
  EXPECT_EQ(post(c, "forgejo", forgejo_push(c.first), "forgejo-secret", "d-ok").status, 202);
  ASSERT_TRUE(c.worker_answered());
  EXPECT_EQ(c.runs().size(), 1u);
}

TEST(ApiHooks, AWorkerFailureIsRecordedAndReleasesThePush) {
  HookCluster c;
  const std::string missing(40, 'f');
  EXPECT_EQ(post(c, "forgejo", forgejo_push(missing), "forgejo-secret", "d-1").status, 202);
  ASSERT_TRUE(c.worker_answered());
  const auto d = c.deliveries();
  EXPECT_FALSE(d[0].error.empty());
  EXPECT_FALSE(d[0].run_id);
  EXPECT_FALSE(d[0].holds_key);
  EXPECT_TRUE(c.runs().empty());
}

}  // namespace
}  // namespace stackrun::server
