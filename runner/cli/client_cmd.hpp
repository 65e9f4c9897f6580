#pragma once
// What the operator subcommands (runs, show, cancel, trigger, logs) share: the --server,
// --token, --token-file, --state-dir flags, connecting, and turning an API failure into a message
// and an exit code. Exit codes: 2 no server or token could be found (usage); 4 no usable answer
// (unreachable, still 503 after the client's retries, another 5xx, a malformed answer); a
// refusal (4xx) gets the code the subcommand documents (1, or 5 for `logs`, where 1 means
// "the run failed").
#include <memory>
#include <optional>
#include <string>

#include "runner/client/api.hpp"
#include "runner/client/client_config.hpp"

namespace CLI {
class App;
}

namespace stackrun::cli {

inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoAnswer = 4;

// Adds --server, --token, --token-file, --state-dir to `cmd`, stored in `flags`.
void add_client_flags(CLI::App& cmd, client::ClientFlags& flags);

// A client for the resolved server, or nullopt after printing "stackrun <name>: <why>" and
// setting `exit_code` to kExitUsage.
std::optional<client::OperatorClient> connect(const std::string& name,
                                              const client::ClientFlags& flags, int& exit_code);

// Prints "stackrun <name>: <message>" on stderr; returns `refused_code` for a refusal and
// kExitNoAnswer for the other failures.
int report(const std::string& name, const client::ApiError& error, int refused_code);

}  // namespace stackrun::cli
