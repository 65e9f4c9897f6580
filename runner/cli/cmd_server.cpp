// `stackrun server`: the HTTP API, the scheduler and the run-creation worker over one SQLite
// file. A composition root: parse flags, build the adapters, wire them, run.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <thread>

#include "runner/cli/commands.hpp"
#include "runner/cli/signals.hpp"
#include "runner/config/server_config.hpp"
#include "runner/core/duration.hpp"
#include "runner/git/repo.hpp"
#include "runner/http/http.hpp"
#include "runner/http/listen.hpp"
#include "runner/server/api.hpp"
#include "runner/server/coordinator.hpp"
#include "runner/server/notifier.hpp"
#include "runner/server/outbox.hpp"
#include "runner/server/retention.hpp"
#include "runner/server/run_worker.hpp"
#include "runner/server/schedules.hpp"
#include "runner/server/tokens.hpp"
#include "runner/store/store.hpp"

namespace stackrun::cli {
namespace {

struct ServerArgs {
  std::string db = ".stackrun-state/stackrun.db";
  std::string listen = "127.0.0.1:8480";
  std::string port_file;
  std::string lease = "30s", offer = "10s", busy = "2s";
  bool insecure_listen = false;
  std::size_t max_connections = http::Server::Options{}.max_connections;
  std::size_t max_per_address = http::Server::Options{}.max_per_address;
  std::string log_retention = "30d", max_log_bytes = "2GiB", max_attempt_output = "512MiB";
  std::string config, check_config;  // server configuration files (--config, --check-config)
  std::shared_ptr<const config::ServerConfig> loaded;  // --config, once read (apply_config)
};

// Why clear(): a write that failed (EFBIG under a file-size limit, ENOSPC) leaves the stream in
// a failed state that would silence every later line, also after the fault has cleared.
void say(const std::string& line) {
  std::cerr.clear();
  std::cerr << "stackrun server: " << line << std::endl;
}

// Durations from flags, each at least `min_ms`; false (after a message) when one is bad.
bool parse_durations(const ServerArgs& a, server::CoordinatorOptions& o, int& busy_ms) {
  const std::pair<const char*, const std::string*> flags[] = {
      {"--lease", &a.lease}, {"--offer-timeout", &a.offer}, {"--busy-timeout", &a.busy}};
  long long values[3] = {};
  for (int i = 0; i < 3; ++i) {
    auto d = core::parse_duration(*flags[i].second);
    if (!d || d->count() < 100) {
      std::cerr << "stackrun server: " << flags[i].first << ": "
                << (d ? "must be at least 100ms" : d.error()) << "\n";
      return false;
    }
    values[i] = d->count();
  }
  o.lease_ms = values[0];
  o.offer_ms = values[1];
  busy_ms = static_cast<int>(values[2]);
  return true;
}

// One server per database: two schedulers over one file would each think they own the leases.
// The lock lives as long as this process (the kernel drops it on kill -9).
bool lock_database(const std::string& db) {
  const std::string lock_path = db + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
  std::cerr << "stackrun server: " << lock_path << ": "
            << (fd < 0 ? std::strerror(errno) : "another stackrun server is using this database")
            << "\n";
  return false;
}

// Start-up writes that may fail on a faulty store (read-only file, full disk): the server
// starts anyway, answers 503 to writes, and recovers when the fault clears.
// The configuration's repos are registered by name, with their canonical source's clone URL,
// unless a repo of that name already exists (then its row is left as the operator set it).
void startup_writes(store::Store& st, server::Coordinator& coord, const config::ServerConfig* cfg) {
  try {
    if (cfg) {
      auto tx = st.begin();
      for (const auto& r : cfg->repos) {
        if (st.repo_by_name(r.name)) continue;
        for (const auto& s : r.sources)
          if (s.role == core::SourceRole::canonical) {
            st.upsert_repo(r.name, s.clone_url, r.default_branch, server::wall_ms());
            say("registered repo " + r.name + " (" + s.clone_url + ") from the configuration");
          }
      }
      tx.commit();
    }
    if (const char* t = std::getenv("STACKRUN_BOOTSTRAP_TOKEN"); t && *t) {
      auto tx = st.begin();
      st.ensure_api_token("bootstrap", server::sha256_hex(t), server::wall_ms());
      tx.commit();
    }
    coord.on_startup();
  } catch (const store::DbError& e) {
    say(std::string("store not writable at start-up (serving anyway; writes answer 503): ") +
        e.what());
  }
}

// Why plain HTTP off loopback needs --insecure-listen: tokens (agent and operator) and every
// log line would cross the network in clear. Loopback needs nothing: only this machine's users
// can connect (which `stackrun up` relies on); anything else should sit behind a TLS proxy.
std::optional<http::ListenAddress> listen_address(const ServerArgs& a) {
  auto where = http::parse_listen(a.listen);
  if (!where) {
    std::cerr << "stackrun server: " << where.error() << "\n";
    return std::nullopt;
  }
  if (!where->loopback && !a.insecure_listen) {
    std::cerr << "stackrun server: --listen " << a.listen
              << " is reachable from the network, and this server speaks plain HTTP (tokens and "
                 "logs would cross it in clear); put a TLS reverse proxy in front (see "
                 "docs/operations.md, \"TLS\") and listen on 127.0.0.1, or pass "
                 "--insecure-listen to accept this\n";
    return std::nullopt;
  }
  if (!where->loopback) {
    say("warning: listening on " + a.listen +
        " without TLS: tokens and logs cross the network in clear; put a TLS reverse proxy in "
        "front (docs/operations.md, \"TLS\")");
  }
  return *where;
}

// Retention and the per-attempt output cap from flags; false (after a message) when one is bad.
bool parse_limits(const ServerArgs& a, server::CoordinatorOptions& o,
                  server::RetentionPolicy& policy) {
  auto age = server::parse_age(a.log_retention);
  auto budget = server::parse_bytes(a.max_log_bytes);
  auto cap = server::parse_bytes(a.max_attempt_output);
  const char* bad = !age      ? "--log-retention"
                    : !budget ? "--max-log-bytes"
                    : !cap    ? "--max-attempt-output"
                              : nullptr;
  if (bad) {
    std::cerr << "stackrun server: " << bad << ": "
              << (!age      ? age.error()
                  : !budget ? budget.error()
                            : cap.error())
              << "\n";
    return false;
  }
  if (*cap <= 0) {
    std::cerr << "stackrun server: --max-attempt-output: must be more than 0\n";
    return false;
  }
  policy = server::RetentionPolicy{*age, *budget};
  o.max_attempt_output_bytes = *cap;
  return true;
}

// Where the worker fetches remote repos: mirrors beside the database (<state dir>/mirrors),
// with each configured repo's canonical source credentials: its ssh_key_file for an ssh clone
// URL, else its token as the password of Credentials::kDefaultTokenUser; repos registered
// through the API fetch without credentials.
server::RepoFetch repo_fetch(const ServerArgs& a) {
  server::RepoFetch f;
  f.mirrors_dir = (std::filesystem::path(a.db).parent_path() / "mirrors").string();
  f.credentials = [cfg = a.loaded](const std::string& repo) -> git::Credentials {
    if (!cfg) return {};
    for (const auto& r : cfg->repos) {
      if (r.name != repo) continue;
      for (const auto& s : r.sources) {
        if (s.role != core::SourceRole::canonical) continue;
        // An ssh clone URL takes the key; https takes the token.
        if (!s.ssh_key_file.empty() &&
            (s.clone_url.starts_with("ssh://") || (s.clone_url.find("://") == std::string::npos &&
                                                   s.clone_url.find('@') != std::string::npos)))
          return git::Credentials::ssh_key(s.ssh_key_file);
        if (s.token) return git::Credentials::token(s.token->reveal());
      }
    }
    return {};
  };
  f.log = [](const std::string& line) { say(line); };
  return f;
}

int run_server(const ServerArgs& a) {
  server::CoordinatorOptions copts;
  server::RetentionPolicy retention;
  int busy_ms = 0;
  if (!parse_durations(a, copts, busy_ms) || !parse_limits(a, copts, retention)) return 2;
  const auto where = listen_address(a);
  if (!where) return 2;
  const std::string& host = where->host;
  const int port = where->port;
  // Why umask 077 and the chmod: the database, its -wal and -shm hold every log line and
  // pipeline of the repo; SQLite creates them 0644 less the umask. Files of an older version
  // are made private too (a failure, say on a file someone else owns, is not fatal).
  ::umask(077);
  if (!lock_database(a.db)) return 1;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string path = a.db + suffix;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0 &&
        ::chmod(path.c_str(), 0600) != 0)
      say("warning: cannot make " + path + " private (mode 0600): " + std::strerror(errno));
  }
  // Why: with a file-size limit (ulimit -f), SIGXFSZ would kill the server on the first write
  // past it; ignored, the write fails with EFBIG and the store answers 503 instead.
  std::signal(SIGXFSZ, SIG_IGN);
  BlockedSignals signals;  // before any thread starts, so only the waiter sees them
  store::Store st(a.db, store::Db::Options{.read_only = false, .busy_timeout_ms = busy_ms});
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  // Commit statuses and notifications: enqueued with each run change, sent by the notifier.
  std::vector<std::string> outbox_warnings;
  const server::OutboxRules outbox =
      a.loaded ? server::outbox_rules(*a.loaded, outbox_warnings) : server::OutboxRules{};
  for (const auto& w : outbox_warnings) say(w);
  auto outbox_interrupt = std::make_shared<http::Interrupt>();
  std::mt19937_64 outbox_rng(std::random_device{}());
  server::Notifier notifier(
      a.db, a.loaded, server::http_send(outbox_interrupt),
      {.clock = server::wall_ms,
       .jitter = [&] { return std::uniform_real_distribution<double>(0.0, 1.0)(outbox_rng); },
       .log = [](const std::string& line) { say(line); }});
  copts.on_change = [&](store::Store& s, store::Id run, const core::Effects* fx, store::Millis t) {
    if (server::enqueue_outbox(s, outbox, run, fx, t) > 0) notifier.wake();
  };
  if (const char* crash = std::getenv("STACKRUN_CRASH_AFTER_SCHEDULE_CLAIM"); crash && *crash)
    copts.crash_after_schedule_claim = std::string(crash) == "1";
  server::Coordinator coord(st, copts, server::wall_ms, [&] { return uni(rng); });
  startup_writes(st, coord, a.loaded.get());

