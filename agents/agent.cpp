// The slots: each first resumes its share of the attempts an earlier agent process left
// (recover.cpp), then claims (long-poll), hands an offer to take_offer (attempt.cpp), and claims
// again, until the agent stops. Nothing here wakes up periodically: an idle slot sleeps inside
// its claim, and a stop interrupts that claim at once.
#include "agents/agent.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "agents/attempt.hpp"
#include "agents/policy.hpp"
#include "agents/recover.hpp"

namespace stackrun::agent {
namespace {

// Holds an exclusive lock on <work_dir>/agent.lock for the agent's lifetime. Why: a second
// agent on the same work dir would resume the first one's running attempts as its own. The
// kernel drops the lock with the process, so a killed agent's successor gets it at once.
class WorkDirLock {
 public:
  explicit WorkDirLock(const std::string& work_dir) {
    std::error_code ec;
    std::filesystem::create_directories(work_dir, ec);
    ::chmod(work_dir.c_str(), 0700);  // steps' output and secrets pass through here
    const std::string path = work_dir + "/agent.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw std::runtime_error("another agent process uses the work dir " + work_dir +
                               "; give each agent its own --work-dir");
    }
  }
  ~WorkDirLock() { ::close(fd_); }
  WorkDirLock(const WorkDirLock&) = delete;
  WorkDirLock& operator=(const WorkDirLock&) = delete;

 private:
  int fd_ = -1;
};

class Agent {
 public:
  Agent(const AgentOptions& o, const AgentDeps& d, std::stop_token stop)
      : o_(o), d_(d), forward_(std::move(stop), [this] { quit_.request_stop(); }) {}

  int run() {
    const WorkDirLock lock(o_.work_dir);
    const std::size_t n = static_cast<std::size_t>(std::max(1, o_.capacity));
    std::vector<SlotLinks> links(n);
    for (auto& l : links) l = {d_.links(), d_.links(), d_.links()};
    // Left by an earlier agent process: shared out among the slots, resumed before any claim.
    std::vector<std::vector<AttemptDir>> resumes(n);
    const auto left = AttemptDir::existing(o_.work_dir);
    for (std::size_t i = 0; i < left.size(); ++i) resumes[i % n].push_back(left[i]);
    std::vector<std::thread> slots;
    {
      std::lock_guard lk(idle_mu_);
      busy_ = slots_left_ = static_cast<int>(n);  // each resumes its share first
    }
    for (std::size_t i = 0; i < n; ++i)
      slots.emplace_back([this, &l = links[i], &r = resumes[i]] { guarded_slot(l, r); });
    release_when_idle();
    for (auto& t : slots) t.join();
    if (failure_) std::rethrow_exception(failure_);
    return exit_code_;
  }

 private:
  // What cannot continue (an exception) ends every slot and is rethrown by run().
  void guarded_slot(SlotLinks& links, const std::vector<AttemptDir>& resumes) {
    try {
      for (const AttemptDir& dir : resumes) resume_attempt(dir, links, o_, d_);
      busy(false);
      slot(links);
    } catch (...) {
      std::lock_guard lk(mu_);
      if (!failure_) failure_ = std::current_exception();
      quit_.request_stop();
    }
    std::lock_guard lk(idle_mu_);
    --slots_left_;
    idle_cv_.notify_all();
  }

  void busy(bool on) {
    std::lock_guard lk(idle_mu_);
    busy_ += on ? 1 : -1;
    if (on) released_ = false;
    idle_cv_.notify_all();
  }

  // Until every slot has returned: once per idle spell, when no slot has had a job for
  // idle_release, gives back what is kept for the next job. Why malloc_trim: main() keeps up to
  // 16 MiB of freed heap for the log path's megabyte buffers, which an idle agent should not hold.
  void release_when_idle() {
    std::unique_lock lk(idle_mu_);
    for (;;) {
      idle_cv_.wait(lk, [this] { return slots_left_ == 0 || (busy_ == 0 && !released_); });
      if (slots_left_ == 0) return;
      if (idle_cv_.wait_for(lk, o_.timings.idle_release,
                            [this] { return slots_left_ == 0 || busy_ > 0; }))
        continue;
      released_ = true;
      lk.unlock();
      d_.workspaces.idle();
      malloc_trim(0);
      lk.lock();
    }
  }

  // The server refused this agent for good: every slot stops claiming (a parked claim is
  // interrupted); jobs already running finish.
  void give_up(const std::string& why) {
    d_.log(why);
    exit_code_ = kExitRefused;
    quit_.request_stop();
  }

  void slot(SlotLinks& links) {
    const std::stop_token stop = quit_.get_token();
    const wire::ClaimRequest request{o_.claim_wait_ms, o_.labels};
    Ms backoff{0};
    // The offer the last report brought (FinishRequest::claim_labels): taken without a claim.
    std::optional<wire::Offer> next;
    while (!stop.stop_requested()) {
      auto r =
          next ? LinkResult<wire::Offer>::of(std::move(*next)) : links.main->claim(request, stop);
      next.reset();
      if (stop.stop_requested()) {
        if (r.ok()) d_.log("stopping: not taking attempt " + std::to_string(r.value.attempt_id));
        return;
      }
      if (r.answer == Answer::ok || r.answer == Answer::none) {
        if (backoff != Ms(0)) d_.log("server reachable again");
        backoff = Ms(0);
      }
      switch (r.answer) {
        case Answer::ok: {
          busy(true);
          auto fatal = take_offer(r.value, links, o_, d_, stop, &next);
          busy(false);
          if (fatal) return give_up(*fatal);
          break;
        }
        case Answer::none:
          break;
        case Answer::refused:
          if (r.status == 400)
            return give_up("the server refused this agent's claim (400): " + r.text);
          if (r.status == 401 || r.status == 403)
            return give_up("the server refused this agent's token (" + std::to_string(r.status) +
                           "): " + r.text);
          d_.log("unexpected claim answer " + std::to_string(r.status) + ": " + r.text);
          backoff = next_backoff(backoff, o_.timings.backoff_min, o_.timings.backoff_max);
          sleep_unless_stopped(stop, backoff);
          break;
        case Answer::unavailable:
          // Server down or restarting: back off (bounded) and claim again.
          if (backoff == Ms(0)) d_.log("cannot claim (" + r.text + "); retrying");
          backoff = next_backoff(backoff, o_.timings.backoff_min, o_.timings.backoff_max);
          sleep_unless_stopped(stop, backoff);
          break;
      }
    }
  }

  const AgentOptions& o_;
  const AgentDeps& d_;
  std::stop_source quit_;  // the caller's stop, or a refusal, or a failure
  std::stop_callback<std::function<void()>> forward_;  // caller's stop -> quit_
  std::atomic<int> exit_code_{0};
  std::mutex mu_;
  std::exception_ptr failure_;
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  int busy_ = 0, slots_left_ = 0;  // slots with a job (or resuming), slots not yet returned
  bool released_ = false;          // this idle spell's release is done
};

}  // namespace

int run_agent(const AgentOptions& options, const AgentDeps& deps, std::stop_token stop) {
  Agent agent(options, deps, std::move(stop));
  return agent.run();
}

}  // namespace stackrun::agent
