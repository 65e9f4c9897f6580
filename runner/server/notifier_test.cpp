// The notifier over a real SQLite file: passes driven directly with a fake clock and a fake
// Send (order per target, retry schedule, give-ups, tokens), the thread woken by wake(), and
// http_send against a real receiver on 127.0.0.1.
#include "runner/server/notifier.hpp"

#include <gtest/gtest.h>

#include "runner/core/notify.hpp"
#include "runner/http/http_test_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

using Kind = store::Store::OutboxKind;
using store::Id;
using State = store::Store::OutboxState;
using http::test_support::wait_until;

std::shared_ptr<const config::ServerConfig> config_with_token() {
  config::Source s;
  s.name = "infra-gh";
  s.kind = core::ForgeKind::github;
  s.clone_url = "https://github.com/acme/infra.git";
  s.token = config::Secret("ghp_SECRET", "env GH_TOKEN");
  config::Repo r;
  r.name = "infra";
  r.sources = {s};
  auto c = std::make_shared<config::ServerConfig>();
  c->repos = {r};
  return c;
}

struct Fixture {
  testing::TempDir dir{"stackrun-notifier"};
  std::string path = (dir.path() / "db.sqlite").string();
  store::Store st{path};
  store::Millis now = 1'000'000;
  std::mutex mu;
  std::vector<SendRequest> sent;            // every request, in order
  std::vector<std::optional<int>> answers;  // answered in turn; then 201
  std::vector<std::string> logs;
  Notifier n{path,
             config_with_token(),
             [this](const SendRequest& r) -> SendAnswer {
               std::lock_guard lock(mu);
               sent.push_back(r);
               if (answers.empty()) return {201, ""};
               const auto a = answers.front();
               answers.erase(answers.begin());
               return {a, a ? "" : "connection refused"};
             },
             {.clock = [this] { return now; },
              .jitter = [] { return 0.5; },
              .log =
                  [this](const std::string& l) {
                    std::lock_guard lock(mu);
                    logs.push_back(l);
                  }}};

  Id add(const std::string& target, const std::string& body, Kind kind = Kind::notify,
         const std::string& source = "") {
    auto tx = st.begin();
    const Id id = st.insert_outbox({kind, std::nullopt, target, source, body}, now);
    tx.commit();
    return id;
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& r : sent) out.push_back(r.body);
    return out;
  }
};

TEST(Notifier, SendsEachTargetsRowsInOrder) {
  Fixture f;
  f.add("http://127.0.0.1:9/a", "a1");
  f.add("http://127.0.0.1:9/b", "b1");
  f.add("http://127.0.0.1:9/a", "a2");
  EXPECT_EQ(f.n.pass(), f.now);  // sent something: look again at once
  EXPECT_EQ(f.bodies(), (std::vector<std::string>{"a1", "b1"}));
  EXPECT_EQ(f.n.pass(), f.now);
  EXPECT_EQ(f.bodies(), (std::vector<std::string>{"a1", "b1", "a2"}));
  EXPECT_EQ(f.n.pass(), std::nullopt);  // nothing pending
  EXPECT_EQ(f.sent[0].authorization, "");
  for (Id id = 1; id <= 3; ++id) {
    EXPECT_EQ(f.st.outbox_row(id)->state, State::sent);
    EXPECT_EQ(f.st.outbox_row(id)->sent_at, f.now);
  }
}

