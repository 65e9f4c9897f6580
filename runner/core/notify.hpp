#pragma once
// Commit statuses and chat notifications as data (pure): what a run's changes tell the forge
// and the repo's notify URLs, where a forge's API lives, and how an outbox row is retried.
// The server enqueues these in the store transaction of the change (server/outbox.hpp) and
// its notifier sends them (server/notifier.hpp); JSON is the wire module's, HTTP the notifier's.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runner/core/forge_guards.hpp"
#include "runner/core/result.hpp"
#include "runner/core/status.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::core {

// ---------------------------------------------------------------- commit statuses

// The states GitHub, Gitea and Forgejo all accept.
enum class CommitState { pending, success, failure, error };
std::string_view to_string(CommitState s);

// queued, running -> pending; success -> success; failed -> failure; cancelled and superseded
// -> error: the commit was not judged.
CommitState commit_state(RunStatus s);

// What the notifications say about a run.
struct RunRef {
  std::int64_t id = 0;
  std::string repo, pipeline, commit, ref;
};

// The body of POST {api}/repos/{owner}/{repo}/statuses/{sha} (the same on all three forges).
struct CommitStatus {
  CommitState state = CommitState::pending;
  std::string context;      // "stackrun/<pipeline>"
  std::string description;  // "run 42 success (2 ok, ...): stackrun logs 42 -f", <= 140 bytes
  std::string target_url;   // "" = none (left out of the body)
  bool operator==(const CommitStatus&) const = default;
};

// The longest description sent (GitHub refuses longer ones): a long summary is cut to fit.
inline constexpr std::size_t kMaxStatusDescription = 140;

// The status of `run` now in `status`; `summary` is the run's summary once it ended ("" before).
CommitStatus commit_status(const RunRef& run, RunStatus status, const std::string& summary,
                           const std::string& target_url = "");

// ---------------------------------------------------------------- chat notifications

// "run 42 of infra (apply, master at 0123456789ab)": how every message names a run.
std::string run_words(const RunRef& run);

// A Slack-compatible incoming-webhook message: POST {"text": ...}.
struct ChatMessage {
  std::string text;
  bool operator==(const ChatMessage&) const = default;
};

// A run ended failed (or was corrected to failed by a late report).
ChatMessage failed_run_message(const RunRef& run, const std::string& summary);
// Job `stack` was skipped because its state stayed locked (`lock`: Terraform's Lock Info).
ChatMessage lock_skip_message(const RunRef& run, const std::string& stack,
                              const std::optional<LockInfo>& lock);
// Job `stack` succeeded after the stack's previous decided apply had failed (see recovers()).
ChatMessage recovered_message(const RunRef& run, const std::string& stack);

// A stack recovers when an apply of it ends success and the stack's previous apply job that
// reached a decision (success, drift, failed or interrupted: skipped, cancelled and
// superseded jobs decided nothing) ended failed or interrupted. `previous`: that job's status,
// nullopt when the stack has none.
bool recovers(JobStatus now, JobKind kind, std::optional<JobStatus> previous);

// ---------------------------------------------------------------- forges

// Where a repo's forge API is and who the repo is there.
struct ForgeRepo {
  ForgeKind kind = ForgeKind::forgejo;
  std::string api;  // API base without a trailing '/': https://api.github.com, https://h/api/v1
  std::string owner, name;
  bool operator==(const ForgeRepo&) const = default;
};

// The forge's base URL from a repo's http(s) clone URL: the clone URL without credentials,
// query, and its last two path segments (owner/repo[.git]): https://git.example.com for
// https://git.example.com/infra/live.git. "" for anything else (a path, scp-like ssh).
std::string forge_base_url(std::string_view clone_url);

// The repo on its forge: owner and name are the clone URL's last two path segments (".git"
// dropped; an http(s) URL, ssh://, scp-like host:owner/repo or a local path). The API base is
// `api_url` when given, else derived from an http(s) clone URL: github.com ->
// https://api.github.com, another GitHub host -> <base>/api/v3, Gitea/Forgejo -> <base>/api/v1.
// Fails naming what is missing.
Result<ForgeRepo> forge_repo(ForgeKind kind, std::string_view clone_url, std::string_view api_url);

// POST target of a commit status for `sha`.
std::string status_url(const ForgeRepo& repo, std::string_view sha);
// The Authorization header value: "Bearer <token>" (GitHub), "token <token>" (Gitea, Forgejo).
std::string authorization(ForgeKind kind, std::string_view token);

// True for https:// URLs and for http:// to 127.0.0.1, [::1] or localhost (any port).
bool outbound_url_allowed(std::string_view url);
// "https://hooks.slack.com/…": scheme and host only, for log lines (a webhook URL's path is
// its secret).
std::string redact_url(std::string_view url);

// ---------------------------------------------------------------- sending

// How many times a row is tried before it is given up (dead). With kRetryBase doubling up to
// kRetryCap the last try comes about 50 minutes after the first.
inline constexpr int kMaxSendAttempts = 10;
inline constexpr std::int64_t kRetryBaseMs = 10'000;
inline constexpr std::int64_t kRetryCapMs = 15 * 60'000;

// Milliseconds to wait after failed try number `attempts` (1-based): kRetryBaseMs doubled per
// earlier try, capped at kRetryCapMs, times (0.8 + 0.4 * jitter01) for `jitter01` in [0, 1].
std::int64_t retry_delay_ms(int attempts, double jitter01);

// What one try's answer means. sent: 2xx. retry: no answer (connection error, timeout), 408,
// 429 or 5xx. give_up: anything else (a 3xx is not followed; a 4xx will not get better).
enum class SendOutcome { sent, retry, give_up };
SendOutcome classify_send(std::optional<int> http_status);

}  // namespace stackrun::core
