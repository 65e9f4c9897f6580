// `stackrun up` as a whole, black-box, with real processes: its children die with it (even
// by SIGKILL), its state dir and files are private (also when an older `up` left them open),
// and its agents get their token from a 0600 file, never argv or the environment.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace stackrun::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
const std::string kBin = STACKRUN_BIN;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// True while `pid` exists and is not a zombie (a re-parented child may stay one for a while
// under an init that reaps slowly; it has exited all the same).
bool running(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  const std::size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

struct UpProcess {
  pid_t up = -1, server = -1;
  std::vector<pid_t> agents;
};

// Starts `stackrun up ARGS` (own process group, output to `log`) and waits, for at most 30 s,
// until up.json names the server and `agents` agents. Throws after killing it on failure.
UpProcess start_up(const fs::path& state, int agents, const std::vector<std::string>& args,
                   const std::string& log) {
  UpProcess u;
  std::vector<std::string> argv = {kBin,           "up",       "--state-dir",
                                   state.string(), "--agents", std::to_string(agents)};
  argv.insert(argv.end(), args.begin(), args.end());
  u.up = fork();
  if (u.up < 0) throw std::runtime_error("fork failed");
  if (u.up == 0) {
    setpgid(0, 0);  // own group: killing it never reaches the test runner
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    execv(cargs[0], cargs.data());
    _exit(127);
  }
  for (int i = 0; i < 300; ++i) {  // bounded: 30 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto up = nlohmann::json::parse(slurp((state / "up.json").string()), nullptr, false);
    if (up.is_discarded() || !up.contains("agents") || up["agents"].size() < size_t(agents))
      continue;
    u.server = up.value("server", -1);
    for (const auto& [name, pid] : up["agents"].items()) u.agents.push_back(pid.get<pid_t>());
    return u;
  }
  kill(u.up, SIGKILL);
  waitpid(u.up, nullptr, 0);
  throw std::runtime_error("stackrun up did not start; see " + log);
}

// Waits until none of `pids` runs, for at most `limit`; returns those still running.
std::vector<pid_t> wait_gone(std::vector<pid_t> pids, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  for (;;) {  // bounded by `deadline`
    std::erase_if(pids, [](pid_t p) { return !running(p); });
    if (pids.empty() || Clock::now() > deadline) return pids;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Stops `up` with SIGINT as an operator would (up to 60 s), else SIGKILLs what is left.
void stop_up(const UpProcess& u) {
  kill(u.up, SIGINT);
  for (int i = 0; i < 600; ++i) {  // bounded: 60 s
    if (waitpid(u.up, nullptr, WNOHANG) == u.up) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(u.up, SIGKILL);
  waitpid(u.up, nullptr, 0);
  for (pid_t p : u.agents) kill(p, SIGKILL);
  kill(u.server, SIGKILL);
}

TEST(Up, KillNineOfUpTakesItsServerAndAgentsDown) {
  testing::TempDir dir("stackrun-e2e-up");
  const fs::path state = dir.path() / "state";
  const UpProcess u = start_up(state, 2, {}, (dir.path() / "up.log").string());
  std::vector<pid_t> children = u.agents;
  children.push_back(u.server);
  for (pid_t p : children) ASSERT_TRUE(running(p)) << p;

  ASSERT_EQ(kill(u.up, SIGKILL), 0);
  ASSERT_EQ(waitpid(u.up, nullptr, 0), u.up);
  // They get SIGTERM from the kernel and stop as after a Ctrl-C: idle agents at once.
  const std::vector<pid_t> left = wait_gone(children, std::chrono::seconds(30));
  EXPECT_TRUE(left.empty()) << left.size() << " of up's children outlived it; see "
                            << dir.path().string();
  for (pid_t p : left) kill(p, SIGKILL);
  if (!left.empty()) dir.keep();
  EXPECT_NE(slurp((state / "server.log").string()).find("signal 15"), std::string::npos)
      << slurp((state / "server.log").string());
}

TEST(Up, StateIsPrivateAndAgentsGetTheirTokenFromAFile) {
  testing::TempDir dir("stackrun-e2e-up");
  const fs::path state = dir.path() / "state";
  // What an older `up` may have left: open modes everywhere.
  fs::create_directories(state / "agents");
  testing::write_file(state / "server.log", "old\n");
  testing::write_file(state / "agents" / "agent-1.log", "old\n");
  for (const auto& p : {state, state / "agents"}) ASSERT_EQ(chmod(p.c_str(), 0755), 0);
  for (const auto& p : {state / "server.log", state / "agents" / "agent-1.log"})
    ASSERT_EQ(chmod(p.c_str(), 0644), 0);

  const UpProcess u =
      start_up(state, 1, {"--pass-env", "STACKRUN_STUB_*"}, (dir.path() / "up.log").string());
  ASSERT_EQ(u.agents.size(), 1u);
  // The agent makes its work dir before it says it is serving.
  for (int i = 0; i < 300; ++i) {  // bounded: 30 s
    if (slurp((state / "agents" / "agent-1.log").string()).find("serving") != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const fs::path& d : {state, state / "agents", state / "agents" / "agent-1"})
    EXPECT_EQ(mode_of(d), 0700u) << d;
  for (const char* f :
       {"client.json", "up.json", "server.log", "server.port", "stackrun.db", "stackrun.db-wal",
        "stackrun.db-shm", "agents/agent-1.log", "agents/agent-1.token"})
    EXPECT_EQ(mode_of(state / f), 0600u) << f;

  std::string token = slurp((state / "agents" / "agent-1.token").string());
  ASSERT_FALSE(token.empty());
  token.pop_back();  // the newline
  const std::string proc = "/proc/" + std::to_string(u.agents[0]);
  std::string cmdline = slurp(proc + "/cmdline"), environ = slurp(proc + "/environ");
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  EXPECT_NE(cmdline.find("--token-file " + (state / "agents" / "agent-1.token").string()),
            std::string::npos)
      << cmdline;
  EXPECT_NE(cmdline.find("--pass-env STACKRUN_STUB_*"), std::string::npos) << cmdline;
  EXPECT_EQ(cmdline.find(token), std::string::npos);
  EXPECT_EQ(environ.find(token), std::string::npos);
  EXPECT_EQ(environ.find("STACKRUN_AGENT_TOKEN"), std::string::npos);
  stop_up(u);
  if (::testing::Test::HasFailure()) dir.keep();
}

}  // namespace
}  // namespace stackrun::e2e
