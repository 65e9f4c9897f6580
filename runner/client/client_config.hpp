#pragma once
// Where an operator command finds its server and token. The server comes from, in order: the
// --server flag, STACKRUN_SERVER, <state-dir>/client.json (written by `stackrun up`; format in
// runner/wire/cli_formats.hpp). The token: --token, --token-file FILE, STACKRUN_TOKEN,
// STACKRUN_TOKEN_FILE, client.json. (--token puts the token in argv, which every user on the
// machine can read; a token file or client.json does not.) The state dir is --state-dir, else
// STACKRUN_STATE_DIR, else ./.stackrun-state.
#include <functional>
#include <string>

#include "runner/core/result.hpp"

namespace stackrun::client {

struct ClientConfig {
  std::string server, token;  // base URL ("http://127.0.0.1:8480") and operator bearer token
};

// What the command line said; empty = not given.
struct ClientFlags {
  std::string server, token, state_dir, token_file;
};

// The STACKRUN_* variables that take part; empty = unset (or set to "").
struct ClientEnv {
  std::string server, token, state_dir, token_file;
};

// Reads STACKRUN_SERVER, STACKRUN_TOKEN, STACKRUN_STATE_DIR and STACKRUN_TOKEN_FILE.
ClientEnv client_env();

// --state-dir, else STACKRUN_STATE_DIR, else ".stackrun-state".
std::string state_dir(const std::string& flag, const ClientEnv& env);
// state_dir(flag, client_env()).
std::string default_state_dir(const std::string& flag);

// Reads a whole file; an Error names the path and the OS reason.
using ReadFile = std::function<Result<std::string>(const std::string& path)>;

// The precedence above as a pure function: `read` is called for the token file that decides
// (if any), and for client.json only when the flags and variables leave the server or the
// token unset. Errors say what to pass, e.g.
//   no server given: pass --server URL, set STACKRUN_SERVER, or start one with `stackrun up`
//   (<why client.json could not be read>)
Result<ClientConfig> resolve_client(const ClientFlags& flags, const ClientEnv& env,
                                    const ReadFile& read);

// A token file's text as a token: one trailing "\n" or "\r\n" removed. An Error names `path`
// when nothing is left or more than one line is.
Result<std::string> token_from_file(const std::string& text, const std::string& path);

// Reads `path` and token_from_file()s it. `loose` is set to a warning when the file is
// readable or writable by group or others (the token is then not private); empty otherwise.
Result<std::string> read_token_file(const std::string& path, std::string& loose);

// Writes `body` to `path` with mode 0600 (created so, never chmod-ed after, and fixed if an
// old file had another mode), through a temporary file and rename so that a reader never sees
// half a file. For files that hold tokens or must stay private to the operator.
Status write_private_file(const std::string& path, const std::string& body);
// resolve_client with the real environment and file system.
Result<ClientConfig> resolve_client(const ClientFlags& flags);

// Writes <state_dir>/client.json (creating the directory) with mode 0600, as it holds a bearer
// token, through a temporary file and rename so a reader never sees half a file.
Status write_client_json(const std::string& state_dir, const ClientConfig& c);

// The real ReadFile.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace stackrun::client
