// `stackrun server`: the HTTP API, the scheduler and the lease reaper over one SQLite file.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "runner/cli/commands.hpp"
#include "runner/cli/signals.hpp"
#include "runner/core/duration.hpp"
#include "runner/http/http.hpp"
#include "runner/server/api.hpp"
#include "runner/server/coordinator.hpp"
#include "runner/server/tokens.hpp"
#include "runner/store/store.hpp"

namespace stackrun::cli {
namespace {

struct ServerArgs {
  std::string db = ".stackrun-state/stackrun.db";
  std::string listen = "127.0.0.1:8480";
  std::string port_file;
  std::string lease = "30s";
};

store::Millis wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int run_server(const ServerArgs& a) {
  auto lease = core::parse_duration(a.lease);
  if (!lease || lease->count() < 1000) {
    std::cerr << "stackrun server: --lease: " << (lease ? "must be at least 1s" : lease.error()) << "\n";
    return 2;
  }
  const auto colon = a.listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "stackrun server: --listen must be HOST:PORT, got \"" << a.listen << "\"\n";
    return 2;
  }
  std::string host = a.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const int port = std::atoi(a.listen.c_str() + colon + 1);

  // One server per database: two schedulers over one file would each think they own the
  // leases. The lock lives as long as this process (the kernel drops it on kill -9).
  const std::string lock_path = a.db + ".lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << "stackrun server: " << lock_path << ": "
              << (lock_fd < 0 ? std::strerror(errno) : "another stackrun server is using this database") << "\n";
    return 1;
  }
  BlockedSignals signals;  // before any thread starts, so only the waiter sees them
  store::Store st(a.db);
  if (const char* t = std::getenv("STACKRUN_BOOTSTRAP_TOKEN"); t && *t) {
    auto tx = st.begin();
    st.ensure_api_token("bootstrap", server::sha256_hex(t), wall_ms());
    tx.commit();
  }
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  server::Coordinator coord(st, {lease->count()}, wall_ms, [&] { return uni(rng); });
  coord.on_startup();

  http::Server http;
  server::install_routes(http, st, coord, wall_ms);
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
  std::cerr << "stackrun server: listening on http://" << (host.find(':') != std::string::npos ? "[" + host + "]" : host)
            << ":" << *bound << " (db " << a.db << ", lease " << a.lease << ")\n";

  std::function<void()> reap = [&] {
    try {
      if (int n = coord.reap(); n > 0) std::cerr << "stackrun server: reaped " << n << " lost attempt(s)\n";
    } catch (const std::exception& e) {
      std::cerr << "stackrun server: reaper: " << e.what() << "\n";
    }
    http.after(std::chrono::milliseconds(500), reap);
  };
  http.after(std::chrono::milliseconds(500), reap);
  std::thread waiter([&] {
    const int sig = signals.wait();
    std::cerr << "stackrun server: signal " << sig << ", stopping\n";
    http.stop();
  });
  http.run();
  signals.release_waiter();
  waiter.join();
  return 0;
}

}  // namespace

void add_server(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("server", "Run the API server, scheduler and lease reaper");
  cmd->footer("Operator token: set STACKRUN_BOOTSTRAP_TOKEN (stackrun up does this). Stops on SIGINT/SIGTERM.");
  auto a = std::make_shared<ServerArgs>();
  cmd->add_option("--db", a->db, "SQLite file (created and migrated)")->capture_default_str();
  cmd->add_option("--listen", a->listen, "HOST:PORT to listen on; port 0 picks a free one")->capture_default_str();
  cmd->add_option("--port-file", a->port_file, "Write the bound port here once listening");
  cmd->add_option("--lease", a->lease, "Attempt lease: no heartbeat for this long = agent lost")->capture_default_str();
  cmd->callback([a, &exit_code] { exit_code = run_server(*a); });
}

}  // namespace stackrun::cli
