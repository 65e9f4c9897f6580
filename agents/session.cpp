#include "agents/session.hpp"

#include <algorithm>

namespace stackrun::agent {

using Clock = std::chrono::steady_clock;

Session::Session(wire::AttemptRef attempt, const wire::LeaseAnswer& started, SessionOptions options,
                 ServerLink& logs, ServerLink& beats, Logger log, std::string what)
    : attempt_(attempt),
      o_(options),
      logs_(logs),
      beats_(beats),
      log_(std::move(log)),
      what_(std::move(what)),
      last_accepted_(Clock::now()),
      cancel_(started.cancel) {
  shipper_ = std::thread([this] { ship_loop(); });
  beater_ = std::thread([this] { beat_loop(); });
}

Session::~Session() {
  {
    std::lock_guard lk(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  beat_cv_.notify_all();
  shipper_.join();
  beater_.join();
}

void Session::output(std::string_view bytes) {
  std::lock_guard lk(mu_);
  const std::int64_t before = queue_.seq_count();
  queue_.add(bytes);
  if (queue_.seq_count() != before) cv_.notify_all();
}

void Session::note(std::string_view line) {
  std::lock_guard lk(mu_);
  queue_.add_line("[stackrun] " + std::string(line));
  cv_.notify_all();
}

bool Session::should_stop() {
  std::lock_guard lk(mu_);
  check_lease_locked(Clock::now());
  return cancel_ || fenced_ || self_fenced_;
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
  return queue_.seq_count();
}

bool Session::drain(Ms limit) {
  std::unique_lock lk(mu_);
  queue_.close();
  output_closed_ = true;
  cv_.notify_all();
  cv_.wait_for(lk, limit, [this] { return queue_.empty() || logs_refused_; });
  return queue_.empty() && !logs_refused_;
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
  // A fenced attempt's output is still evidence the server takes (schema/protocol.md): only a
  // refusal of the logs themselves stops shipping them.
  if (std::string_view(route) == "logs") logs_refused_ = true;
  cv_.notify_all();
  beat_cv_.notify_all();
}

void Session::ship_loop() {
  Ms backoff{0};
  bool failing = false;
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return closing_ || logs_refused_ || !queue_.empty(); });
    if (closing_ || logs_refused_) return;
    // Output comes in bursts: give this one a few ms (or until a batch is full) to join, so a
    // burst costs one request rather than one per line; then ship at once.
    if (!output_closed_ && queue_.pending_bytes() < o_.batch_bytes) {
      cv_.wait_for(lk, o_.coalesce, [this] {
        return closing_ || logs_refused_ || output_closed_ ||
               queue_.pending_bytes() >= o_.batch_bytes;
      });
      if (closing_ || logs_refused_) return;
    }
    wire::LogBatch batch{attempt_.attempt_id, attempt_.epoch, queue_.peek(o_.batch_bytes)};
    lk.unlock();
    const auto r = logs_.logs(batch);
    lk.lock();
    switch (r.answer) {
      case Answer::ok: {
        // The server says how many of the batch it stored; the rest goes again, after a pause
        // if it took nothing (so a server that keeps taking nothing is not hammered).
        const auto sent = static_cast<std::int64_t>(batch.chunks.size());
        const auto stored = std::clamp<std::int64_t>(r.value.acked, 0, sent);
        queue_.ack(static_cast<std::size_t>(stored));
        cv_.notify_all();  // drain() may be waiting
        if (stored == 0 && sent > 0) {
          backoff = next_backoff(backoff, o_.backoff_min, o_.backoff_max);
          cv_.wait_for(lk, backoff, [this] { return closing_ || logs_refused_; });
          break;
        }
        if (failing) log_("log lines of " + what_ + " delivered again");
        failing = false;
        backoff = Ms(0);
        break;
      }
      case Answer::refused:
        fence_locked("logs", r.status, r.text);
        return;
      case Answer::none:
      case Answer::unavailable:
        // The server is down or restarting: keep every line and retry; seqs make resending
        // harmless.
        if (!failing) log_("cannot ship log lines of " + what_ + " (" + r.text + "); retrying");
        failing = true;
        backoff = next_backoff(backoff, o_.backoff_min, o_.backoff_max);
        cv_.wait_for(lk, backoff, [this] { return closing_ || logs_refused_; });
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
