// Webhook deliveries (schema/sql/0004_deliveries.sql): what came in, what the guards made of
// it, and which push already holds its one run.
#include <string_view>

#include "runner/store/store.hpp"

namespace stackrun::store {

std::string_view outcome_text(DeliveryOutcome o) {
  switch (o) {
    case DeliveryOutcome::accept:
      return "accept";
    case DeliveryOutcome::ignored:
      return "ignored";
    case DeliveryOutcome::denied:
      return "denied";
    case DeliveryOutcome::rejected:
      return "rejected";
  }
  return "rejected";
}

namespace {

DeliveryOutcome parse_outcome(const std::string& s) {
  for (auto o : {DeliveryOutcome::accept, DeliveryOutcome::ignored, DeliveryOutcome::denied,
                 DeliveryOutcome::rejected})
    if (outcome_text(o) == s) return o;
  throw DbError("unknown delivery outcome \"" + s + "\" (a database from a newer stackrun?)");
}

constexpr const char* kColumns =
    "SELECT id, source, repo, delivery_id, received_at, event, ref, after, sender_id, "
    "sender_login, outcome, reason, holds_key, run_id, error FROM deliveries ";

DeliveryRow read_delivery(const Stmt& s) {
  DeliveryRow d;
  d.id = s.i64(0);
  d.source = s.text(1);
  d.repo = s.text(2);
  d.delivery_id = s.text(3);
  d.received_at = s.i64(4);
  d.event = s.text(5);
  d.ref = s.text(6);
  d.after = s.text(7);
  d.sender_id = s.text(8);
  d.sender_login = s.text(9);
  d.outcome = parse_outcome(s.text(10));
  d.reason = s.text(11);
  d.holds_key = s.i64(12) != 0;
  d.run_id = s.opt_i64(13);
  d.error = s.text(14);
  return d;
}

}  // namespace

Id Store::insert_delivery(const DeliveryRow& d) {
  auto s = db_.prepare(
      "INSERT INTO deliveries(source, repo, delivery_id, received_at, event, ref, after, "
      "sender_id, sender_login, outcome, reason, holds_key) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  s.bind(1, d.source).bind(2, d.repo);
  if (d.delivery_id.empty())
    s.bind_null(3);
  else
    s.bind(3, d.delivery_id);
  s.bind(4, d.received_at)
      .bind(5, d.event)
      .bind(6, d.ref)
      .bind(7, d.after)
      .bind(8, d.sender_id)
      .bind(9, d.sender_login)
      .bind(10, outcome_text(d.outcome))
      .bind(11, d.reason)
      .bind(12, d.holds_key ? 1 : 0)
      .exec();
  return db_.last_insert_id();
}

bool Store::delivery_seen(const std::string& source, const std::string& delivery_id) {
  auto s = db_.prepare("SELECT 1 FROM deliveries WHERE source = ?1 AND delivery_id = ?2");
  s.bind(1, source).bind(2, delivery_id);
  return s.step();
}

std::optional<DeliveryRow> Store::push_holder(const std::string& repo, const std::string& ref,
                                              const std::string& after) {
  auto s = db_.prepare(std::string(kColumns) +
                       "WHERE repo = ?1 AND ref = ?2 AND after = ?3 AND holds_key = 1");
  s.bind(1, repo).bind(2, ref).bind(3, after);
  if (!s.step()) return std::nullopt;
  return read_delivery(s);
}

void Store::set_delivery_run(Id id, std::optional<Id> run_id, const std::string& error) {
  db_.prepare(
         "UPDATE deliveries SET run_id = ?2, error = ?3, "
         "holds_key = CASE WHEN ?3 = '' THEN holds_key ELSE 0 END WHERE id = ?1")
      .bind(1, id)
      .bind(2, run_id)
      .bind(3, error)
      .exec();
}

std::optional<DeliveryRow> Store::delivery(Id id) {
  auto s = db_.prepare(std::string(kColumns) + "WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_delivery(s);
}

std::vector<DeliveryRow> Store::recent_deliveries(const std::string& repo, int limit) {
  auto s =
      db_.prepare(std::string(kColumns) + "WHERE ?1 = '' OR repo = ?1 ORDER BY id DESC LIMIT ?2");
  s.bind(1, repo).bind(2, limit);
  std::vector<DeliveryRow> out;
  while (s.step()) out.push_back(read_delivery(s));
  return out;
}

int Store::prune_deliveries(Millis received_before, std::int64_t keep, int max_rows) {
  db_.prepare(
         "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries "
         "WHERE received_at < ?1 OR (?2 > 0 AND id <= (SELECT MAX(id) FROM deliveries) - ?2) "
         "ORDER BY id LIMIT ?3)")
      .bind(1, received_before)
      .bind(2, keep)
      .bind(3, max_rows)
      .exec();
  return db_.changes();
}

}  // namespace stackrun::store
