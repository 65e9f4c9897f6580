// stackrun: composition root. Parses flags, dispatches to a subcommand, maps failures to exit
// codes. Exceptions reaching here mean "cannot continue": message on stderr, exit 70.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "runner/cli/commands.hpp"

int main(int argc, char** argv) {
  // Log output moves in megabyte buffers (a batch, a page, a response). glibc's defaults map
  // such blocks fresh and give freed memory back at once, so every buffer paid its page faults
  // again: on this product's 2-core VM that was most of the CPU of `logs -f` and of the agent's
  // shipping (docs/performance.md). Blocks under 8 MiB come from the heap, and up to 16 MiB of
  // freed heap is kept for reuse, bounded by what a process held at its peak.
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  CLI::App app{"stackrun: CI runner and job orchestrator for Terragrunt/Terraform stacks"};
  app.set_version_flag("--version", std::string("stackrun ") + STACKRUN_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  stackrun::cli::add_lint(app, exit_code);
  stackrun::cli::add_classify(app, exit_code);
  stackrun::cli::add_plan_stacks(app, exit_code);
  stackrun::cli::add_up(app, exit_code);
  stackrun::cli::add_server(app, exit_code);
  stackrun::cli::add_agent(app, exit_code);
  stackrun::cli::add_trigger(app, exit_code);
  stackrun::cli::add_runs(app, exit_code);
  stackrun::cli::add_logs(app, exit_code);
  stackrun::cli::add_gc(app, exit_code);
  stackrun::cli::add_supervise(app, exit_code);
  stackrun::cli::add_hook(app, exit_code);
  stackrun::cli::add_cron(app, exit_code);
  stackrun::cli::add_schedules(app, exit_code);
  stackrun::cli::add_drift(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // usage error, whatever CLI11's own code
  } catch (const std::exception& e) {
    std::cerr << "stackrun: fatal: " << e.what() << "\n";
    return 70;
  }
  return exit_code;
}
