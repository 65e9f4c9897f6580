// The outbox (schema/sql/0006_outbox.sql): commit statuses and chat notifications written with
// the change that caused them, read and marked by the server's notifier.
#include <string_view>

#include "runner/store/columns.hpp"
#include "runner/store/store.hpp"

namespace stackrun::store {
namespace {

std::string_view kind_text(Store::OutboxKind k) {
  switch (k) {
    case Store::OutboxKind::commit_status:
      return "commit_status";
    case Store::OutboxKind::notify:
      return "notify";
  }
  return "notify";
}

std::string_view state_text(Store::OutboxState s) {
  switch (s) {
    case Store::OutboxState::pending:
      return "pending";
    case Store::OutboxState::sent:
      return "sent";
    case Store::OutboxState::dead:
      return "dead";
  }
  return "dead";
}

Store::OutboxKind parse_kind(const std::string& s) {
  for (auto k : {Store::OutboxKind::commit_status, Store::OutboxKind::notify})
    if (kind_text(k) == s) return k;
  throw DbError("unknown outbox kind \"" + s + "\" (a database from a newer stackrun?)");
}

Store::OutboxState parse_state(const std::string& s) {
  for (auto k : {Store::OutboxState::pending, Store::OutboxState::sent, Store::OutboxState::dead})
    if (state_text(k) == s) return k;
  throw DbError("unknown outbox state \"" + s + "\" (a database from a newer stackrun?)");
}

constexpr const char* kColumns =
    "SELECT id, kind, run_id, target, source, body, attempts, next_try_at, state, last_error, "
    "created_at, sent_at FROM outbox o ";

// The first pending row of its target: no earlier pending row has the same target.
constexpr const char* kHeadOfTarget =
    "o.state = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending' "
    "AND p.target = o.target AND p.id < o.id)";

Store::OutboxRow read_row(const Stmt& s) {
  Store::OutboxRow r;
  r.id = s.i64(0);
  r.kind = parse_kind(s.text(1));
  r.run_id = s.opt_i64(2);
  r.target = s.text(3);
  r.source = s.text(4);
  r.body = s.text(5);
  r.attempts = static_cast<int>(s.i64(6));
  r.next_try_at = s.i64(7);
  r.state = parse_state(s.text(8));
  r.last_error = s.text(9);
  r.created_at = s.i64(10);
  r.sent_at = s.opt_i64(11);
  return r;
}

}  // namespace

Id Store::insert_outbox(const NewOutbox& row, Millis now) {
  db_.prepare(
         "INSERT INTO outbox(kind, run_id, target, source, body, next_try_at, created_at) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)")
      .bind(1, kind_text(row.kind))
      .bind(2, row.run_id)
      .bind(3, row.target)
      .bind(4, row.source)
      .bind(5, row.body)
      .bind(6, now)
      .exec();
  return db_.last_insert_id();
}

std::vector<Store::OutboxRow> Store::due_outbox(Millis now, int limit) {
  auto s = db_.prepare(std::string(kColumns) + "WHERE " + kHeadOfTarget +
                       " AND o.next_try_at <= ?1 ORDER BY o.id LIMIT ?2");
  s.bind(1, now).bind(2, limit);
  std::vector<OutboxRow> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

std::optional<Millis> Store::next_outbox_try() {
  auto s =
      db_.prepare(std::string("SELECT MIN(o.next_try_at) FROM outbox o WHERE ") + kHeadOfTarget);
  if (!s.step()) return std::nullopt;
  return s.opt_i64(0);
}

void Store::outbox_sent(Id id, Millis now) {
  db_.prepare(
         "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?2, "
         "last_error = '' WHERE id = ?1 AND state = 'pending'")
      .bind(1, id)
      .bind(2, now)
      .exec();
}

void Store::outbox_retry(Id id, Millis next_try_at, const std::string& error) {
  db_.prepare(
         "UPDATE outbox SET attempts = attempts + 1, next_try_at = ?2, last_error = ?3 "
         "WHERE id = ?1 AND state = 'pending'")
      .bind(1, id)
      .bind(2, next_try_at)
      .bind(3, error)
      .exec();
}

void Store::outbox_dead(Id id, const std::string& error) {
  db_.prepare(
         "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?2 "
         "WHERE id = ?1 AND state = 'pending'")
      .bind(1, id)
      .bind(2, error)
      .exec();
}

std::optional<Store::OutboxRow> Store::outbox_row(Id id) {
  auto s = db_.prepare(std::string(kColumns) + "WHERE o.id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

std::vector<Store::OutboxRow> Store::outbox_of_run(Id run_id) {
  auto s = db_.prepare(std::string(kColumns) + "WHERE o.run_id = ?1 ORDER BY o.id");
  s.bind(1, run_id);
  std::vector<OutboxRow> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

std::optional<core::JobStatus> Store::previous_decided_apply(Id repo_id, const std::string& stack,
                                                             Id before_job) {
  auto s = db_.prepare(
      "SELECT status FROM jobs WHERE repo_id = ?1 AND stack = ?2 AND id < ?3 AND kind = 'apply' "
      "AND status IN ('success', 'drift', 'failed', 'interrupted') ORDER BY id DESC LIMIT 1");
  s.bind(1, repo_id).bind(2, stack).bind(3, before_job);
  if (!s.step()) return std::nullopt;
  return columns::job_status(s.text(0));
}

}  // namespace stackrun::store
