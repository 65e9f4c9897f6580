// `stackrun supervise DIR` (hidden): the per-step supervisor the agent starts, one process per
// step, outliving the agent (runner/proc/supervisor.hpp). Not for people: its whole interface
// is the step files in DIR (runner/proc/step_files.hpp).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "runner/cli/commands.hpp"
#include "runner/proc/supervisor.hpp"

namespace stackrun::cli {

void add_supervise(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("supervise", "Supervise one step (the agent starts it)");
  cmd->group("");  // hidden from --help
  auto dir = std::make_shared<std::string>();
  cmd->add_option("dir", *dir, "The step's directory")->required();
  cmd->callback([dir, &exit_code] { exit_code = proc::run_supervisor(*dir); });
}

}  // namespace stackrun::cli
