#include "runner/cli/client_cmd.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace stackrun::cli {

void add_client_flags(CLI::App& cmd, client::ClientFlags& f) {
  cmd.add_option("--server", f.server,
                 "Server URL (default: $STACKRUN_SERVER or <state-dir>/client.json)");
  auto* token =
      cmd.add_option("--token", f.token,
                     "API token; visible to every user in the process list: prefer "
                     "--token-file (default: $STACKRUN_TOKEN or <state-dir>/client.json)");
  cmd.add_option("--token-file", f.token_file,
                 "File holding the API token (default: $STACKRUN_TOKEN_FILE)")
      ->excludes(token);
  cmd.add_option("--state-dir", f.state_dir,
                 "Where `stackrun up` keeps its files (default ./.stackrun-state)");
}

std::optional<client::OperatorClient> connect(const std::string& name,
                                              const client::ClientFlags& flags, int& exit_code) {
  auto c = client::resolve_client(flags);
  if (!c) {
    std::cerr << "stackrun " << name << ": " << c.error() << "\n";
    exit_code = kExitUsage;
    return std::nullopt;
  }
  return std::optional<client::OperatorClient>(std::in_place, *c);
}

int report(const std::string& name, const client::ApiError& error, int refused_code) {
  std::cerr << "stackrun " << name << ": " << error.message << "\n";
  return error.kind == client::ApiFailure::refused ? refused_code : kExitNoAnswer;
}

}  // namespace stackrun::cli
