#include "runner/proc/launch.hpp"

#include <unordered_map>

extern char** environ;  // NOLINT: POSIX declares it nowhere in a header we may include

namespace stackrun::proc {

EnvList merge_env(const EnvList& base, const EnvList& overrides) {
  EnvList out;
  out.reserve(base.size() + overrides.size());
  std::unordered_map<std::string, std::size_t> index;  // name -> position in `out`
  auto apply = [&](const std::pair<std::string, std::string>& kv) {
    auto [it, inserted] = index.try_emplace(kv.first, out.size());
    if (inserted) {
      out.push_back(kv);
    } else {
      out[it->second].second = kv.second;
    }
  };
  for (const auto& kv : base) apply(kv);
  for (const auto& kv : overrides) apply(kv);
  return out;
}

std::optional<std::string> find_env(const EnvList& env, std::string_view name) {
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

Launch make_shell_launch(std::string command, EnvList base_env, EnvList overrides, std::string cwd,
                         core::Duration timeout, core::Duration grace) {
  Launch launch;
  launch.argv = {"/bin/sh", "-ec", std::move(command)};
  launch.env = merge_env(base_env, overrides);
  launch.cwd = std::move(cwd);
  launch.timeout = timeout;
  launch.grace = grace;
  return launch;
}

namespace {

// The allow-list: exact names, then name prefixes.
constexpr std::string_view kAllowed[] = {
    "PATH",       "HOME",        "USER",       "LOGNAME",     "LANG",      "LANGUAGE",  "TZ",
    "TERM",       "TMPDIR",      "http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy",
    "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY",  "ALL_PROXY",   "NO_PROXY"};
constexpr std::string_view kAllowedPrefixes[] = {"LC_"};

bool allowed_by_default(std::string_view name) {
  for (std::string_view a : kAllowed)
    if (name == a) return true;
  for (std::string_view p : kAllowedPrefixes)
    if (name.substr(0, p.size()) == p) return true;
  return false;
}

bool never_passed(std::string_view name) {
  for (std::string_view n : kNeverPassed)
    if (name == n) return true;
  return name.substr(0, kSecretPrefix.size()) == kSecretPrefix;
}

}  // namespace

bool env_pattern_match(std::string_view pattern, std::string_view name) {
  // Greedy matching with backtracking to the last '*': linear for these short strings.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<std::string> env_pattern_error(std::string_view pattern) {
  if (pattern.empty()) return std::string("an empty name passes nothing");
  for (char c : pattern) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '*';
    if (!ok) return "\"" + std::string(pattern) + "\" may hold only letters, digits, _ and *";
  }
  return std::nullopt;
}

EnvList step_environment(const EnvList& agent_env, const std::vector<std::string>& pass_patterns) {
  EnvList kept;
  for (const auto& kv : agent_env) {
    if (never_passed(kv.first)) continue;
    bool pass = allowed_by_default(kv.first);
    for (const std::string& p : pass_patterns) pass = pass || env_pattern_match(p, kv.first);
    if (pass) kept.push_back(kv);
  }
  return merge_env({}, kept);
}

EnvList current_environment() {
  EnvList out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

std::vector<std::string> program_candidates(std::string_view program, std::string_view path_value) {
  if (program.empty()) return {};
  if (program.find('/') != std::string_view::npos) return {std::string(program)};
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path_value.size()) {
    std::size_t end = path_value.find(':', start);
    if (end == std::string_view::npos) end = path_value.size();
    std::string_view dir = path_value.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate(dir);
      if (candidate.back() != '/') candidate += '/';
      candidate += program;
      out.push_back(std::move(candidate));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace stackrun::proc
