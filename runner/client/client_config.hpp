#pragma once
// Where an operator command finds its server and token. Each comes from, in order: the
// --server/--token flag, the STACKRUN_SERVER/STACKRUN_TOKEN environment variable, then
// <state-dir>/client.json (written by `stackrun up`; format in runner/wire/cli_formats.hpp).
// The state dir is --state-dir, else STACKRUN_STATE_DIR, else ./.stackrun-state.
#include <functional>
#include <string>

#include "runner/core/result.hpp"

namespace stackrun::client {

struct ClientConfig {
  std::string server, token;  // base URL ("http://127.0.0.1:8480") and operator bearer token
};

// What the command line said; empty = not given.
struct ClientFlags {
  std::string server, token, state_dir;
};

// The STACKRUN_* variables that take part; empty = unset (or set to "").
struct ClientEnv {
  std::string server, token, state_dir;
};

// Reads STACKRUN_SERVER, STACKRUN_TOKEN and STACKRUN_STATE_DIR.
ClientEnv client_env();

// --state-dir, else STACKRUN_STATE_DIR, else ".stackrun-state".
std::string state_dir(const std::string& flag, const ClientEnv& env);
// state_dir(flag, client_env()).
std::string default_state_dir(const std::string& flag);

// Reads a whole file; an Error names the path and the OS reason.
using ReadFile = std::function<Result<std::string>(const std::string& path)>;

// The precedence above as a pure function: `read` is called (once) only when a flag and its
// variable leave the server or the token unset. Errors say what to pass, e.g.
//   no server given: pass --server URL, set STACKRUN_SERVER, or start one with `stackrun up`
//   (<why client.json could not be read>)
Result<ClientConfig> resolve_client(const ClientFlags& flags, const ClientEnv& env,
                                    const ReadFile& read);
// resolve_client with the real environment and file system.
Result<ClientConfig> resolve_client(const ClientFlags& flags);

// Writes <state_dir>/client.json (creating the directory) with mode 0600, as it holds a bearer
// token, through a temporary file and rename so a reader never sees half a file.
Status write_client_json(const std::string& state_dir, const ClientConfig& c);

// The real ReadFile.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace stackrun::client
