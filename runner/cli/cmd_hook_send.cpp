// `stackrun hook send --config FILE --source NAME --after SHA [...]`: post a correctly signed
// sample push for a configured source to a running server, exactly as that forge would send
// it (runner/forge/sample_push.hpp), and print the server's answer. Checks a source's set-up
// end to end (URL, secret, guards, run creation) without pushing anything to the forge.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "runner/cli/commands.hpp"
#include "runner/config/server_config.hpp"
#include "runner/forge/sample_push.hpp"
#include "runner/http/http.hpp"

namespace stackrun::cli {
namespace {

struct HookSendArgs {
  std::string config, source, server, ref, before, after, message, login, delivery;
  std::int64_t sender_id = 0;
};

int run_hook_send(const HookSendArgs& a) {
  constexpr const char* me = "stackrun hook send: ";
  if (!forge::is_commit_id(a.after) || (!a.before.empty() && !forge::is_commit_id(a.before))) {
    std::cerr << me << "--after and --before take a full commit id (40 lower-case hex digits)\n";
    return 2;
  }
  const auto loaded = config::load_server_config(a.config, config::system_secret_reader());
  for (const auto& d : loaded.diagnostics) std::cerr << d.str() << "\n";
  if (!loaded.config) return 2;
  const auto found = config::find_source(*loaded.config, a.source);
  if (!found) {
    std::cerr << me << "no source named \"" << a.source << "\" in " << a.config << "\n";
    return 2;
  }
  const std::string server =
      !a.server.empty() ? a.server : "http://" + loaded.config->listen.value_or("127.0.0.1:8480");
  forge::PushEvent push;
  push.ref = a.ref.empty() ? "refs/heads/" + found->repo->default_branch : a.ref;
  push.before = a.before.empty() ? std::string(40, '0') : a.before;
  push.after = a.after;
  push.clone_url = found->source->clone_url;
  push.sender = {a.sender_id, a.login};
  push.message = a.message;
  push.delivery = !a.delivery.empty()
                      ? a.delivery
                      : "stackrun-send-" +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count()) +
                            "-" + std::to_string(::getpid());
  // The first secret signs: during a rotation it is the one the forge was given last.
  const auto d = forge::sample_push(forge::from_core(found->source->kind), push,
                                    found->source->webhook_secrets.front().reveal());
  http::Client client(server);
  for (const auto& [name, value] : d.headers)
    if (name != "Content-Type") client.set_header(name, value);  // the client sets it
  const auto r = client.request("POST", "/hooks/" + a.source, d.body, std::chrono::seconds(30));
  if (!r) {
    std::cerr << me << r.error() << "\n";
    return 4;
  }
  std::cout << "delivery " << push.delivery << " (" << push.ref << " " << push.after.substr(0, 12)
            << ") -> HTTP " << r->status << " " << r->body << "\n";
  return r->status >= 200 && r->status < 300 ? 0 : 1;
}

}  // namespace

void add_hook_send(CLI::App& hook, int& exit_code) {
  auto* cmd = hook.add_subcommand(
      "send", "Post a correctly signed sample push for a configured source to a running server");
  cmd->footer(
      "Builds the push as the source's forge would (its event, delivery and signature headers),\n"
      "signed with the source's first secret, and prints the server's status and answer.\n"
      "Exit status: 0 the server took it (2xx, whatever the guards decided: see the answer);\n"
      "1 the server refused it (4xx/5xx); 2 usage or configuration error; 4 server unreachable.");
  auto a = std::make_shared<HookSendArgs>();
  cmd->add_option("--config", a->config, "The server's configuration file")->required();
  cmd->add_option("--source", a->source, "The source to send as (its name in the config)")
      ->required();
  cmd->add_option("--after", a->after, "The pushed commit (full id)")->required();
  cmd->add_option("--before", a->before, "The commit the branch was at (default: all zeros)");
  cmd->add_option("--ref", a->ref, "The pushed ref (default: refs/heads/<default_branch>)");
  cmd->add_option("--server", a->server,
                  "Server base URL (default: http://<listen> from the config, else "
                  "http://127.0.0.1:8480)");
  cmd->add_option("--message", a->message, "Head commit message")
      ->default_val("stackrun hook send: sample push");
  cmd->add_option("--sender-id", a->sender_id, "Forge user id of the pusher")->default_val(0);
  cmd->add_option("--sender-login", a->login, "Login of the pusher")->default_val("stackrun");
  cmd->add_option("--delivery", a->delivery, "Delivery id (default: unique per call)");
  cmd->callback([a, &exit_code] { exit_code = run_hook_send(*a); });
}

}  // namespace stackrun::cli
