#include "agents/session.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>

namespace stackrun::agent {

using Clock = std::chrono::steady_clock;

Session::Session(wire::AttemptRef attempt, const wire::LeaseAnswer& started, SessionOptions options,
                 SessionSpool spool, ServerLink& logs, ServerLink& beats, Logger log,
                 std::string what)
    : attempt_(attempt),
      o_(options),
      logs_(logs),
      beats_(beats),
      log_(std::move(log)),
      what_(std::move(what)),
      reader_(attempt, spool.spool, spool.state_path, options.limits, spool.start),
      last_accepted_(Clock::now()),
      seq_(spool.start.seq),
      cancel_(started.cancel) {
  // Why inotify: the log thread sleeps until the step writes, with no polling timer; the
  // fallback wait covers filesystems that do not report changes.
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ >= 0) ::inotify_add_watch(inotify_fd_, spool.spool.c_str(), IN_MODIFY);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  shipper_ = std::thread([this] { ship_loop(); });
  beater_ = std::thread([this] { beat_loop(); });
}

Session::~Session() {
  {
    std::lock_guard lk(mu_);
    closing_ = true;
  }
  wake();
  cv_.notify_all();
  beat_cv_.notify_all();
  shipper_.join();
  beater_.join();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Session::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

bool Session::should_stop() {
  std::lock_guard lk(mu_);
  check_lease_locked(Clock::now());
  return cancel_ || fenced_ || self_fenced_;
}

bool Session::output_closed() {
  std::lock_guard lk(mu_);
  return output_closed_;
}

bool Session::cancelled() {
  std::lock_guard lk(mu_);
  return cancel_;
}

bool Session::fenced() {
  std::lock_guard lk(mu_);
  return fenced_;
}

bool Session::self_fenced() {
  std::lock_guard lk(mu_);
  return self_fenced_;
}

std::int64_t Session::seq_count() {
  std::lock_guard lk(mu_);
  return seq_;
}

bool Session::drain(Ms limit) {
  std::unique_lock lk(mu_);
  output_closed_ = true;
  wake();
  cv_.wait_for(lk, limit, [this] { return drained_ || logs_refused_; });
  return drained_ && !logs_refused_;
}

bool Session::check_lease_locked(Instant now) {
  if (!self_fenced_ && !fenced_ && lease_lapsed(last_accepted_, now, o_.lease)) {
    // The server may already have declared this attempt lost and offered the job elsewhere:
    // stop gracefully rather than keep changing state nobody is tracking.
    self_fenced_ = true;
    log_("no heartbeat accepted for a whole lease: stopping " + what_);
  }
  return self_fenced_;
}

void Session::fence_locked(const char* route, int status, const std::string& text) {
  if (!fenced_)
    log_(what_ + " fenced by the server (" + route + " answered " + std::to_string(status) + ": " +
         text + "): stopping it, not reporting it");
  fenced_ = true;
  if (std::string_view(route) == "logs") logs_refused_ = true;
  cv_.notify_all();
  beat_cv_.notify_all();
}

void Session::wait_for_output(Ms wait) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
  const int n = ::poll(fds, inotify_fd_ >= 0 ? 2 : 1, static_cast<int>(wait.count()));
  if (n <= 0) return;
  std::uint64_t value = 0;
  if (fds[0].revents & POLLIN) {
    [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &value, sizeof value);
  }
  // The events only say "written"; the spool's size says how much. Drain them all.
  alignas(inotify_event) char buf[4096];
  if (inotify_fd_ >= 0 && (fds[1].revents & POLLIN))
    while (::read(inotify_fd_, buf, sizeof buf) > 0) {
    }
}

void Session::sleep_unless_woken(Ms wait) {
  pollfd fd{wake_fd_, POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(wait.count())) > 0) {
    std::uint64_t value = 0;  // the loop checks why (closing_, output_closed_) under mu_
    [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &value, sizeof value);
  }
}