  http::Server::Options hopts;
  hopts.on_error = [](const std::string& what) { say("io loop: " + what); };
  hopts.max_connections = a.max_connections;
  hopts.max_per_address = a.max_per_address;
  http::Server http(hopts);
  std::shared_ptr<server::Api> api;
  server::RunWorker worker(
      a.db, git::open_repo, [&](std::function<void()> fn) { http.post(std::move(fn)); },
      [&](const std::vector<store::NewRun>& runs) { return server::insert_runs(*api, runs); },
      repo_fetch(a));
  // Cron schedules: fired on the io thread's timer, dead-man alerts through the outbox.
  auto schedules = std::make_shared<server::Schedules>(
      http, st, worker,
      server::SchedulesOptions{
          .clock = server::wall_ms,
          .log = [](const std::string& line) { say(line); },
          .deadman_alert =
              [&outbox](store::Store& s, const store::ScheduleRow& row, const core::Deadman& d,
                        store::Millis now) {
                return server::enqueue_notice(
                    s, outbox, row.repo_name,
                    core::deadman_message(row.repo_name, row.pipeline, row.name, d), now);
              },
          .wrote_alerts = [&notifier] { notifier.wake(); }});
  server::ApiOptions aopts;
  aopts.config = a.loaded;  // the webhook sources (POST /hooks/{source})
  aopts.schedules = schedules;
  api = server::install_routes(http, st, coord, worker, server::wall_ms, aopts);
  auto bound = http.listen(host, port);
  if (!bound) {
    std::cerr << "stackrun server: " << bound.error() << "\n";
    return 1;
  }
  if (!a.port_file.empty()) {
    const std::string tmp = a.port_file + ".tmp";
    std::ofstream(tmp) << *bound << "\n";
    std::rename(tmp.c_str(), a.port_file.c_str());
  }
  say("listening on http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
      ":" + std::to_string(*bound) + " (db " + a.db + ", lease " + a.lease + ", offers " + a.offer +
      ")");
  http.post([&] {
    server::start_timers(*api);
    schedules->tick();    // overdue schedules fire once, at once
    schedules->sync("");  // then what the default branches declare now
  });
  notifier.start();
  std::shared_ptr<void> pruning;
  if (retention.max_age_ms > 0 || retention.max_log_bytes > 0) {
    http.post([&] {
      pruning =
          server::start_retention(http, st, retention, server::kRetentionIntervalMs,
                                  server::wall_ms, [](const std::string& line) { say(line); });
    });
  }
  std::thread waiter([&] {
    const int sig = signals.wait();
    if (sig != 0) say("signal " + std::to_string(sig) + ", stopping");
    worker.stop();
    http.stop();
  });
  http.run();
  outbox_interrupt->trigger();  // a send in flight ends now; its row stays pending
  notifier.stop();
  pruning.reset();
  signals.release_waiter();
  waiter.join();
  return 0;
}

