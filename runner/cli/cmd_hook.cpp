// `stackrun hook check --forge K --secret-file F [--secret-file F2] [-H 'Name: value']... < BODY`:
// check a webhook delivery offline exactly as the server's intake will (runner/forge), and
// print one JSON object with the verdict and the push it carries.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "runner/cli/commands.hpp"
#include "runner/cli/io.hpp"
#include "runner/forge/hook_check.hpp"

namespace stackrun::cli {
namespace {

struct HookCheckArgs {
  std::string forge;
  std::vector<std::string> secret_files;
  std::vector<std::string> headers;
};

// "Name: value" -> {"name", "value"} (name lower-cased, spaces around the value dropped).
Result<std::pair<std::string, std::string>> parse_header(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0)
    return Error{"-H \"" + text + "\": expected 'Name: value'"};
  std::string name = text.substr(0, colon);
  for (char& c : name)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  const auto first = text.find_first_not_of(" \t", colon + 1);
  const auto last = text.find_last_not_of(" \t");
  std::string value = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  return std::make_pair(std::move(name), std::move(value));
}

// A secret file's text minus trailing line ends (`echo secret > F` adds one; forges do not).
Result<std::string> read_secret(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text;
  std::string s = std::move(*text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

int run_hook_check(const HookCheckArgs& a) {
  const auto kind = forge::parse_forge_kind(a.forge);
  if (!kind) {
    std::cerr << "stackrun hook check: --forge must be github, gitea or forgejo\n";
    return 2;
  }
  std::vector<std::string> secrets;
  for (const auto& f : a.secret_files) {
    auto s = read_secret(f);
    if (!s) {
      std::cerr << "stackrun hook check: " << s.error() << "\n";
      return 2;
    }
    secrets.push_back(std::move(*s));
  }
  forge::Headers headers;
  for (const auto& h : a.headers) {
    auto parsed = parse_header(h);
    if (!parsed) {
      std::cerr << "stackrun hook check: " << parsed.error() << "\n";
      return 2;
    }
    headers[parsed->first] = parsed->second;  // a repeat keeps the last, as the server does
  }
  const std::string body = read_all(std::cin);
  const forge::HookCheck c = forge::check_hook(*kind, headers, body, secrets);
  std::cout << forge::encode(c) << "\n";
  return c.accepted ? 0 : 1;
}

}  // namespace

void add_hook(CLI::App& app, int& exit_code) {
  auto* hook = app.add_subcommand("hook", "Tools for setting up forge webhooks");
  hook->require_subcommand(1);
  auto* cmd = hook->add_subcommand("check", "Verify and parse a webhook delivery read from stdin");
  cmd->footer(
      "Prints one JSON object: verdict (accept|reject), reason (when rejected), kind, ref,\n"
      "branch, before, after, clone_url, sender {id, login}, delivery, message.\n"
      "Exit status: 0 accepted; 1 rejected; 2 usage error or unreadable secret file.");
  auto a = std::make_shared<HookCheckArgs>();
  cmd->add_option("--forge", a->forge, "github, gitea or forgejo")
      ->required()
      ->check(CLI::IsMember({"github", "gitea", "forgejo"}));
  cmd->add_option("--secret-file", a->secret_files,
                  "File holding a webhook secret (repeat during rotation)")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("-H,--header", a->headers, "Request header 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  cmd->callback([a, &exit_code] { exit_code = run_hook_check(*a); });
  add_hook_send(*hook, exit_code);
}

}  // namespace stackrun::cli