void Session::ship_loop() {
  Ms backoff{0};
  bool failing = false, fresh = false;
  for (;;) {  // one pass per batch or wake-up, until closing or refused
    // Output comes in bursts: after a wake-up, give the burst a few ms to join, so that it
    // costs one request rather than one per line. A backlog ships at once.
    if (fresh && !output_closed()) sleep_unless_woken(o_.coalesce);
    fresh = false;
    // Read after that pause, never before it: a drain() during the pause spends its wake-up
    // there, and a stale "not ended" would then wait out the whole fallback for output that
    // never comes (a 1 s stall at the end of about one fast job in twenty).
    bool ended = false;
    {
      std::lock_guard lk(mu_);
      if (closing_ || logs_refused_) return;
      ended = output_closed_;
    }
    if (reader_.capped())
      if (auto problem = reader_.bound_disk()) log_(*problem);
    const wire::LogBatch* batch = reader_.next(ended);
    if (batch == nullptr) {
      if (ended && reader_.done(true)) {
        std::lock_guard lk(mu_);
        drained_ = true;
        cv_.notify_all();
      }
      wait_for_output(o_.fallback);
      fresh = true;
      continue;
    }
    const auto r = logs_.logs(*batch);
    std::unique_lock lk(mu_);
    switch (r.answer) {
      case Answer::ok: {
        // The server says how many of the batch it stored; the rest goes again, after a pause
        // if it took nothing (so a server that keeps taking nothing is not hammered).
        const auto sent = static_cast<std::int64_t>(batch->chunks.size());
        const auto stored = std::clamp<std::int64_t>(r.value.acked, 0, sent);
        reader_.answered(static_cast<std::size_t>(stored));
        seq_ = reader_.seq_count();
        cv_.notify_all();
        if (failing) log_("log lines of " + what_ + " delivered again");
        failing = false;
        if (stored == 0 && sent > 0) {
          backoff = next_backoff(backoff, o_.backoff_min, o_.backoff_max);
          lk.unlock();
          sleep_unless_woken(backoff);
          break;
        }
        backoff = Ms(0);
        break;
      }
      case Answer::refused:
        fence_locked("logs", r.status, r.text);
        return;
      case Answer::none:
      case Answer::unavailable:
        // The server is down or restarting: the batch goes again as it is (seqs make a resend
        // harmless).
        if (!failing) log_("cannot ship log lines of " + what_ + " (" + r.text + "); retrying");
        failing = true;
        backoff = next_backoff(backoff, o_.backoff_min, o_.backoff_max);
        lk.unlock();
        sleep_unless_woken(backoff);
        break;
    }
  }
}

void Session::beat_loop() {
  const Ms every = heartbeat_interval(o_.lease);
  Instant next = Clock::now() + every;
  Ms backoff{0};
  std::unique_lock lk(mu_);
  for (;;) {
    beat_cv_.wait_until(lk, next, [this] { return closing_ || fenced_; });
    if (closing_ || fenced_) return;
    // The server renews the lease when it receives the beat, so count from the sending: a
    // slow answer must not make the agent believe in more lease than it has.
    const Instant sent = Clock::now();
    lk.unlock();
    const auto r = beats_.heartbeat(attempt_);
    lk.lock();
    const Instant now = Clock::now();
    switch (r.answer) {
      case Answer::ok:
        last_accepted_ = std::max(last_accepted_, sent);
        backoff = Ms(0);
        next = now + every;
        if (r.value.cancel && !cancel_) {
          cancel_ = true;
          log_("cancel requested: stopping " + what_);
        }
        break;
      case Answer::refused:
        fence_locked("heartbeat", r.status, r.text);
        return;
      case Answer::none:
      case Answer::unavailable:
        check_lease_locked(now);
        backoff = next_backoff(backoff, o_.backoff_min, o_.backoff_max);
        next = now + heartbeat_retry(backoff, o_.lease);
        break;
    }
  }
}

}  // namespace stackrun::agent
