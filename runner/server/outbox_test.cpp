// The outbox rows a run's life leaves, through the real coordinator over a real SQLite file:
// a commit status per run status, and notifications for a failed run, a lock skip and a
// recovered stack; nothing for a repo without targets. Plus the rules read from a config.
#include "runner/server/outbox.hpp"

#include <gtest/gtest.h>

#include "runner/server/coordinator.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

using Kind = store::Store::OutboxKind;
const std::string kSha(40, 'a');
const std::string kStatusUrl = "http://127.0.0.1:9/api/v1/repos/acme/infra/statuses/" + kSha;
const std::string kHook = "http://127.0.0.1:9/hook";

struct Fixture {
  testing::TempDir dir{"stackrun-outbox-rules"};
  store::Store st{(dir.path() / "db.sqlite").string()};
  Millis now = 1'000'000;
  store::AgentRow agent;
  Id repo = 0;
  OutboxRules rules;
  Coordinator coord;

  explicit Fixture(const std::string& repo_name = "infra")
      : coord(
            st, options(), [this] { return now; }, [] { return 0.5; }) {
    rules["infra"] = RepoOutbox{
        core::ForgeRepo{core::ForgeKind::forgejo, "http://127.0.0.1:9/api/v1", "acme", "infra"},
        "infra-forgejo",
        {kHook}};
    auto tx = st.begin();
    repo = st.upsert_repo(repo_name, "/nonexistent", "master", now);
    agent.id = st.create_agent("a1", "hash-a1", "", 1, now);
    agent.name = "a1";
    tx.commit();
  }

  CoordinatorOptions options() {
    CoordinatorOptions o{60'000, 10'000};
    o.on_change = [this](store::Store& s, Id run, const core::Effects* fx, Millis t) {
      enqueue_outbox(s, rules, run, fx, t);
    };
    return o;
  }

  Id create_run() {
    store::NewRun r;
    r.repo_id = repo;
    r.pipeline = "apply";
    r.pipeline_file = ".stackrun/apply.yml";
    r.event = "push";
    r.ref = "refs/heads/master";
    r.commit_sha = kSha;
    r.policy.lock.wait = core::Duration(0);  // a lock skips at once
    store::NewJob j;
    j.stack = "stacks/a";
    j.label = "a";
    j.tier = "all";
    r.jobs.push_back(j);
    return coord.create_runs({r}).front();
  }

  // Claims, starts and finishes the only claimable job with `cls`.
  void run_job(core::Class cls) {
    auto claimed = coord.claim(agent);
    ASSERT_TRUE(claimed);
    ASSERT_EQ(coord.start(agent, claimed->attempt.id, claimed->attempt.epoch).outcome, Outcome::ok);
    FinishReport r;
    r.attempt_id = claimed->attempt.id;
    r.epoch = claimed->attempt.epoch;
    r.facts.exit_code = cls == core::Class::success ? 0 : 1;
    r.facts.verdict.cls = cls;
    r.facts.verdict.rule = "r";
    if (cls == core::Class::lock) {
      r.facts.verdict.lock.emplace();
      r.facts.verdict.lock->id = "L1";
      r.facts.verdict.lock->who = "bob";
    }
    ASSERT_EQ(coord.finish(agent, r), Outcome::ok);
  }

  // "<kind> <target>: <body>" per row of the run, in order.
  std::vector<std::string> rows(Id run) {
    std::vector<std::string> out;
    for (const auto& r : st.outbox_of_run(run))
      out.push_back(std::string(r.kind == Kind::commit_status ? "status " : "notify ") + r.target +
                    " " + r.source + ": " + r.body);
    return out;
  }
};

std::string status_row(const std::string& state, const std::string& description) {
  return "status " + kStatusUrl + " infra-forgejo: {\"state\":\"" + state +
         "\",\"description\":\"" + description + "\",\"context\":\"stackrun/apply\"}";
}

TEST(Outbox, AFailedRunSendsItsStatusesAndOneNotification) {
  Fixture f;
  const Id run = f.create_run();
  ASSERT_EQ(f.rows(run),
            (std::vector<std::string>{status_row("pending", "run 1 queued: stackrun logs 1 -f")}));
  f.run_job(core::Class::fatal);
  EXPECT_EQ(
      f.rows(run),
      (std::vector<std::string>{
          status_row("pending", "run 1 queued: stackrun logs 1 -f"),
          status_row("pending", "run 1 running: stackrun logs 1 -f"),
          status_row("failure", "run 1 failed (0 ok, 0 skipped, 1 failed): stackrun logs 1 -f"),
          "notify " + kHook +
              " : {\"text\":\"stackrun: run 1 of infra (apply, master at aaaaaaaaaaaa) "
              "failed: 0 ok, 0 skipped, 1 failed. Logs: stackrun logs 1\"}",
      }));
}

