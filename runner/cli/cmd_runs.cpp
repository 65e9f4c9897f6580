// `stackrun runs`, `stackrun show RUN`, `stackrun cancel RUN`, `stackrun trigger ...`:
// thin clients of the operator API.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "runner/cli/api_client.hpp"
#include "runner/cli/commands.hpp"
#include "runner/cli/io.hpp"
#include "runner/cli/style.hpp"

namespace stackrun::cli {
namespace {

using nlohmann::json;

std::optional<json> call_json(const ClientFlags& f, const std::string& method, const std::string& path,
                              const std::string& body, int& exit_code) {
  auto c = resolve_client(f);
  if (!c) {
    std::cerr << "stackrun: " << c.error() << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  auto r = api_call(*c, method, path, body);
  if (!r) {
    std::cerr << "stackrun: " << r.error() << "\n";
    exit_code = 1;
    return std::nullopt;
  }
  return json::parse(r->body, nullptr, false);
}

std::string str(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string duration_between(const json& from, const json& to) {
  if (!from.is_number() || !to.is_number()) return "";
  const long long ms = to.get<long long>() - from.get<long long>();
  std::ostringstream s;
  if (ms < 1000) s << ms << "ms";
  else if (ms < 60'000) s << std::fixed << std::setprecision(1) << ms / 1000.0 << "s";
  else s << ms / 60'000 << "m" << (ms / 1000) % 60 << "s";
  return s.str();
}

std::string when(const json& ms) {
  if (!ms.is_number()) return "";
  const std::time_t t = ms.get<long long>() / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

void print_runs(const json& j) {
  const Style st = Style::for_fd(1);
  std::cout << std::left << std::setw(6) << "RUN" << std::setw(11) << "STATUS" << std::setw(10) << "PIPELINE"
            << std::setw(8) << "EVENT" << std::setw(14) << "COMMIT" << std::setw(21) << "CREATED (UTC)"
            << "SUMMARY\n";
  for (const auto& r : j["runs"]) {
    const std::string status = str(r, "status");
    std::cout << std::left << std::setw(6) << str(r, "id") << st.status(status, 11) << std::setw(10)
              << str(r, "pipeline") << std::setw(8) << str(r, "event") << std::setw(14)
              << str(r, "commit").substr(0, 12) << std::setw(21) << when(r["created_at"]) << str(r, "summary")
              << "\n";
  }
}

void print_show(const json& r) {
  const Style st = Style::for_fd(1);
  std::cout << "run " << str(r, "id") << "  " << st.status(str(r, "status"), 0) << "  " << str(r, "pipeline") << " ("
            << str(r, "kind") << ", " << str(r, "event") << ")  " << str(r, "commit").substr(0, 12) << " "
            << str(r, "ref") << "\n";
  const std::string msg = str(r, "message");
  if (!msg.empty()) std::cout << "  " << msg.substr(0, msg.find('\n')) << "\n";
  if (!str(r, "summary").empty()) std::cout << "  " << str(r, "summary") << "\n";
  std::string tier;
  for (const auto& j : r["jobs"]) {
    if (str(j, "tier") != tier) {
      tier = str(j, "tier");
      std::cout << "\n" << st.bold("tier " + (tier.empty() ? std::string("(none)") : tier)) << "\n";
    }
    std::cout << "  " << st.status(str(j, "status"), 12) << std::left << std::setw(28) << str(j, "label")
              << str(j, "reason") << "\n";
    if (!str(j, "result_reason").empty()) std::cout << "      " << str(j, "result_reason") << "\n";
    for (const auto& a : j["attempts"]) {
      std::cout << "      #" << str(a, "n") << " " << std::left << std::setw(10) << str(a, "agent") << " exit "
                << std::setw(4) << (a["exit"].is_null() ? "-" : str(a, "exit")) << std::setw(10)
                << (str(a, "class").empty() ? str(a, "status") : str(a, "class")) << std::setw(9)
                << duration_between(a["started_at"], a["finished_at"]) << str(a, "rule") << "\n";
      if (!str(a, "line").empty())
        std::cout << "         line " << str(a, "line_no") << ": " << str(a, "line").substr(0, 200) << "\n";
      if (a["lock"].is_object())
        std::cout << "         lock held by " << str(a["lock"], "who") << " (ID " << str(a["lock"], "id") << ", "
                  << str(a["lock"], "operation") << ", since " << str(a["lock"], "created") << ")\n";
    }
  }
}

}  // namespace

void add_runs(CLI::App& app, int& exit_code) {
  {
    auto* cmd = app.add_subcommand("runs", "List recent runs");
    auto f = std::make_shared<ClientFlags>();
    auto json_out = std::make_shared<bool>(false);
    auto limit = std::make_shared<int>(20);
    add_client_flags(*cmd, *f);
    cmd->add_flag("--json", *json_out, "Print the server's JSON");
    cmd->add_option("--limit", *limit, "How many runs")->check(CLI::Range(1, 1000));
    cmd->callback([=, &exit_code] {
      auto j = call_json(*f, "GET", "/api/v1/runs?limit=" + std::to_string(*limit), "", exit_code);
      if (!j) return;
      if (*json_out) std::cout << j->dump() << "\n";
      else print_runs(*j);
    });
  }
  {
    auto* cmd = app.add_subcommand("show", "Show a run: stacks in tier order, attempts, verdicts and deciding lines");
    auto f = std::make_shared<ClientFlags>();
    auto json_out = std::make_shared<bool>(false);
    auto run = std::make_shared<long long>(0);
    add_client_flags(*cmd, *f);
    cmd->add_option("run", *run, "Run id")->required();
    cmd->add_flag("--json", *json_out, "Print the run as JSON");
    cmd->callback([=, &exit_code] {
      auto j = call_json(*f, "GET", "/api/v1/runs/" + std::to_string(*run), "", exit_code);
      if (!j) return;
      if (*json_out) std::cout << j->dump() << "\n";
      else print_show(*j);
    });
  }
  {
    auto* cmd = app.add_subcommand("cancel", "Cancel a run (never interrupts a running step unless --force)");
    auto f = std::make_shared<ClientFlags>();
    auto force = std::make_shared<bool>(false);
    auto run = std::make_shared<long long>(0);
    add_client_flags(*cmd, *f);
    cmd->add_option("run", *run, "Run id")->required();
    cmd->add_flag("--force", *force, "Also stop running steps: SIGINT, then SIGTERM and SIGKILL after the grace");
    cmd->callback([=, &exit_code] {
      auto j = call_json(*f, "POST", "/api/v1/runs/" + std::to_string(*run) + "/cancel",
                         json{{"force", *force}}.dump(), exit_code);
      if (!j) return;
      if ((*j).value("already_finished", false))
        std::cout << "run " << *run << " already finished: " << (*j).value("status", "") << "\n";
      else
        std::cout << "run " << *run << ": cancel requested" << (*force ? " (force)" : "") << "\n";
    });
  }
}

void add_trigger(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("trigger", "Create runs by hand");
  cmd->require_subcommand(1);
  auto f = std::make_shared<ClientFlags>();
  add_client_flags(*cmd, *f);
  auto post = [f, &exit_code](const json& body) {
    auto j = call_json(*f, "POST", "/api/v1/runs", body.dump(), exit_code);
    if (!j) return;
    const auto& runs = (*j)["runs"];
    if (runs.empty()) {
      std::cerr << "no pipeline matched: nothing to run\n";
      return;
    }
    for (const auto& id : runs) std::cout << id.get<long long>() << "\n";
  };
  {
    auto* push = cmd->add_subcommand("push", "Run what a push of --to would run (print run ids)");
    auto repo = std::make_shared<std::string>(), to = std::make_shared<std::string>(),
         from = std::make_shared<std::string>();
    push->add_option("--repo", *repo, "Registered repo name (default: the only one)");
    push->add_option("--to", *to, "Pushed commit or branch (default: the repo's default branch)");
    push->add_option("--from", *from, "Commit before the push (default: first parent of --to)");
    push->callback([=] { post({{"repo", *repo}, {"event", "push"}, {"to", *to}, {"from", *from}}); });
  }
  {
    auto* apply = cmd->add_subcommand("apply", "Re-apply one stack (print the run id)");
    auto repo = std::make_shared<std::string>(), to = std::make_shared<std::string>(),
         stack = std::make_shared<std::string>();
    apply->add_option("--stack", *stack, "Stack path (stacks/x) or name relative to the stack root")->required();
    apply->add_option("--repo", *repo, "Registered repo name (default: the only one)");
    apply->add_option("--to", *to, "Commit or branch (default: the repo's default branch)");
    apply->callback([=] { post({{"repo", *repo}, {"event", "manual"}, {"to", *to}, {"stack", *stack}}); });
  }
}

}  // namespace stackrun::cli
