// Log chunks (step output and sys lines), their byte counts, retention and space.
#include "runner/store/store.hpp"

namespace stackrun::store {

namespace {

constexpr const char* kFinished = "('success', 'failed', 'cancelled')";

}  // namespace

// --- logs

void Store::add_run_log_bytes(Id run_id, std::int64_t bytes) {
  db_.prepare(
         "INSERT INTO run_logs(run_id, bytes) VALUES(?1, ?2) "
         "ON CONFLICT(run_id) DO UPDATE SET bytes = bytes + excluded.bytes")
      .bind(1, run_id)
      .bind(2, bytes)
      .exec();
}

bool Store::insert_chunk(Id run_id, Id job_id, Id attempt_id, std::int64_t seq,
                         const std::string& data, Millis now) {
  db_.prepare(
         "INSERT INTO log_chunks(run_id, job_id, attempt_id, seq, stream, data, created_at) "
         "VALUES(?1, ?2, ?3, ?4, 'out', ?5, ?6) ON CONFLICT(attempt_id, seq) DO NOTHING")
      .bind(1, run_id)
      .bind(2, job_id)
      .bind(3, attempt_id)
      .bind(4, seq)
      .bind_blob(5, data)
      .bind(6, now)
      .exec();
  if (db_.changes() != 1) return false;
  const auto size = static_cast<std::int64_t>(data.size());
  db_.prepare("UPDATE attempts SET out_bytes = out_bytes + ?2 WHERE id = ?1")
      .bind(1, attempt_id)
      .bind(2, size)
      .exec();
  add_run_log_bytes(run_id, size);
  return true;
}

bool Store::has_chunk(Id attempt_id, std::int64_t seq) {
  auto s = db_.prepare("SELECT 1 FROM log_chunks WHERE attempt_id = ?1 AND seq = ?2");
  s.bind(1, attempt_id).bind(2, seq);
  return s.step();
}

bool Store::mark_output_truncated(Id attempt_id) {
  db_.prepare("UPDATE attempts SET out_truncated = 1 WHERE id = ?1 AND out_truncated = 0")
      .bind(1, attempt_id)
      .exec();
  return db_.changes() == 1;
}

void Store::insert_sys_line(Id run_id, std::optional<Id> job_id, const std::string& line,
                            Millis now) {
  const std::string data = line + "\n";
  db_.prepare(
         "INSERT INTO log_chunks(run_id, job_id, stream, data, created_at) VALUES(?1, ?2, 'sys', "
         "?3, ?4)")
      .bind(1, run_id)
      .bind(2, job_id)
      .bind_blob(3, data)
      .bind(4, now)
      .exec();
  add_run_log_bytes(run_id, static_cast<std::int64_t>(data.size()));
}

ChunkPage Store::chunks_after(Id run_id, Id after, const std::string& label, int max_chunks,
                              std::int64_t max_bytes) {
  // length() first: a chunk that does not fit the page is never read.
  auto s = db_.prepare(
      "SELECT c.id, c.run_id, c.job_id, COALESCE(j.label, ''), c.stream, length(c.data), c.data "
      "FROM log_chunks c LEFT JOIN jobs j ON j.id = c.job_id WHERE c.run_id = ?1 AND c.id > ?2 "
      "AND (?3 = '' OR j.label = ?3) ORDER BY c.id LIMIT ?4");
  s.bind(1, run_id).bind(2, after).bind(3, label).bind(4, max_chunks + 1);
  ChunkPage page;
  std::int64_t bytes = 0;
  while (s.step()) {
    const std::int64_t size = s.i64(5);
    if (static_cast<int>(page.chunks.size()) == max_chunks ||
        (!page.chunks.empty() && bytes + size > max_bytes)) {
      page.more = true;
      break;
    }
    ChunkRow c;
    c.id = s.i64(0);
    c.run_id = s.i64(1);
    c.job_id = s.opt_i64(2);
    c.label = s.text(3);
    c.stream = s.text(4);
    c.data = s.text(6);
    bytes += size;
    page.chunks.push_back(std::move(c));
  }
  return page;
}

// --- retention

std::int64_t Store::total_log_bytes() {
  auto s = db_.prepare("SELECT COALESCE(SUM(bytes), 0) FROM run_logs");
  s.step();
  return s.i64(0);
}

std::vector<RunLogUsage> Store::prunable_runs() {
  auto s = db_.prepare(
      "SELECT run_id, finished_at, bytes FROM run_logs WHERE finished_at IS NOT NULL "
      "AND pruned_at IS NULL AND bytes > 0 ORDER BY finished_at, run_id");
  std::vector<RunLogUsage> out;
  while (s.step()) out.push_back({s.i64(0), s.i64(1), s.i64(2)});
  return out;
}

Store::PruneStep Store::prune_run_logs(Id run_id, int max_rows, std::int64_t max_bytes,
                                       const std::string& line, Millis now) {
  // Why check the run itself, not only run_logs: whatever a caller believes, a run that is
  // not finished keeps every chunk.
  auto fin =
      db_.prepare(std::string("SELECT 1 FROM runs WHERE id = ?1 AND status IN ") + kFinished);
  fin.bind(1, run_id);
  if (!fin.step()) return {};
  // The oldest chunks up to the row and byte budgets (at least one), deleted by id range.
  auto pick =
      db_.prepare("SELECT id, length(data) FROM log_chunks WHERE run_id = ?1 ORDER BY id LIMIT ?2");
  pick.bind(1, run_id).bind(2, max_rows);
  std::optional<Id> last;
  std::int64_t bytes = 0;
  while (bytes < max_bytes && pick.step()) {
    last = pick.i64(0);
    bytes += pick.i64(1);
  }
  PruneStep step;
  if (last) {
    db_.prepare("DELETE FROM log_chunks WHERE run_id = ?1 AND id <= ?2")
        .bind(1, run_id)
        .bind(2, *last)
        .exec();
    step.deleted = db_.changes();
  }
  auto left = db_.prepare("SELECT 1 FROM log_chunks WHERE run_id = ?1 LIMIT 1");
  left.bind(1, run_id);
  if (left.step()) return step;
  db_.prepare("UPDATE run_logs SET bytes = 0, pruned_at = ?2 WHERE run_id = ?1")
      .bind(1, run_id)
      .bind(2, now)
      .exec();
  insert_sys_line(run_id, std::nullopt, line, now);
  step.done = true;
  return step;
}

// --- space

std::int64_t Store::pragma_value(const char* pragma) {
  auto s = db_.prepare(std::string("PRAGMA ") + pragma);
  return s.step() ? s.i64(0) : 0;
}

std::int64_t Store::file_bytes() {
  return pragma_value("page_count") * pragma_value("page_size");
}

std::int64_t Store::free_bytes() {
  return pragma_value("freelist_count") * pragma_value("page_size");
}

bool Store::incremental_vacuum(int pages) {
  if (pragma_value("auto_vacuum") != 2) return false;
  db_.exec("PRAGMA incremental_vacuum(" + std::to_string(pages) + ")");
  return true;
}

void Store::vacuum() {
  db_.exec("PRAGMA auto_vacuum = INCREMENTAL");
  db_.exec("VACUUM");
}

}  // namespace stackrun::store