// --check-config: every diagnostic (file:line:col: message) and 1, or the summary and 0.
// The summary names secrets by origin only (config::summary_lines never reveals a value).
int check_config(const std::string& path) {
  const auto loaded = config::load_server_config(path, config::system_secret_reader());
  for (const auto& d : loaded.diagnostics) std::cerr << d.str() << "\n";
  if (!loaded.config) return 1;
  for (const auto& line : config::summary_lines(*loaded.config)) std::cout << line << "\n";
  return 0;
}

// --config: its listen and state dir replace the defaults (flags given on the command line
// win); its repos and sources are kept for run_server (webhooks). False after printing the
// diagnostics.
bool apply_config(ServerArgs& a, const CLI::App& cmd) {
  const auto loaded = config::load_server_config(a.config, config::system_secret_reader());
  for (const auto& d : loaded.diagnostics) std::cerr << d.str() << "\n";
  if (!loaded.config) return false;
  const config::ServerConfig& c = *loaded.config;
  if (c.listen && cmd.count("--listen") == 0) a.listen = *c.listen;
  if (c.state_dir && cmd.count("--db") == 0) {
    // Why 0700: the state dir holds the database, which holds every log line.
    std::error_code ec;
    if (std::filesystem::create_directories(*c.state_dir, ec))
      std::filesystem::permissions(*c.state_dir, std::filesystem::perms::owner_all, ec);
    a.db = *c.state_dir + "/stackrun.db";
  }
  std::string repos;
  for (const auto& r : c.repos) repos += (repos.empty() ? "" : ", ") + r.name;
  say("config " + a.config + ": listen " + a.listen + ", db " + a.db + ", " +
      std::to_string(c.repos.size()) + " repo(s)" + (repos.empty() ? "" : " (" + repos + ")") +
      "; webhooks at POST /hooks/{source}");
  a.loaded = std::make_shared<const config::ServerConfig>(c);
  return true;
}

}  // namespace

