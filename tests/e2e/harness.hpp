#pragma once
// End-to-end harness: a real `stackrun server` and real `stackrun agent` processes on
// 127.0.0.1 over a real SQLite file, the sample infra repo (a real git repo) and the
// terragrunt stand-in on PATH. Nothing of stackrun is mocked. Every wait is bounded.
// A failing test keeps its directory (the TempDir prints its path).
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::e2e {

// The sample apply pipeline with one step, `terragrunt apply -auto-approve` (no saved plan, so
// no destroy guard): for the crash and fault tests, where one lock per apply and the apply's
// own output keep the counts they check exact.
extern const char* const kOneStepApply;

class Cluster {
 public:
  // Creates the sample repo (examples/make-sample-repo) under a temp dir; `pipeline_yaml`,
  // when given, replaces .stackrun/apply.yml in one extra commit (tests use short waits).
  explicit Cluster(const std::string& apply_yaml = "", const std::string& drift_yaml = "");
  ~Cluster();

  // Starts (or restarts) the server on the same database and port; waits until it answers.
  void start_server(const std::string& lease = "3s");
  // Extra `stackrun server` flags for every later start_server (e.g. --offer-timeout 2s).
  void set_server_args(std::vector<std::string> args) { server_args_ = std::move(args); }
  // Environment of every later start_server (e.g. a fault point), on top of the test's own.
  void set_server_env(const std::string& k, const std::string& v) { server_env_[k] = v; }
  void clear_server_env() { server_env_.clear(); }
  // Waits up to `timeout` for the server to exit on its own (a fault point); true if it did.
  bool wait_server_exit(std::chrono::seconds timeout);
  pid_t server_pid() const { return server_; }
  const std::string& db() const { return db_; }
  void kill_server(int sig = 9);
  // Registers (first time) and starts an agent; returns its pid.
  pid_t start_agent(const std::string& name, int capacity = 1, const std::string& grace = "2s");
  void kill_agent(const std::string& name, int sig = 9);
  // Sends `sig` to the agent and waits up to `timeout` for it to exit on its own. Returns its
  // wait status (see <sys/wait.h>), or -1 when it had to be SIGKILLed after the timeout.
  int stop_agent(const std::string& name, int sig, std::chrono::seconds timeout);

  // Writes <root>/server.yml, a server configuration with one repo `name` (default branch
  // master, `repo_keys` appended to the repo: e.g. "    notify: [URL]\n") and one canonical
  // Forgejo source `infra-forgejo` cloning `clone_url` with the webhook secret "s3cret" (in
  // <root>/hook-secret; `source_keys` appended to the source, e.g. "        token: {...}\n"),
  // and passes it to every later start_server as --config. Returns its path.
  std::string use_server_config(const std::string& name, const std::string& clone_url,
                                const std::string& repo_keys = "",
                                const std::string& source_keys = "");

  // Runs `stackrun ARGS...` against this cluster (server + token in the environment).
  testing::CommandResult cli(const std::vector<std::string>& args,
                             std::chrono::seconds timeout = std::chrono::seconds(120));
  // Appends a line to each file (repo-relative) and commits; returns the new sha.
  std::string commit_change(const std::vector<std::string>& files,
                            const std::string& message = "change");
  // Writes a file (repo-relative) and commits.
  std::string commit_file(const std::string& path, const std::string& content,
                          const std::string& message);
  // `stackrun trigger push` -> the first run id.
  long long trigger_push();
  // `stackrun show RUN --json`.
  nlohmann::json show(long long run);
  // Polls show until the run's status is terminal or `timeout` passes; returns the last show.
  nlohmann::json wait_run(long long run, std::chrono::seconds timeout = std::chrono::seconds(120));
  // Polls `pred(show)` until true or timeout; returns whether it became true.
  bool wait_until(long long run, const std::function<bool(const nlohmann::json&)>& pred,
                  std::chrono::seconds timeout = std::chrono::seconds(60));

  // Fault injection for the stub: one line per invocation of that stack (see examples/lib).
  void add_fault(const std::string& stack, const std::string& fault);
  // Lines of the stub's lock log: {"acquire"|"release", stack, pid, ns}.
  struct LockEvent {
    std::string what, stack;
    long long pid = 0, ns = 0;
  };
  std::vector<LockEvent> lock_log() const;
  // Fails the test if two holders of one stack's lock ever overlapped.
  void expect_no_overlap() const;

  const std::string& repo() const { return repo_; }
  const std::string& stub_state() const { return stub_state_; }
  const std::string& root() const { return root_; }
  std::string server_url() const;
  // The operator (CLI) token, for tests that drive the HTTP API directly.
  const std::string& operator_token() const { return token_; }
  void keep() { dir_.keep(); }
  // Environment given to agents started after this call (e.g. STACKRUN_STUB_APPLY_SECONDS),
  // and passed on to their steps (--pass-env NAME).
  void set_agent_env(const std::string& k, const std::string& v) { base_env_[k] = v; }
  // Extra `stackrun agent` flags for every later start_agent (e.g. --git-token-file F).
  void set_agent_args(std::vector<std::string> args) { agent_args_ = std::move(args); }

 private:
  testing::TempDir dir_{"stackrun-e2e"};
  std::string root_, repo_, stub_state_, db_, token_;
  int port_ = 0;
  pid_t server_ = -1;
  std::vector<std::string> server_args_, agent_args_;
  std::map<std::string, std::string> server_env_;
  std::map<std::string, pid_t> agents_;
  std::map<std::string, std::string> agent_tokens_;
  std::map<std::string, std::string> base_env_;
};

// Job of a show JSON by label (e.g. "dbaas"); throws if absent.
const nlohmann::json& job_of(const nlohmann::json& run, const std::string& label);

}  // namespace stackrun::e2e
