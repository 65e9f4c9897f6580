// `stackrun schedules [list|disable|enable]` and `stackrun drift`: thin clients of the
// operator API (GET/POST /schedules, GET /drift), printing runner/client's formatters or, with
// --json, the answer re-encoded by runner/wire.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "runner/cli/client_cmd.hpp"
#include "runner/cli/commands.hpp"
#include "runner/client/format_drift.hpp"

namespace stackrun::cli {
namespace {

constexpr const char* kExits =
    "Exit status: 0 ok; 1 the server refused (its reason is printed); 2 usage, or no server or\n"
    "token found; 4 no usable answer (unreachable, or still unavailable after retrying ~20 s).";

void change(const client::ClientFlags& f, long long id, bool enabled, const std::string& reason,
            bool json, int& exit_code) {
  const char* what = enabled ? "schedules enable" : "schedules disable";
  auto api = connect(what, f, exit_code);
  if (!api) return;
  auto r = api->change_schedule(id, wire::ScheduleChange{enabled, reason});
  if (!r) {
    exit_code = report(what, r.error(), 1);
    return;
  }
  if (json) {
    std::cout << wire::encode(*r) << "\n";
    return;
  }
  std::cout << client::format_schedule_list(wire::ScheduleList{{*r}}, client::Style::for_fd(1));
}

}  // namespace

void add_schedules(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "schedules",
      "List cron schedules (read from the pipelines on each repo's default branch) with their "
      "next and last firing, its outcome and the dead-man window; disable or enable one");
  cmd->footer(kExits);
  auto f = std::make_shared<client::ClientFlags>();
  auto json_out = std::make_shared<bool>(false);
  auto repo = std::make_shared<std::string>();
  add_client_flags(*cmd, *f);
  cmd->add_option("--repo", *repo, "Only this repo's schedules");
  cmd->add_flag("--json", *json_out, "Print the answer as JSON");
  cmd->require_subcommand(0, 1);
  cmd->callback([=, &exit_code] {
    if (!cmd->get_subcommands().empty()) return;
    auto api = connect("schedules", *f, exit_code);
    if (!api) return;
    auto r = api->list_schedules(*repo);
    if (!r) {
      exit_code = report("schedules", r.error(), 1);
      return;
    }
    if (*json_out)
      std::cout << wire::encode(*r) << "\n";
    else
      std::cout << client::format_schedule_list(*r, client::Style::for_fd(1));
  });
  {
    auto* sub = cmd->add_subcommand(
        "disable", "Stop a schedule firing (its dead-man window keeps watching); needs --reason");
    sub->footer(kExits);
    auto id = std::make_shared<long long>(0);
    auto reason = std::make_shared<std::string>();
    add_client_flags(*sub, *f);
    sub->add_option("id", *id, "Schedule id (from `stackrun schedules`)")->required();
    sub->add_option("--reason", *reason, "Why (shown by `stackrun schedules`)")->required();
    sub->add_flag("--json", *json_out, "Print the schedule as JSON");
    sub->callback([=, &exit_code] { change(*f, *id, false, *reason, *json_out, exit_code); });
  }
  {
    auto* sub = cmd->add_subcommand(
        "enable", "Let a disabled schedule fire again, from its next due time after now");
    sub->footer(kExits);
    auto id = std::make_shared<long long>(0);
    add_client_flags(*sub, *f);
    sub->add_option("id", *id, "Schedule id (from `stackrun schedules`)")->required();
    sub->add_flag("--json", *json_out, "Print the schedule as JSON");
    sub->callback([=, &exit_code] { change(*f, *id, true, "", *json_out, exit_code); });
  }
}

void add_drift(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "drift",
      "The drift report: per stack the latest drift-run result (clean, drift with counts and "
      "resources, error with the deciding line, skipped with the reason), when it was last "
      "clean, since when it drifts, and whether the dead-man window is breached");
  cmd->footer(
      "Exit status: 0 the report was printed (whatever it says); 1 the server refused; 2 "
      "usage,\nor no server or token found; 4 no usable answer.");
  auto f = std::make_shared<client::ClientFlags>();
  auto json_out = std::make_shared<bool>(false);
  auto repo = std::make_shared<std::string>();
  add_client_flags(*cmd, *f);
  cmd->add_option("--repo", *repo, "Only this repo");
  cmd->add_flag("--json", *json_out, "Print the report as JSON");
  cmd->callback([=, &exit_code] {
    auto api = connect("drift", *f, exit_code);
    if (!api) return;
    auto r = api->drift(*repo);
    if (!r) {
      exit_code = report("drift", r.error(), 1);
      return;
    }
    if (*json_out)
      std::cout << wire::encode(*r) << "\n";
    else
      std::cout << client::format_drift_report(*r, client::Style::for_fd(1));
  });
}

}  // namespace stackrun::cli
