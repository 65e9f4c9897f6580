#include "runner/server/notifier.hpp"

#include <algorithm>

#include "runner/core/notify.hpp"

namespace stackrun::server {
namespace {

using store::Store;

std::string_view kind_text(Store::OutboxKind k) {
  return k == Store::OutboxKind::commit_status ? "commit status" : "notification";
}

}  // namespace

Send http_send(std::shared_ptr<http::Interrupt> interrupt, std::chrono::milliseconds timeout) {
  return [interrupt, timeout](const SendRequest& r) -> SendAnswer {
    if (!core::outbound_url_allowed(r.url))
      return {std::nullopt, "refused: not https (http only to loopback)"};
    try {
      http::Client client(r.url);
      client.set_interrupt(interrupt);
      // Why a User-Agent: GitHub's API refuses requests without one.
      client.set_header("User-Agent", "stackrun");
      if (!r.authorization.empty()) client.set_header("Authorization", r.authorization);
      auto got = client.request("POST", "", r.body, timeout);
      if (got) return {got->status, ""};
      // The client's error starts "POST <url>: "; a webhook URL's path is a secret, so it
      // never reaches the store or a log line.
      std::string why = got.error();
      const std::string prefix = "POST " + r.url + ": ";
      if (why.starts_with(prefix)) why = why.substr(prefix.size());
      return {std::nullopt, why};
    } catch (const std::exception& e) {  // curl could not even start (out of memory)
      return {std::nullopt, e.what()};
    }
  };
}

Notifier::Notifier(std::string db_path, std::shared_ptr<const config::ServerConfig> config,
                   Send send, NotifierOptions options)
    : db_path_(std::move(db_path)),
      config_(std::move(config)),
      send_(std::move(send)),
      options_(std::move(options)) {}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  thread_ = std::thread([this] { loop(); });
}

void Notifier::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Notifier::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Notifier::loop() {
  std::optional<store::Millis> next = options_.clock();  // rows left from before a restart
  store::Millis fault_delay = 1000;  // after a store error; doubles to a minute while it lasts
  for (;;) {
    {
      std::unique_lock lock(mu_);
      const auto ready = [this] { return woken_ || stopping_; };
      if (!next) {
        cv_.wait(lock, ready);
      } else if (const store::Millis delay = *next - options_.clock(); delay > 0) {
        cv_.wait_for(lock, std::chrono::milliseconds(delay), ready);
      }
      if (stopping_) return;
      woken_ = false;
    }
    try {
      next = pass();
      fault_delay = 1000;
    } catch (const store::DbError& e) {
      // Nothing was lost: the rows stay pending. A new connection next time (it may have been
      // opened on a read-only file).
      options_.log("notifier: store error (retrying in " + std::to_string(fault_delay / 1000) +
                   "s): " + e.what());
      store_.reset();
      next = options_.clock() + fault_delay;
      fault_delay = std::min<store::Millis>(fault_delay * 2, 60'000);
    }
  }
}

std::optional<store::Millis> Notifier::pass() {
  if (!store_) store_ = std::make_unique<Store>(db_path_, options_.db);
  std::vector<Store::OutboxRow> rows;
  {
    // Why a write transaction for a read: BEGIN IMMEDIATE waits for a transaction that is
    // enqueueing rows (and called wake()) to end, so this pass sees them.
    auto tx = store_->begin();
    rows = store_->due_outbox(options_.clock(), options_.batch);
    tx.commit();
  }
  for (const auto& row : rows) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return std::nullopt;
    }
    send_one(row);
  }
  // A sent row may have made its target's next row due: look again at once.
  if (!rows.empty()) return options_.clock();
  auto tx = store_->begin_read();
  return store_->next_outbox_try();
}

std::string Notifier::authorization_of(const Store::OutboxRow& row, std::string& why) const {
  if (row.kind != Store::OutboxKind::commit_status) return "";
  const auto found = config_ ? config::find_source(*config_, row.source) : std::nullopt;
  if (!found || !found->source->token) {
    why = "source " + row.source + " has no API token in the server configuration";
    return "";
  }
  return core::authorization(found->source->kind, found->source->token->reveal());
}

void Notifier::send_one(const Store::OutboxRow& row) {
  std::string why;
  const std::string auth = authorization_of(row, why);
  if (why.empty() && !core::outbound_url_allowed(row.target))
    why = "refused: not https (http only to 127.0.0.1, [::1] or localhost)";
  core::SendOutcome outcome = core::SendOutcome::give_up;
  if (why.empty()) {
    const SendAnswer got = send_({row.target, row.body, auth});
    outcome = core::classify_send(got.status);
    why = got.status ? "HTTP " + std::to_string(*got.status) : got.error;
  }
  const int tries = row.attempts + 1;
  const store::Millis now = options_.clock();
  auto tx = store_->begin();
  if (outcome == core::SendOutcome::sent) {
    store_->outbox_sent(row.id, now);
  } else if (outcome == core::SendOutcome::retry && tries < core::kMaxSendAttempts) {
    store_->outbox_retry(row.id, now + core::retry_delay_ms(tries, options_.jitter()), why);
  } else {
    store_->outbox_dead(row.id, why);
    options_.log("gave up on " + std::string(kind_text(row.kind)) + " " + std::to_string(row.id) +
                 " to " + core::redact_url(row.target) +
                 (row.run_id ? " (run " + std::to_string(*row.run_id) + ")" : "") + " after " +
                 std::to_string(tries) + (tries == 1 ? " try" : " tries") + ": " + why);
  }
  tx.commit();
}

}  // namespace stackrun::server
