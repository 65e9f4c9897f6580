#pragma once
// FakeProcessRunner: a scripted proc::ProcessRunner for tests of code that runs steps. It
// records every launch (argv, env, cwd, timeout, grace) and its step files, and plays one
// Script per call (run or resume), in call order, appending the script's output to the spool as
// a real step would. Thread-safe: several slots may run steps through it at once.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runner/proc/process.hpp"

namespace stackrun::testing {

// A one-way gate a test opens to let a scripted step go on.
class Gate {
 public:
  void open();
  // Waits until open() or `limit`; true when opened.
  bool wait(std::chrono::milliseconds limit);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class FakeProcessRunner : public proc::ProcessRunner {
 public:
  // What one run() or resume() does, in this order: fail to start (if start_error), append each
  // output chunk to the spool, wait for `gate` (if set), wait until should_stop() (if
  // until_stopped), return.
  struct Script {
    std::vector<std::string> output{};
    int exit_code = 0;
    bool timed_out = false;
    std::optional<std::string> start_error{};  // run() fails with this text, writing nothing
    std::shared_ptr<Gate> gate{};
    // Polls should_stop() (as the real runner does) and then ends like a step stopped by
    // SIGINT: exit_code 130, signal 2, stopped = true.
    bool until_stopped = false;
    // Written once should_stop() said so (a step's last words on SIGINT), before returning.
    std::vector<std::string> output_after_stop{};
  };

  struct Call {
    proc::Launch launch;  // empty for a resume()
    proc::StepFiles files;
    bool resumed = false;  // a resume() rather than a run()
    bool stopped = false;  // ended because should_stop() said so
    bool done = false;     // run() has returned
  };

  // A gate or should_stop() not reached within this long ends the run with exit 124 and a
  // "fake: ... never came" line, so a broken test fails instead of hanging.
  explicit FakeProcessRunner(std::chrono::milliseconds wait_limit = std::chrono::seconds(10))
      : wait_limit_(wait_limit) {}

  // Queues the script of the next unscripted call. Unscripted calls exit 0 silently.
  void push(Script script);

  Result<proc::ExitInfo> run(const proc::Launch& launch, const proc::StepFiles& files,
                             const std::function<bool()>& should_stop) override;
  Result<proc::ExitInfo> resume(const proc::StepFiles& files,
                                const std::function<bool()>& should_stop) override;

  std::vector<Call> calls() const;
  // Waits until at least `n` runs began (finished: returned); false after `limit`.
  bool wait_for_calls(std::size_t n, std::chrono::milliseconds limit, bool finished = false) const;

 private:
  Result<proc::ExitInfo> play(Call call, const std::function<bool()>& should_stop);
  void update(std::size_t index, bool stopped);

  const std::chrono::milliseconds wait_limit_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<Script> scripts_;
  std::vector<Call> calls_;
};

}  // namespace stackrun::testing
