#pragma once
// The server configuration file (`stackrun server --config FILE`): where the server listens and
// keeps its state, and the repos it takes webhooks for, each with its forge sources, secrets and
// allowlists. The format (version 1) is documented with a full example in docs/operations.md,
// "Server configuration".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/model.hpp"
#include "runner/config/secret.hpp"
#include "runner/core/forge_guards.hpp"

namespace stackrun::config {

// One forge that sends webhooks for a repo (its name is the {source} in /hooks/{source}).
struct Source {
  std::string name;  // unique across all repos; letters, digits, '.', '_', '-'
  core::ForgeKind kind = core::ForgeKind::forgejo;
  core::SourceRole role = core::SourceRole::canonical;
  std::string clone_url;                // never holds a password (see "token")
  std::vector<Secret> webhook_secrets;  // at least one; any of them verifies (rotation)
  std::optional<Secret> token;          // forge API token (fetch, commit statuses)
  // ssh private key (no passphrase) the server fetches an ssh:// or git@ clone URL with;
  // relative to the config file's directory; "" = none. Exclusive with a token for fetching.
  std::string ssh_key_file;
  // The forge API base for commit statuses (https://code.example.com/api/v1); "" = derived
  // from clone_url (core::forge_repo). https, or http to loopback.
  std::string api_url;
  pipelines::Location loc;
};

struct Repo {
  std::string name;  // unique; letters, digits, '.', '_', '-', '/'
  std::string default_branch = "main";
  std::vector<Source> sources;      // exactly one canonical
  core::RepoGuards guards;          // branch and sender allowlists (empty = no constraint)
  std::vector<std::string> notify;  // notifier URLs: https, or http to loopback
  pipelines::Location loc;
};

struct ServerConfig {
  std::string file;
  std::optional<std::string> listen;     // HOST:PORT; unset = the server's --listen default
  std::optional<std::string> state_dir;  // unset = the server's default (./.stackrun-state)
  std::vector<Repo> repos;
};

// The source named `name` and the repo that owns it, or nullopt.
struct SourceRef {
  const Repo* repo;
  const Source* source;
};
std::optional<SourceRef> find_source(const ServerConfig& c, std::string_view name);

struct ConfigResult {
  std::optional<ServerConfig> config;              // set iff diagnostics is empty
  std::vector<pipelines::Diagnostic> diagnostics;  // in file order: "file:line:col: message"
};

// Parses `text` (named `file` in diagnostics) and resolves every secret through `secrets`
// (relative secret file paths are relative to the directory of `file`). Reports every problem
// at once; never throws on bad input.
ConfigResult parse_server_config(std::string_view text, std::string_view file,
                                 const SecretReader& secrets);

// Reads `path` (at most kMaxConfigBytes) and parses it. An unreadable or oversized file is one
// diagnostic at path:1:1.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
ConfigResult load_server_config(const std::string& path, const SecretReader& secrets);

// What --check-config prints: one line for the file, then one per repo and one per source, in
// file order. Secrets appear only by origin (env var name or file path), never by value.
std::vector<std::string> summary_lines(const ServerConfig& c);

}  // namespace stackrun::config
