// --check-config's summary. Secrets are named by origin only: this file never calls reveal().
#include <string>

#include "runner/config/server_config.hpp"

namespace stackrun::config {
namespace {

std::string plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string join(const std::vector<std::string>& words, const std::string& sep) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : sep) + w;
  return out;
}

// The host of a notifier URL: its path is often the credential (Slack's incoming webhooks).
std::string url_host(const std::string& url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return "?";
  const std::string rest = url.substr(start + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

std::string senders_text(const core::RepoGuards& g) {
  if (g.senders.empty()) return "any sender";
  std::vector<std::string> parts;
  for (const auto& [kind, ids] : g.senders)
    parts.push_back(std::string(core::to_string(kind)) + " " +
                    (ids.empty() ? "nobody" : join(ids, ",")));
  return "senders " + join(parts, "; ");
}

std::string repo_line(const Repo& r) {
  std::string line =
      "repo " + r.name + ": default branch " + r.default_branch + ", " +
      plural(r.sources.size(), "source") + ", " +
      (r.guards.branches.empty() ? "any branch" : "branches " + join(r.guards.branches, " ")) +
      ", " + senders_text(r.guards) + ", ";
  std::vector<std::string> hosts;
  for (const auto& url : r.notify) hosts.push_back(url_host(url));
  line += r.notify.empty() ? "no notifiers"
                           : plural(r.notify.size(), "notifier") + " (" + join(hosts, ", ") + ")";
  return line;
}

std::string source_line(const Repo& r, const Source& s) {
  std::vector<std::string> origins;
  for (const Secret& secret : s.webhook_secrets) origins.push_back(secret.origin());
  return "source " + s.name + " (repo " + r.name + "): " + std::string(core::to_string(s.kind)) +
         " " + std::string(core::to_string(s.role)) + ", clone " + s.clone_url + ", " +
         plural(s.webhook_secrets.size(), "webhook secret") + " (" + join(origins, ", ") + "), " +
         (s.token ? "token from " + s.token->origin() : "no token") +
         (s.ssh_key_file.empty() ? "" : ", ssh key " + s.ssh_key_file);
}

}  // namespace

std::vector<std::string> summary_lines(const ServerConfig& c) {
  std::vector<std::string> out;
  out.push_back("config " + c.file + ": listen " + c.listen.value_or("(default)") + ", state dir " +
                c.state_dir.value_or("(default)") + ", " + plural(c.repos.size(), "repo"));
  for (const Repo& r : c.repos) {
    out.push_back(repo_line(r));
    for (const Source& s : r.sources) out.push_back(source_line(r, s));
  }
  return out;
}

}  // namespace stackrun::config
