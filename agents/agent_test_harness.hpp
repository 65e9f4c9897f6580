#pragma once
// For agents/*_test.cpp only: run_agent on a thread against a FakeServer, a FakeProcessRunner
// and a FakeWorkspaceMaker over a FakeRepo, with short timings. Every wait is bounded; a
// run_agent that does not return in time fails the test and aborts (a hung thread cannot be
// joined), so a broken agent never hangs CI.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "agents/agent.hpp"
#include "tests/support/fake_process_runner.hpp"
#include "tests/support/fake_repo.hpp"
#include "tests/support/fake_server_link.hpp"
#include "tests/support/fake_workspace_maker.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::agent {

inline constexpr std::chrono::milliseconds kWait{10'000};  // hang bound of every wait

inline const char* kPipeline = R"(version: 1
name: apply
when: [{event: push}]
steps:
  - name: apply
    command: terragrunt apply
    env: {TF_IN_AUTOMATION: "1"}
)";

class AgentHarness {
 public:
  AgentHarness() : workspaces(repo.opener(kRepoUrl)) {
    commit =
        repo.commit({{"stacks/app/terragrunt.hcl", "# app\n"}, {".stackrun/apply.yml", kPipeline}});
    options.name = "test";
    options.work_dir = dir.path().string();
    options.grace = std::chrono::milliseconds(50);
    options.timings.backoff_min = std::chrono::milliseconds(1);
    options.timings.backoff_max = std::chrono::milliseconds(5);
    options.timings.drain_limit = kWait;
    options.timings.finish_limit = kWait;
  }
  ~AgentHarness() {
    if (running.valid()) {
      stop.request_stop();
      await();
    }
  }

  static constexpr const char* kRepoUrl = "/srv/infra";

  // An offer of stacks/app at the repo's commit running `yaml`.
  wire::Offer offer(wire::Id attempt_id = 11, std::string yaml = kPipeline) const {
    wire::Offer o;
    o.attempt_id = attempt_id;
    o.job_id = 5;
    o.run_id = 3;
    o.epoch = 2;
    o.n = 1;
    o.lease_ms = 30'000;
    o.offer_ms = 10'000;
    o.repo_url = kRepoUrl;
    o.commit = commit;
    o.ref = "refs/heads/master";
    o.stack = "stacks/app";
    o.label = "app";
    o.tier = "all";
    o.event = "push";
    o.pipeline = "apply";
    o.pipeline_file = ".stackrun/apply.yml";
    o.pipeline_yaml = std::move(yaml);
    o.message = "bump app";
    return o;
  }

  AgentDeps deps() {
    return {server.factory(),
            processes,
            workspaces,
            {{"PATH", "/usr/bin:/bin"}, {"BASE", "1"}},
            [this](const std::string& line) {
              std::lock_guard lk(log_mu_);
              log_.push_back(line);
            },
            {}};
  }

  // Runs run_agent on its own thread.
  void start() {
    deps_ = std::make_unique<AgentDeps>(deps());
    running = std::async(std::launch::async,
                         [this] { return run_agent(options, *deps_, stop.get_token()); });
  }
  // Waits (bounded) for run_agent to return; its exit code.
  int await() {
    if (running.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "run_agent did not return within " << kWait.count() << " ms";
      std::fflush(nullptr);
      std::abort();
    }
    return running.get();
  }
  int stop_and_await() {
    stop.request_stop();
    return await();
  }
  bool returned() {
    return running.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready;
  }
  bool wait(const std::function<bool()>& done) { return server.wait_until(done, kWait); }

  std::vector<std::string> log_lines() {
    std::lock_guard lk(log_mu_);
    return log_;
  }
  bool logged(const std::string& part) {
    for (const auto& l : log_lines())
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
  std::string workspace(wire::Id attempt_id = 11) const {
    return (dir.path() / "jobs" / ("attempt-" + std::to_string(attempt_id))).string();
  }

  testing::TempDir dir{"stackrun-agent-test"};
  testing::FakeRepo repo;
  std::string commit;
  testing::FakeServer server;
  testing::FakeProcessRunner processes;
  testing::FakeWorkspaceMaker workspaces;
  AgentOptions options;
  std::stop_source stop;
  std::future<int> running;

 private:
  std::unique_ptr<AgentDeps> deps_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

// The value of `name` in a launch's environment ("" when absent).
inline std::string env_of(const proc::Launch& l, const std::string& name) {
  for (auto it = l.env.rbegin(); it != l.env.rend(); ++it)
    if (it->first == name) return it->second;
  return "";
}

}  // namespace stackrun::agent
