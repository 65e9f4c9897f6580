#include "tests/support/fake_process_runner.hpp"

#include <fstream>
#include <thread>

#include "runner/core/mask.hpp"

namespace stackrun::testing {

void Gate::open() {
  {
    std::lock_guard lk(mu_);
    open_ = true;
  }
  cv_.notify_all();
}

bool Gate::wait(std::chrono::milliseconds limit) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, limit, [this] { return open_; });
}

void FakeProcessRunner::push(Script script) {
  std::lock_guard lk(mu_);
  scripts_.push_back(std::move(script));
}

void FakeProcessRunner::update(std::size_t index, bool stopped) {
  {
    std::lock_guard lk(mu_);
    calls_[index].stopped = stopped;
    calls_[index].done = true;
  }
  cv_.notify_all();
}

Result<proc::ExitInfo> FakeProcessRunner::run(const proc::Launch& launch,
                                              const proc::StepFiles& files,
                                              const std::function<bool()>& should_stop) {
  return play({launch, files, false, false, false}, should_stop);
}

Result<proc::ExitInfo> FakeProcessRunner::resume(const proc::StepFiles& files,
                                                 const std::function<bool()>& should_stop) {
  return play({{}, files, true, false, false}, should_stop);
}

Result<proc::ExitInfo> FakeProcessRunner::play(Call call,
                                               const std::function<bool()>& should_stop) {
  Script s;
  std::size_t index = 0;
  {
    std::lock_guard lk(mu_);
    if (!scripts_.empty()) {
      s = std::move(scripts_.front());
      scripts_.pop_front();
    }
    index = calls_.size();
    calls_.push_back(call);
  }
  cv_.notify_all();
  if (s.start_error) {
    update(index, false);
    return Error{*s.start_error};
  }
  // Appended and flushed chunk by chunk, as a step's writes reach the spool; masked as the
  // supervisor's relay masks them (the launch's secrets never reach the spool).
  std::ofstream spool(call.files.spool, std::ios::binary | std::ios::app);
  core::Masker masker(call.launch.mask);
  auto write = [&spool, &masker](const std::string& chunk) {
    spool << masker.feed(chunk) << std::flush;
  };
  for (const auto& chunk : s.output) write(chunk);
  proc::ExitInfo info{s.exit_code, 0, s.timed_out, false};
  if (s.gate && !s.gate->wait(wait_limit_)) {
    write("fake: the test never opened the gate\n");
    info.exit_code = 124;
  }
  if (s.until_stopped) {
    // Bounded in count and time: about wait_limit_ of 1 ms polls.
    const auto deadline = std::chrono::steady_clock::now() + wait_limit_;
    bool stop = false;
    while (!(stop = should_stop()) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (stop) {
      for (const auto& chunk : s.output_after_stop) write(chunk);
      info = {130, 2, false, true};
    } else {
      write("fake: should_stop() never came\n");
      info.exit_code = 124;
    }
  }
  spool << masker.flush() << std::flush;
  update(index, info.stopped);
  return info;
}

std::vector<FakeProcessRunner::Call> FakeProcessRunner::calls() const {
  std::lock_guard lk(mu_);
  return calls_;
}

bool FakeProcessRunner::wait_for_calls(std::size_t n, std::chrono::milliseconds limit,
                                       bool finished) const {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, limit, [&] {
    std::size_t count = 0;
    for (const auto& c : calls_) count += !finished || c.done;
    return count >= n;
  });
}

}  // namespace stackrun::testing
