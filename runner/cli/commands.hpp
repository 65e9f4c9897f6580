#pragma once
// Each subcommand registers itself on the CLI11 app and returns the exit code it wants via
// the shared `int& exit_code` it captured. Exit codes: 0 ok, 1 the command's own failure
// (e.g. lint found problems), 2 usage error (bad flags, unreadable input). The operator
// subcommands add 4 and 5 (client_cmd.hpp).
namespace CLI {
class App;
}

namespace stackrun::cli {

void add_lint(CLI::App& app, int& exit_code);
void add_classify(CLI::App& app, int& exit_code);
void add_server(CLI::App& app, int& exit_code);
void add_agent(CLI::App& app, int& exit_code);
void add_up(CLI::App& app, int& exit_code);
void add_trigger(CLI::App& app, int& exit_code);
void add_runs(CLI::App& app, int& exit_code);
void add_logs(CLI::App& app, int& exit_code);
void add_plan_stacks(CLI::App& app, int& exit_code);
void add_gc(CLI::App& app, int& exit_code);
void add_supervise(CLI::App& app, int& exit_code);
void add_hook(CLI::App& app, int& exit_code);
void add_cron(CLI::App& app, int& exit_code);
void add_schedules(CLI::App& app, int& exit_code);  // cmd_schedules.cpp
void add_drift(CLI::App& app, int& exit_code);      // cmd_schedules.cpp
// `hook send` (cmd_hook_send.cpp), added under `hook` by add_hook.
void add_hook_send(CLI::App& hook, int& exit_code);

}  // namespace stackrun::cli