TEST(Notifier, A5xxIsRetriedWithBackoffAndHoldsItsTargetsLaterRows) {
  Fixture f;
  f.answers = {500, std::nullopt, 429};
  const Id first = f.add("http://127.0.0.1:9/a", "a1");
  f.add("http://127.0.0.1:9/a", "a2");
  const store::Millis start = f.now;
  // Each failed try waits retry_delay_ms(tries, 0.5): 10 s, 20 s, 40 s.
  for (const store::Millis wait : {10'000, 20'000, 40'000}) {
    EXPECT_EQ(f.n.pass(), f.now);
    EXPECT_EQ(f.n.pass(), f.now + wait);
    EXPECT_EQ(f.st.outbox_row(first)->state, State::pending);
    f.now += wait;
  }
  EXPECT_EQ(f.st.outbox_row(first)->last_error, "HTTP 429");
  EXPECT_EQ(f.st.outbox_row(first)->attempts, 3);
  EXPECT_EQ(f.n.pass(), f.now);
  EXPECT_EQ(f.n.pass(), f.now);
  EXPECT_EQ(f.bodies(), (std::vector<std::string>{"a1", "a1", "a1", "a1", "a2"}));
  EXPECT_EQ(f.st.outbox_row(first)->state, State::sent);
  EXPECT_EQ(f.st.outbox_row(first)->attempts, 4);
  EXPECT_EQ(f.now - start, 70'000);
  EXPECT_TRUE(f.logs.empty());
}

TEST(Notifier, A4xxGivesUpAtOnceWithOneLogLineThatHidesTheUrlPath) {
  Fixture f;
  f.answers = {404};
  const Id id = f.add("https://hooks.example/services/T0/B0/SECRETPATH", "x");
  f.n.pass();
  const auto row = *f.st.outbox_row(id);
  EXPECT_EQ(row.state, State::dead);
  EXPECT_EQ(row.last_error, "HTTP 404");
  EXPECT_EQ(f.logs, (std::vector<std::string>{"gave up on notification 1 to "
                                              "https://hooks.example/… after 1 try: HTTP 404"}));
}

TEST(Notifier, GivesUpAfterTheLastAllowedTry) {
  Fixture f;
  f.answers.assign(core::kMaxSendAttempts, 503);
  const Id id = f.add("http://127.0.0.1:9/a", "x");
  for (int i = 0; i < core::kMaxSendAttempts; ++i) {
    f.n.pass();
    f.now += core::kRetryCapMs * 2;
  }
  EXPECT_EQ(f.sent.size(), static_cast<std::size_t>(core::kMaxSendAttempts));
  EXPECT_EQ(f.st.outbox_row(id)->state, State::dead);
  EXPECT_EQ(f.logs.size(), 1u);
  EXPECT_EQ(f.n.pass(), std::nullopt);
}

TEST(Notifier, CommitStatusesCarryTheSourcesTokenNeverStoredOrLogged) {
  Fixture f;
  f.add("http://127.0.0.1:9/repos/acme/infra/statuses/abc", "{}", Kind::commit_status, "infra-gh");
  const Id orphan =
      f.add("http://127.0.0.1:9/repos/x/y/statuses/abc", "{}", Kind::commit_status, "gone");
  f.n.pass();
  ASSERT_EQ(f.sent.size(), 1u);  // the orphan is never sent
  EXPECT_EQ(f.sent[0].authorization, "Bearer ghp_SECRET");
  const auto row = *f.st.outbox_row(orphan);
  EXPECT_EQ(row.state, State::dead);
  EXPECT_EQ(row.last_error, "source gone has no API token in the server configuration");
  ASSERT_EQ(f.logs.size(), 1u);
  EXPECT_EQ(f.logs[0].find("ghp_SECRET"), std::string::npos);
}

TEST(Notifier, PlainHttpOffLoopbackIsNeverSent) {
  Fixture f;
  const Id id = f.add("http://hooks.example/x", "x");
  f.n.pass();
  EXPECT_TRUE(f.sent.empty());
  EXPECT_EQ(f.st.outbox_row(id)->state, State::dead);
}

TEST(Notifier, TheThreadSendsWhenWokenAndStops) {
  Fixture f;
  f.n.start();
  f.add("http://127.0.0.1:9/a", "woken");
  f.n.wake();
  EXPECT_TRUE(wait_until([&] { return f.bodies().size() == 1; }));
  f.n.stop();
  EXPECT_EQ(f.bodies(), (std::vector<std::string>{"woken"}));
}

TEST(HttpSend, PostsJsonWithTheHeadersAndFollowsNoRedirect) {
  http::test_support::LiveServer receiver;
  std::mutex mu;
  std::vector<http::Request> got;
  receiver.server.route("POST", "/hook", [&](const http::Request& r, http::Reply reply) {
    std::lock_guard lock(mu);
    got.push_back(r);
    reply(http::Response{204, "", "", {}});
  });
  receiver.server.route("POST", "/moved", [&](const http::Request&, http::Reply reply) {
    reply(http::Response{302, "text/plain", "", {{"Location", "/hook"}}});
  });
  ASSERT_EQ(receiver.start(), "");
  const Send send = http_send(nullptr);
  auto a = send({receiver.url() + "/hook", "{\"text\":\"hi\"}", "token t0k"});
  EXPECT_EQ(a.status, 204) << a.error;
  auto b = send({receiver.url() + "/moved", "{}", ""});
  EXPECT_EQ(b.status, 302);
  std::lock_guard lock(mu);
  ASSERT_EQ(got.size(), 1u);  // the redirect was not followed
  EXPECT_EQ(got[0].body, "{\"text\":\"hi\"}");
  EXPECT_EQ(got[0].header("authorization"), "token t0k");
  EXPECT_EQ(got[0].header("user-agent"), "stackrun");
  EXPECT_EQ(got[0].header("content-type"), "application/json");
}

TEST(HttpSend, NoAnswerIsAnErrorWithoutTheUrl) {
  http::test_support::LiveServer closed;
  ASSERT_EQ(closed.start(), "");
  const std::string url = closed.url() + "/secret-path";
  closed.server.stop();
  ASSERT_TRUE(closed.wait_stopped());
  const auto a = http_send(nullptr)({url, "{}", ""});
  EXPECT_FALSE(a.status);
  EXPECT_FALSE(a.error.empty());
  EXPECT_EQ(a.error.find("secret-path"), std::string::npos) << a.error;
  EXPECT_EQ(http_send(nullptr)({"http://example.com/x", "{}", ""}).error,
            "refused: not https (http only to loopback)");
}

}  // namespace
}  // namespace stackrun::server
