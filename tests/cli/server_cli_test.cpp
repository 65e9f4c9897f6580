// Black-box: `stackrun server --listen` off loopback. Plain HTTP reachable from the network is
// refused (exit 2) unless --insecure-listen is given, which starts the server with a warning.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

using stackrun::testing::run_command;
using stackrun::testing::TempDir;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ServerCli, ANetworkListenWithoutTheFlagIsRefused) {
  TempDir tmp("stackrun-server-cli");
  const std::string db = (tmp.path() / "db.sqlite").string();
  auto r = run_command({STACKRUN_BIN, "server", "--db", db, "--listen", "0.0.0.0:0"}, "",
                       std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "stackrun server: --listen 0.0.0.0:0 is reachable from the network, and this server "
            "speaks plain HTTP (tokens and logs would cross it in clear); put a TLS reverse "
            "proxy in front (see docs/operations.md, \"TLS\") and listen on 127.0.0.1, or pass "
            "--insecure-listen to accept this\n");
  EXPECT_FALSE(std::filesystem::exists(db)) << "refused before opening the database";
  auto bad = run_command({STACKRUN_BIN, "server", "--db", db, "--listen", "localhost:8480"}, "",
                         std::chrono::seconds(60));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(bad.err,
            "stackrun server: --listen: \"localhost\" is not an IP address (use e.g. 127.0.0.1, "
            "0.0.0.0 or [::1])\n");
}

TEST(ServerCli, ANetworkListenWithTheFlagStartsWithAWarning) {
  TempDir tmp("stackrun-server-cli");
  const auto port_file = tmp.path() / "port";
  const auto err_file = tmp.path() / "stderr";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err < 0 || dup2(err, 2) < 0) _exit(127);
    execl(STACKRUN_BIN, STACKRUN_BIN, "server", "--db", (tmp.path() / "db.sqlite").c_str(),
          "--listen", "0.0.0.0:0", "--insecure-listen", "--port-file", port_file.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Bounded: 3000 polls of 10 ms at most, then the server is killed either way.
  bool listening = false;
  for (int i = 0; i < 3000 && !listening; ++i) {
    listening = std::filesystem::exists(port_file);
    if (!listening) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, listening ? SIGTERM : SIGKILL);
  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 3000 && (reaped = waitpid(pid, &status, WNOHANG)) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (reaped == 0) {  // still running after 30 s: kill it rather than hang the suite
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  const std::string err = read_file(err_file);
  ASSERT_TRUE(listening) << err;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << err;
  EXPECT_NE(err.find("stackrun server: warning: listening on 0.0.0.0:0 without TLS: tokens and "
                     "logs cross the network in clear; put a TLS reverse proxy in front "
                     "(docs/operations.md, \"TLS\")\n"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("stackrun server: listening on http://0.0.0.0:"), std::string::npos) << err;
}

}  // namespace

namespace {

// A standalone server keeps its database private whatever the caller's umask: the file, its
// WAL and shared-memory index are 0600 (an older 0644 file is fixed at start), and the lock too.
TEST(ServerCli, TheDatabaseAndItsWalArePrivate) {
  TempDir tmp("stackrun-server-cli");
  const auto db = tmp.path() / "db.sqlite";
  { std::ofstream(db.string()) << ""; }  // an empty file, as an older version would leave it
  ::chmod(db.c_str(), 0644);
  const auto port_file = tmp.path() / "port";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::umask(022);
    execl(STACKRUN_BIN, STACKRUN_BIN, "server", "--db", db.c_str(), "--listen", "127.0.0.1:0",
          "--port-file", port_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  bool listening = false;  // bounded: 3000 polls of 10 ms
  for (int i = 0; i < 3000 && !listening; ++i) {
    listening = std::filesystem::exists(port_file);
    if (!listening) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto mode = [](const std::filesystem::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
  };
  const int db_mode = mode(db), wal_mode = mode(db.string() + "-wal"),
            shm_mode = mode(db.string() + "-shm"), lock_mode = mode(db.string() + ".lock");
  kill(pid, listening ? SIGTERM : SIGKILL);
  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 3000 && (reaped = waitpid(pid, &status, WNOHANG)) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (reaped == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(listening);
  EXPECT_EQ(db_mode, 0600);
  EXPECT_EQ(wal_mode, 0600);
  EXPECT_EQ(shm_mode, 0600);
  EXPECT_EQ(lock_mode, 0600);
}

}  // namespace

namespace {

// `--check-config`: a valid file prints its summary (the secret named by origin, never its
// value) and exits 0; a bad one prints file:line:col diagnostics and exits 1.
TEST(ServerCli, CheckConfigValidatesWithoutPrintingSecrets) {
  TempDir tmp("stackrun-server-cli");
  const auto secret = tmp.path() / "hook-secret";
  { std::ofstream(secret.string()) << "hook-secret-value-7781\n"; }
  const auto good = tmp.path() / "server.yml";
  {
    std::ofstream(good.string()) << "version: 1\n"
                                    "listen: 127.0.0.1:0\n"
                                    "repos:\n"
                                    "  - name: infra\n"
                                    "    sources:\n"
                                    "      - name: infra-forgejo\n"
                                    "        kind: forgejo\n"
                                    "        clone_url: https://git.example.com/ops/infra.git\n"
                                    "        secrets: [{file: hook-secret}]\n";
  }
  auto ok = run_command({STACKRUN_BIN, "server", "--check-config", good.string()}, "",
                        std::chrono::seconds(60));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("infra-forgejo"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find(secret.string()), std::string::npos) << "named by origin: " << ok.out;
  EXPECT_EQ((ok.out + ok.err).find("hook-secret-value-7781"), std::string::npos) << ok.out;

  const auto bad = tmp.path() / "bad.yml";
  {
    std::ofstream(bad.string()) << "version: 1\n"
                                   "repos:\n"
                                   "  - name: infra\n"
                                   "    sources:\n"
                                   "      - name: s\n"
                                   "        kind: gitlab\n"
                                   "        clone_url: https://x/y.git\n"
                                   "        secrets: [{env: STACKRUN_CLI_TEST_UNSET_SECRET}]\n";
  }
  auto no = run_command({STACKRUN_BIN, "server", "--check-config", bad.string()}, "",
                        std::chrono::seconds(60));
  EXPECT_EQ(no.exit_code, 1);
  EXPECT_EQ(no.out, "");
  EXPECT_NE(no.err.find(bad.string() + ":6:15: "), std::string::npos) << no.err;
  EXPECT_NE(no.err.find(bad.string() + ":8:"), std::string::npos) << no.err;
}

}  // namespace
