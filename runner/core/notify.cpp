#include "runner/core/notify.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace stackrun::core {
namespace {

std::string_view scheme_of(std::string_view url) {
  const auto at = url.find("://");
  return at == std::string_view::npos ? std::string_view() : url.substr(0, at);
}

bool is_http(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

// The part after "scheme://" up to the path, query or fragment.
std::string_view authority_of(std::string_view url) {
  const auto start = url.find("://") + 3;
  const auto end = url.find_first_of("/?#", start);
  return url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// The authority without user info (host[:port]).
std::string_view host_port(std::string_view authority) {
  const auto at = authority.rfind('@');
  return at == std::string_view::npos ? authority : authority.substr(at + 1);
}

// The path's non-empty segments: of a URL after its authority (query and fragment dropped), of
// scp-like "host:owner/repo" after the colon, else of the whole text (a local path).
std::vector<std::string_view> path_segments(std::string_view url) {
  std::string_view path = url;
  if (url.find("://") != std::string_view::npos) {
    const auto start = url.find("://") + 3;
    const auto slash = url.find('/', start);
    path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
    path = path.substr(0, path.find_first_of("?#"));
  } else if (const auto colon = url.find(':');
             colon != std::string_view::npos &&
             url.substr(0, colon).find('/') == std::string_view::npos) {
    path = url.substr(colon + 1);
  }
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path = path.substr(slash + 1);
  }
  return out;
}

std::string short_sha(const std::string& sha) {
  return sha.substr(0, 12);
}

std::string branch_of(const std::string& ref) {
  const std::string heads = "refs/heads/";
  return ref.starts_with(heads) ? ref.substr(heads.size()) : ref;
}

}  // namespace

std::string run_words(const RunRef& run) {
  std::string where = run.pipeline;
  const std::string branch = branch_of(run.ref);
  if (!branch.empty()) where += ", " + branch;
  if (!run.commit.empty()) where += (branch.empty() ? ", " : " at ") + short_sha(run.commit);
  return "run " + std::to_string(run.id) + " of " + run.repo + " (" + where + ")";
}

std::string_view to_string(CommitState s) {
  switch (s) {
    case CommitState::pending:
      return "pending";
    case CommitState::success:
      return "success";
    case CommitState::failure:
      return "failure";
    case CommitState::error:
      return "error";
  }
  return "error";
}

CommitState commit_state(RunStatus s) {
  switch (s) {
    case RunStatus::queued:
    case RunStatus::running:
      return CommitState::pending;
    case RunStatus::success:
    case RunStatus::drift:  // drift is information, not a failure
      return CommitState::success;
    case RunStatus::failed:
      return CommitState::failure;
    case RunStatus::cancelled:
    case RunStatus::superseded:
      return CommitState::error;
  }
  return CommitState::error;
}

CommitStatus commit_status(const RunRef& run, RunStatus status, const std::string& summary,
                           const std::string& target_url) {
  const std::string id = std::to_string(run.id);
  const std::string head = "run " + id + " " + std::string(to_string(status));
  const std::string tail = ": stackrun logs " + id + " -f";
  std::string text = summary;
  const std::size_t room =
      kMaxStatusDescription - std::min(kMaxStatusDescription, head.size() + tail.size() + 3);
  if (text.size() > room) text = room < 3 ? "" : text.substr(0, room - 3) + "...";
  CommitStatus s;
  s.state = commit_state(status);
  s.context = "stackrun/" + run.pipeline;
  s.description = head + (text.empty() ? "" : " (" + text + ")") + tail;
  s.target_url = target_url;
  return s;
}

ChatMessage failed_run_message(const RunRef& run, const std::string& summary) {
  return {"stackrun: " + run_words(run) + " failed" + (summary.empty() ? "" : ": " + summary) +
          ". Logs: stackrun logs " + std::to_string(run.id)};
}

ChatMessage lock_skip_message(const RunRef& run, const std::string& stack,
                              const std::optional<LockInfo>& lock) {
  std::string text = "stackrun: " + run_words(run) + ": " + stack + " skipped, its state is locked";
  if (lock && !lock->who.empty()) text += " by " + lock->who;
  if (lock && !lock->id.empty()) text += " (lock ID " + lock->id + ")";
  return {text + ". Logs: stackrun logs " + std::to_string(run.id)};
}

ChatMessage recovered_message(const RunRef& run, const std::string& stack) {
  return {"stackrun: " + run_words(run) + ": " + stack +
          " recovered: applied successfully after its previous apply failed"};
}

bool recovers(JobStatus now, JobKind kind, std::optional<JobStatus> previous) {
  return now == JobStatus::success && kind == JobKind::apply && previous &&
         (*previous == JobStatus::failed || *previous == JobStatus::interrupted);
}

std::string forge_base_url(std::string_view clone_url) {
  if (!is_http(clone_url)) return "";
  const auto segments = path_segments(clone_url);
  const std::string_view host = host_port(authority_of(clone_url));
  if (segments.size() < 2 || host.empty()) return "";
  std::string base = std::string(scheme_of(clone_url)) + "://" + std::string(host);
  for (std::size_t i = 0; i + 2 < segments.size(); ++i) base += "/" + std::string(segments[i]);
  return base;
}

Result<ForgeRepo> forge_repo(ForgeKind kind, std::string_view clone_url, std::string_view api_url) {
  const auto segments = path_segments(clone_url);
  if (segments.size() < 2)
    return Result<ForgeRepo>::fail("cannot tell owner and repo from clone URL \"" +
                                   std::string(clone_url) + "\" (expected .../OWNER/REPO)");
  ForgeRepo r;
  r.kind = kind;
  r.owner = std::string(segments[segments.size() - 2]);
  r.name = std::string(segments.back());
  if (r.name.ends_with(".git")) r.name.resize(r.name.size() - 4);
  std::string api(api_url);
  if (api.empty()) {
    const std::string base = forge_base_url(clone_url);
    if (base.empty())
      return Result<ForgeRepo>::fail("cannot derive the forge API URL from clone URL \"" +
                                     std::string(clone_url) + "\"; set \"api_url\"");
    const std::string_view host = host_port(authority_of(clone_url));
    if (kind != ForgeKind::github)
      api = base + "/api/v1";
    else if (host == "github.com" || host == "www.github.com")
      api = "https://api.github.com";
    else
      api = base + "/api/v3";  // GitHub Enterprise Server
  }
  while (api.ends_with('/')) api.pop_back();
  r.api = api;
  return r;
}

std::string status_url(const ForgeRepo& repo, std::string_view sha) {
  return repo.api + "/repos/" + repo.owner + "/" + repo.name + "/statuses/" + std::string(sha);
}

std::string authorization(ForgeKind kind, std::string_view token) {
  return (kind == ForgeKind::github ? "Bearer " : "token ") + std::string(token);
}

bool outbound_url_allowed(std::string_view url) {
  if (url.starts_with("https://")) return !host_port(authority_of(url)).empty();
  for (std::string_view host : {"http://127.0.0.1", "http://localhost", "http://[::1]"})
    if (url.starts_with(host) &&
        (url.size() == host.size() || url[host.size()] == ':' || url[host.size()] == '/'))
      return true;
  return false;
}

std::string redact_url(std::string_view url) {
  if (url.find("://") == std::string_view::npos) return "(not a URL)";
  const std::string_view authority = authority_of(url);
  const std::size_t rest = url.find("://") + 3 + authority.size();
  return std::string(scheme_of(url)) + "://" + std::string(host_port(authority)) +
         (rest < url.size() ? "/…" : "");
}

std::int64_t retry_delay_ms(int attempts, double jitter01) {
  std::int64_t delay = kRetryBaseMs;
  for (int i = 1; i < attempts && delay < kRetryCapMs; ++i) delay *= 2;
  delay = std::min(delay, kRetryCapMs);
  const double j = std::clamp(jitter01, 0.0, 1.0);
  return std::llround(static_cast<double>(delay) * (0.8 + 0.4 * j));
}

SendOutcome classify_send(std::optional<int> http_status) {
  if (!http_status) return SendOutcome::retry;
  const int s = *http_status;
  if (s >= 200 && s < 300) return SendOutcome::sent;
  if (s == 408 || s == 429 || s >= 500) return SendOutcome::retry;
  return SendOutcome::give_up;
}

}  // namespace stackrun::core
