#include "runner/core/notify.hpp"

#include <gtest/gtest.h>

namespace stackrun::core {
namespace {

const RunRef kRun{42, "infra", "apply", "0123456789abcdef0123", "refs/heads/master"};

TEST(CommitState, EachRunStatusMapsToTheForgeState) {
  const struct {
    RunStatus run;
    CommitState want;
  } rows[] = {
      {RunStatus::queued, CommitState::pending},  {RunStatus::running, CommitState::pending},
      {RunStatus::success, CommitState::success}, {RunStatus::failed, CommitState::failure},
      {RunStatus::cancelled, CommitState::error}, {RunStatus::superseded, CommitState::error},
  };
  for (const auto& r : rows) EXPECT_EQ(commit_state(r.run), r.want) << to_string(r.run);
}

TEST(CommitStatus, NamesThePipelineTheRunAndTheCommandToFollowIt) {
  const struct {
    RunStatus status;
    std::string summary, state, description;
  } rows[] = {
      {RunStatus::queued, "", "pending", "run 42 queued: stackrun logs 42 -f"},
      {RunStatus::running, "", "pending", "run 42 running: stackrun logs 42 -f"},
      {RunStatus::success, "2 ok, 0 skipped, 0 failed", "success",
       "run 42 success (2 ok, 0 skipped, 0 failed): stackrun logs 42 -f"},
      {RunStatus::failed, "1 ok, 0 skipped, 1 failed", "failure",
       "run 42 failed (1 ok, 0 skipped, 1 failed): stackrun logs 42 -f"},
      {RunStatus::cancelled, "0 ok, 0 skipped, 0 failed, 2 cancelled", "error",
       "run 42 cancelled (0 ok, 0 skipped, 0 failed, 2 cancelled): stackrun logs 42 -f"},
  };
  for (const auto& r : rows) {
    const auto s = commit_status(kRun, r.status, r.summary);
    EXPECT_EQ(to_string(s.state), r.state);
    EXPECT_EQ(s.context, "stackrun/apply");
    EXPECT_EQ(s.description, r.description);
    EXPECT_EQ(s.target_url, "");
  }
  EXPECT_EQ(commit_status(kRun, RunStatus::queued, "", "https://ci/runs/42").target_url,
            "https://ci/runs/42");
}

TEST(CommitStatus, ALongSummaryIsCutToTheForgeLimit) {
  const auto s = commit_status(kRun, RunStatus::failed, std::string(300, 'x'));
  EXPECT_EQ(s.description.size(), kMaxStatusDescription);
  EXPECT_TRUE(s.description.ends_with("...): stackrun logs 42 -f")) << s.description;
}

TEST(ChatMessage, Texts) {
  EXPECT_EQ(failed_run_message(kRun, "1 ok, 0 skipped, 1 failed").text,
            "stackrun: run 42 of infra (apply, master at 0123456789ab) failed: 1 ok, 0 skipped, "
            "1 failed. Logs: stackrun logs 42");
  LockInfo lock;
  lock.id = "4f6c";
  lock.who = "ci@r1";
  EXPECT_EQ(lock_skip_message(kRun, "stacks/dbaas", lock).text,
            "stackrun: run 42 of infra (apply, master at 0123456789ab): stacks/dbaas skipped, "
            "its state is locked by ci@r1 (lock ID 4f6c). Logs: stackrun logs 42");
  EXPECT_EQ(lock_skip_message(kRun, "stacks/dbaas", std::nullopt).text,
            "stackrun: run 42 of infra (apply, master at 0123456789ab): stacks/dbaas skipped, "
            "its state is locked. Logs: stackrun logs 42");
  EXPECT_EQ(recovered_message(kRun, "stacks/pg").text,
            "stackrun: run 42 of infra (apply, master at 0123456789ab): stacks/pg recovered: "
            "applied successfully after its previous apply failed");
  const RunRef manual{7, "infra", "apply", "abc", ""};
  EXPECT_EQ(failed_run_message(manual, "").text,
            "stackrun: run 7 of infra (apply, abc) failed. Logs: stackrun logs 7");
}

TEST(Recovers, OnlyASuccessfulApplyAfterAFailedOrInterruptedOne) {
  using J = JobStatus;
  const struct {
    J now;
    JobKind kind;
    std::optional<J> previous;
    bool want;
  } rows[] = {
      {J::success, JobKind::apply, J::failed, true},
      {J::success, JobKind::apply, J::interrupted, true},
      {J::success, JobKind::apply, J::success, false},
      {J::success, JobKind::apply, J::drift, false},
      {J::success, JobKind::apply, std::nullopt, false},
      {J::success, JobKind::plan, J::failed, false},
      {J::drift, JobKind::apply, J::failed, false},
      {J::failed, JobKind::apply, J::failed, false},
      {J::skipped, JobKind::apply, J::failed, false},
  };
  for (const auto& r : rows)
    EXPECT_EQ(recovers(r.now, r.kind, r.previous), r.want)
        << to_string(r.now) << " after " << (r.previous ? to_string(*r.previous) : "none");
}

TEST(ForgeBaseUrl, DropsOwnerRepoCredentialsAndQuery) {
  const struct {
    std::string clone, want;
  } rows[] = {
      {"https://git.example.com/infra/live.git", "https://git.example.com"},
      {"https://git.example.com/infra/live", "https://git.example.com"},
      {"https://git.example.com/infra/live/", "https://git.example.com"},
      {"https://bot@git.example.com:8443/gitea/infra/live.git?x=1",
       "https://git.example.com:8443/gitea"},
      {"http://127.0.0.1:3000/o/r.git", "http://127.0.0.1:3000"},
      {"https://github.com/acme/infra.git", "https://github.com"},
      {"https://git.example.com/live.git", ""},
      {"git@github.com:acme/infra.git", ""},
      {"ssh://git@host/acme/infra.git", ""},
      {"/srv/git/acme/infra", ""},
      {"", ""},
  };
  for (const auto& r : rows) EXPECT_EQ(forge_base_url(r.clone), r.want) << r.clone;
}

TEST(ForgeRepo, OwnerNameAndApiFromTheCloneUrl) {
  using K = ForgeKind;
  const struct {
    K kind;
    std::string clone, api_url;
    std::string want_api, owner, name;  // want_api "" = an error
  } rows[] = {
      {K::github, "https://github.com/acme/infra.git", "", "https://api.github.com", "acme",
       "infra"},
      {K::github, "https://ghe.example.com/acme/infra.git", "", "https://ghe.example.com/api/v3",
       "acme", "infra"},
      {K::gitea, "https://gitea.example.com/acme/infra.git", "", "https://gitea.example.com/api/v1",
       "acme", "infra"},
      {K::forgejo, "https://code.example.com/sub/acme/infra", "",
       "https://code.example.com/sub/api/v1", "acme", "infra"},
      {K::forgejo, "git@code.example.com:acme/infra.git", "https://code.example.com/api/v1/",
       "https://code.example.com/api/v1", "acme", "infra"},
      {K::forgejo, "/srv/git/acme/infra", "http://127.0.0.1:9/api/v1", "http://127.0.0.1:9/api/v1",
       "acme", "infra"},
      {K::forgejo, "git@code.example.com:acme/infra.git", "", "", "", ""},
      {K::forgejo, "https://code.example.com/infra.git", "https://x/api/v1", "", "", ""},
  };
  for (const auto& r : rows) {
    const auto got = forge_repo(r.kind, r.clone, r.api_url);
    if (r.want_api.empty()) {
      EXPECT_FALSE(got.ok()) << r.clone;
      continue;
    }
    ASSERT_TRUE(got.ok()) << r.clone << ": " << got.error();
    EXPECT_EQ(got->api, r.want_api) << r.clone;
    EXPECT_EQ(got->owner, r.owner) << r.clone;
    EXPECT_EQ(got->name, r.name) << r.clone;
  }
  EXPECT_EQ(forge_repo(K::gitea, "git@h:o/r.git", "").error(),
            "cannot derive the forge API URL from clone URL \"git@h:o/r.git\"; set \"api_url\"");
  EXPECT_EQ(forge_repo(K::gitea, "https://h/r.git", "").error(),
            "cannot tell owner and repo from clone URL \"https://h/r.git\" (expected "
            ".../OWNER/REPO)");
}

TEST(ForgeRepo, StatusUrlAndAuthorizationPerForge) {
  const ForgeRepo gh{ForgeKind::github, "https://api.github.com", "acme", "infra"};
  EXPECT_EQ(status_url(gh, "abc"), "https://api.github.com/repos/acme/infra/statuses/abc");
  EXPECT_EQ(authorization(ForgeKind::github, "t0k"), "Bearer t0k");
  EXPECT_EQ(authorization(ForgeKind::gitea, "t0k"), "token t0k");
  EXPECT_EQ(authorization(ForgeKind::forgejo, "t0k"), "token t0k");
}

TEST(OutboundUrl, HttpsOrLoopbackHttpOnly) {
  const struct {
    std::string url;
    bool want;
  } rows[] = {
      {"https://hooks.slack.com/services/T/B/x", true},
      {"http://127.0.0.1:8080/hook", true},
      {"http://localhost/hook", true},
      {"http://[::1]:9/x", true},
      {"http://127.0.0.1", true},
      {"http://127.0.0.1.evil.com/x", false},
      {"http://localhost.evil.com/x", false},
      {"http://hooks.slack.com/x", false},
      {"https://", false},
      {"ftp://x/y", false},
      {"", false},
  };
  for (const auto& r : rows) EXPECT_EQ(outbound_url_allowed(r.url), r.want) << r.url;
}

TEST(RedactUrl, KeepsSchemeAndHostOnly) {
  EXPECT_EQ(redact_url("https://hooks.slack.com/services/T/B/secret"), "https://hooks.slack.com/…");
  EXPECT_EQ(redact_url("https://user:pw@h:8443/x?y"), "https://h:8443/…");
  EXPECT_EQ(redact_url("http://127.0.0.1:9"), "http://127.0.0.1:9");
  EXPECT_EQ(redact_url("nonsense"), "(not a URL)");
}

TEST(RetryDelay, DoublesFromTenSecondsToAQuarterHourWithJitter) {
  const std::int64_t mid[] = {10'000,  20'000,  40'000,  80'000,  160'000,
                              320'000, 640'000, 900'000, 900'000, 900'000};
  std::int64_t total = 0;
  for (int n = 1; n <= 10; ++n) {
    EXPECT_EQ(retry_delay_ms(n, 0.5), mid[n - 1]) << n;
    EXPECT_EQ(retry_delay_ms(n, 0.0), mid[n - 1] * 8 / 10) << n;
    EXPECT_EQ(retry_delay_ms(n, 1.0), mid[n - 1] * 12 / 10) << n;
    if (n < kMaxSendAttempts) total += mid[n - 1];
  }
  EXPECT_EQ(retry_delay_ms(1000, 0.5), kRetryCapMs);
  // The last of kMaxSendAttempts tries comes within the hour of the first.
  EXPECT_LT(total, 3'600'000);
  EXPECT_GT(total, 45 * 60'000);
}

TEST(ClassifySend, RetriesWhatMayPassGivesUpOnTheRest) {
  const struct {
    std::optional<int> status;
    SendOutcome want;
  } rows[] = {
      {200, SendOutcome::sent},           {201, SendOutcome::sent},    {204, SendOutcome::sent},
      {std::nullopt, SendOutcome::retry}, {408, SendOutcome::retry},   {429, SendOutcome::retry},
      {500, SendOutcome::retry},          {502, SendOutcome::retry},   {503, SendOutcome::retry},
      {301, SendOutcome::give_up},        {400, SendOutcome::give_up}, {401, SendOutcome::give_up},
      {404, SendOutcome::give_up},        {422, SendOutcome::give_up},
  };
  for (const auto& r : rows)
    EXPECT_EQ(classify_send(r.status), r.want) << (r.status ? *r.status : 0);
}

}  // namespace
}  // namespace stackrun::core
