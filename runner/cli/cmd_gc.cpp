// `stackrun gc [--older-than 30d] [--max-log-bytes 2GiB] [--db FILE | --state-dir D]
// [--dry-run] [--vacuum]`: one log-retention pass (runner/server/retention.hpp) on the database
// file itself, the pass a server also runs every hour. Safe beside a running server: each step
// is one short write transaction, and the server waits its busy timeout for it. --vacuum
// rewrites the whole file and so refuses while a server holds the database.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "runner/cli/commands.hpp"
#include "runner/client/client_config.hpp"
#include "runner/server/coordinator.hpp"
#include "runner/server/retention.hpp"
#include "runner/store/store.hpp"

namespace stackrun::cli {
namespace {

struct GcArgs {
  std::string older_than = "30d", max_log_bytes = "2GiB", db, state_dir;
  bool dry_run = false, vacuum = false;
};

// True when no server holds `db`'s lock (cmd_server.cpp takes it for its whole life); the
// lock is then ours until this process exits, so no server starts during the VACUUM.
bool no_server_on(const std::string& db) {
  const int fd = ::open((db + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  return fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0;
}

int run_gc(const GcArgs& a) {
  auto age = server::parse_age(a.older_than);
  auto budget = server::parse_bytes(a.max_log_bytes);
  if (!age || !budget) {
    std::cerr << "stackrun gc: "
              << (age ? "--max-log-bytes: " + budget.error() : "--older-than: " + age.error())
              << "\n";
    return 2;
  }
  const std::string db =
      a.db.empty() ? client::default_state_dir(a.state_dir) + "/stackrun.db" : a.db;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db, ec)) {
    std::cerr << "stackrun gc: no database at " << db << " (pass --db FILE or --state-dir D)\n";
    return 2;
  }
  if (a.vacuum && !a.dry_run && !no_server_on(db)) {
    std::cerr << "stackrun gc: a stackrun server is using " << db
              << "; stop it before --vacuum (it rewrites the whole file)\n";
    return 1;
  }
  const server::RetentionPolicy policy{*age, *budget};
  try {
    store::Store st(db, {.read_only = false, .busy_timeout_ms = 10'000});
    server::Pruner pass(st, policy, server::wall_ms(), a.dry_run);
    while (pass.step()) {
    }
    std::cout << server::report_text(pass.report(), policy, a.dry_run) << "\n";
    if (a.vacuum && !a.dry_run) st.vacuum();
    std::cout << "database " << db << ": " << server::format_bytes(st.file_bytes()) << " ("
              << server::format_bytes(st.free_bytes()) << " free inside)\n";
  } catch (const store::DbError& e) {
    std::cerr << "stackrun gc: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_gc(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("gc", "Remove old finished runs' logs from the database");
  cmd->footer(
      "Removes the log chunks of finished runs that finished longer ago than --older-than, then\n"
      "of the oldest finished runs while all stored logs are over --max-log-bytes (0 turns\n"
      "either off). Runs, jobs and attempts stay; each pruned run's log says why it is empty.\n"
      "A running server does the same every hour; gc may run beside it.\n"
      "Exit status: 0 ok; 1 the database failed or a server holds it (--vacuum); 2 usage.");
  auto a = std::make_shared<GcArgs>();
  cmd->add_option("--older-than", a->older_than,
                  "Remove logs of runs finished longer ago than this (default 30d)");
  cmd->add_option("--max-log-bytes", a->max_log_bytes,
                  "Then remove the oldest finished runs' logs until all fit (default 2GiB)");
  auto* db = cmd->add_option("--db", a->db, "Database file (default <state-dir>/stackrun.db)");
  cmd->add_option("--state-dir", a->state_dir,
                  "State directory (default $STACKRUN_STATE_DIR or ./.stackrun-state)")
      ->excludes(db);
  cmd->add_flag("--dry-run", a->dry_run, "Print what would be removed; change nothing");
  cmd->add_flag("--vacuum", a->vacuum,
                "Then rebuild the file to its smallest size (needs the server stopped; also "
                "turns on incremental vacuum in files made before schema version 3)");
  cmd->callback([a, &exit_code] { exit_code = run_gc(*a); });
}

}  // namespace stackrun::cli
