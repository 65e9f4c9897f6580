// `stackrun logs RUN [--stack S] [-f]`: print a run's output with [stack] prefixes; with -f,
// follow it live until the run ends. Resumes by chunk id, so every line shows exactly once
// even across server restarts. Exit: 0 success (or still running without -f), 1 failed,
// 3 cancelled, 2 usage, 4 server unreachable.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <map>
#include <thread>

#include "runner/cli/api_client.hpp"
#include "runner/cli/commands.hpp"
#include "runner/cli/style.hpp"

namespace stackrun::cli {
namespace {

using nlohmann::json;

struct LogsArgs {
  ClientFlags client;
  long long run = 0;
  std::string stack;
  bool follow = false;
};

int exit_for(const std::string& status) {
  if (status == "failed") return 1;
  if (status == "cancelled") return 3;
  return 0;
}

int run_logs(const LogsArgs& a) {
  auto c = resolve_client(a.client);
  if (!c) {
    std::cerr << "stackrun logs: " << c.error() << "\n";
    return 2;
  }
  const Style st = Style::for_fd(1);
  std::map<std::string, std::string> partial;  // label -> unterminated text (defensive)
  long long after = 0;
  int failures = 0;
  for (;;) {
    std::string path = "/api/v1/runs/" + std::to_string(a.run) + "/logs?after=" + std::to_string(after) +
                       "&wait_ms=" + (a.follow ? "15000" : "0");
    if (!a.stack.empty()) path += "&stack=" + a.stack;
    auto r = api_request(*c, "GET", path, "", 30'000);
    if (r && r->status >= 400 && r->status < 500) {  // no such run, bad token: final
      std::cerr << "stackrun logs: " << api_error_text(*r) << "\n";
      return 1;
    }
    if (!r || r->status != 200) {
      // Transport errors and 5xx are retried while following: a restarting server must not
      // end the follow (bounded: about 30 s of consecutive failures).
      if (!a.follow || ++failures > 60) {
        std::cerr << "stackrun logs: " << (r ? api_error_text(*r) : r.error()) << "\n";
        return 4;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    failures = 0;
    const json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) {
      std::cerr << "stackrun logs: malformed answer from the server\n";
      return 4;
    }
    for (const auto& chunk : j["chunks"]) {
      const std::string label = chunk.value("stack", "");
      const bool sys = chunk.value("stream", "") == "sys";
      std::string text = partial[label] + chunk.value("data", "");
      std::size_t start = 0, nl;
      while ((nl = text.find('\n', start)) != std::string::npos) {
        const std::string line = text.substr(start, nl - start);
        const std::string prefix = st.prefix(label.empty() ? "run" : label);
        std::cout << prefix << (sys ? st.dim("» " + line) : line) << "\n";
        start = nl + 1;
      }
      partial[label] = text.substr(start);
      after = chunk.value("id", after);
    }
    std::cout.flush();
    const bool done = j.value("done", false);
    if (done) return exit_for(j.value("status", ""));
    if (!a.follow && j["chunks"].empty()) return 0;
  }
}

}  // namespace

void add_logs(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("logs", "Print a run's logs with [stack] prefixes; -f follows live");
  cmd->footer("Exit status: 0 success (or running, without -f), 1 failed, 3 cancelled, 2 usage, 4 unreachable.");
  auto a = std::make_shared<LogsArgs>();
  add_client_flags(*cmd, a->client);
  cmd->add_option("run", a->run, "Run id")->required();
  cmd->add_option("--stack", a->stack, "Only this stack (its name relative to the stack root)");
  cmd->add_flag("-f,--follow", a->follow, "Follow until the run ends");
  cmd->callback([a, &exit_code] { exit_code = run_logs(*a); });
}

}  // namespace stackrun::cli