TEST(Outbox, ARecoveredStackIsToldAfterItsNextSuccess) {
  Fixture f;
  const Id failed = f.create_run();
  f.run_job(core::Class::fatal);
  const Id ok = f.create_run();
  f.run_job(core::Class::success);
  const auto rows = f.rows(ok);
  ASSERT_EQ(rows.size(), 4u) << ::testing::PrintToString(rows);
  EXPECT_EQ(rows[2],
            status_row("success", "run 2 success (1 ok, 0 skipped, 0 failed): stackrun logs 2 -f"));
  EXPECT_EQ(rows[3], "notify " + kHook +
                         " : {\"text\":\"stackrun: run 2 of infra (apply, master at "
                         "aaaaaaaaaaaa): stacks/a recovered: applied successfully after its "
                         "previous apply failed\"}");
  // A third success recovers nothing.
  const Id again = f.create_run();
  f.run_job(core::Class::success);
  for (const auto& r : f.rows(again)) EXPECT_EQ(r.find("recovered"), std::string::npos) << r;
  EXPECT_EQ(f.st.outbox_of_run(failed).size(), 4u);
}

TEST(Outbox, ALockSkipIsToldWithWhoHoldsTheLock) {
  Fixture f;
  const Id run = f.create_run();
  f.run_job(core::Class::lock);
  const auto rows = f.rows(run);
  std::vector<std::string> notes;
  for (const auto& r : rows)
    if (r.starts_with("notify")) notes.push_back(r);
  EXPECT_EQ(notes, (std::vector<std::string>{
                       "notify " + kHook +
                       " : {\"text\":\"stackrun: run 1 of infra (apply, master at aaaaaaaaaaaa): "
                       "stacks/a skipped, its state is locked by bob (lock ID L1). Logs: "
                       "stackrun logs 1\"}"}));
}

TEST(Outbox, ARepoWithoutTargetsEnqueuesNothing) {
  Fixture f("other");
  const Id run = f.create_run();
  f.run_job(core::Class::fatal);
  EXPECT_TRUE(f.rows(run).empty());
}

TEST(Outbox, NotifyOnlyRepoSendsNoStatuses) {
  Fixture f;
  f.rules["infra"].forge.reset();
  const Id run = f.create_run();
  f.run_job(core::Class::fatal);
  const auto rows = f.rows(run);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].starts_with("notify ")) << rows[0];
}

TEST(OutboxRules, StatusesOnlyFromACanonicalSourceWithATokenAndAKnownApi) {
  config::ServerConfig c;
  auto source = [](std::string name, core::SourceRole role, std::string url, bool token,
                   std::string api = "") {
    config::Source s;
    s.name = std::move(name);
    s.kind = core::ForgeKind::gitea;
    s.role = role;
    s.clone_url = std::move(url);
    if (token) s.token = config::Secret("t", "env T");
    s.api_url = std::move(api);
    return s;
  };
  config::Repo a;  // canonical with a token: statuses
  a.name = "a";
  a.sources = {source("a-gitea", core::SourceRole::canonical, "https://g.example/o/a.git", true),
               source("a-gh", core::SourceRole::mirror, "https://github.com/o/a.git", true)};
  config::Repo b;  // no token, notify only
  b.name = "b";
  b.sources = {source("b-gitea", core::SourceRole::canonical, "https://g.example/o/b.git", false)};
  b.notify = {"https://hooks.example/x"};
  config::Repo c_repo;  // a token but a clone URL whose API cannot be told: warned
  c_repo.name = "c";
  c_repo.sources = {source("c-gitea", core::SourceRole::canonical, "git@g:o/c.git", true)};
  config::Repo d;  // nothing to send
  d.name = "d";
  d.sources = {source("d-gitea", core::SourceRole::canonical, "/srv/d", false)};
  c.repos = {a, b, c_repo, d};
  std::vector<std::string> warnings;
  const auto rules = outbox_rules(c, warnings);
  ASSERT_EQ(rules.size(), 2u);
  ASSERT_TRUE(rules.at("a").forge);
  EXPECT_EQ(rules.at("a").forge->api, "https://g.example/api/v1");
  EXPECT_EQ(rules.at("a").source, "a-gitea");
  EXPECT_FALSE(rules.at("b").forge);
  EXPECT_EQ(rules.at("b").notify, (std::vector<std::string>{"https://hooks.example/x"}));
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "repo c: no commit statuses: cannot derive the forge API URL from "
                          "clone URL \"git@g:o/c.git\"; set \"api_url\""}));
}

}  // namespace
}  // namespace stackrun::server