void add_server(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("server", "Run the API server, scheduler and run-creation worker");
  cmd->footer(
      "Operator token: set STACKRUN_BOOTSTRAP_TOKEN (stackrun up does this). Stops on "
      "SIGINT/SIGTERM.");
  auto a = std::make_shared<ServerArgs>();
  cmd->add_option("--db", a->db, "SQLite file (created and migrated)")->capture_default_str();
  cmd->add_option("--listen", a->listen,
                  "HOST:PORT to listen on (an IP address; port 0 picks a free one)")
      ->capture_default_str();
  cmd->add_flag("--insecure-listen", a->insecure_listen,
                "Allow a --listen address other than loopback without TLS (prints a warning; "
                "put a TLS reverse proxy in front instead)");
  cmd->add_option("--max-connections", a->max_connections,
                  "Open connections the server takes at once; more are closed at accept")
      ->capture_default_str();
  cmd->add_option("--max-per-address", a->max_per_address,
                  "Open connections from one IP address (loopback included)")
      ->capture_default_str();
  cmd->add_option("--port-file", a->port_file, "Write the bound port here once listening");
  cmd->add_option("--lease", a->lease, "Attempt lease: no heartbeat for this long = agent lost")
      ->capture_default_str();
  cmd->add_option("--offer-timeout", a->offer,
                  "An offered job not confirmed by its agent within this returns to the queue")
      ->capture_default_str();
  cmd->add_option("--log-retention", a->log_retention,
                  "Remove finished runs' logs this long after they finished (e.g. 30d, 36h; 0: "
                  "never); checked at start and hourly")
      ->capture_default_str();
  cmd->add_option("--max-log-bytes", a->max_log_bytes,
                  "Then remove the oldest finished runs' logs while all stored logs are over "
                  "this (e.g. 2GiB; 0: no budget)")
      ->capture_default_str();
  cmd->add_option("--max-attempt-output", a->max_attempt_output,
                  "Step output stored per attempt; past it one line says the rest was dropped "
                  "(agents cut earlier with their --max-output)")
      ->capture_default_str();
  cmd->add_option("--busy-timeout", a->busy,
                  "How long a store write waits for another process's lock before 503")
      ->capture_default_str();
  cmd->add_option("--config", a->config,
                  "Server configuration (YAML, docs/operations.md \"Server configuration\"); its "
                  "listen and state_dir apply unless --listen / --db are given");
  cmd->add_option("--check-config", a->check_config,
                  "Validate a server configuration, print one line per repo and source (never a "
                  "secret value) and exit: 0 valid, 1 not");
  cmd->callback([a, cmd, &exit_code] {
    if (!a->check_config.empty()) {
      exit_code = check_config(a->check_config);
      return;
    }
    if (!a->config.empty() && !apply_config(*a, *cmd)) {
      exit_code = 1;
      return;
    }
    exit_code = run_server(*a);
  });
}

}  // namespace stackrun::cli
