#pragma once
// Where a CLI command finds its server and token: --server/--token flags, then the
// STACKRUN_SERVER/STACKRUN_TOKEN environment, then <state-dir>/client.json (written by
// `stackrun up`; state dir from --state-dir, STACKRUN_STATE_DIR, or ./.stackrun-state).
#include <string>

#include "runner/core/result.hpp"

namespace stackrun::cli {

struct ClientConfig {
  std::string server, token;
};

struct ClientFlags {
  std::string server, token, state_dir;
};

std::string default_state_dir(const std::string& flag);
Result<ClientConfig> resolve_client(const ClientFlags& flags);
// Writes client.json with mode 0600 (it holds a bearer token).
Status write_client_json(const std::string& state_dir, const ClientConfig& c);

}  // namespace stackrun::cli
