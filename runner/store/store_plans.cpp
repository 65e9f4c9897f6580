// The destroy guard's saved plans and approvals (migration 0010).
#include <sstream>

#include "runner/store/columns.hpp"
#include "runner/store/store.hpp"

namespace stackrun::store {
namespace {

constexpr const char* kPlanCols =
    "attempt_id, job_id, step, path, sha256, data, guard, destroys, unlisted, source, created_at";

// "ACTION ADDRESS" lines: addresses hold no newline (Terraform's syntax has none).
std::string destroys_text(const std::vector<core::PlanChange>& changes) {
  std::string out;
  for (const auto& c : changes) out += c.action + " " + c.address + "\n";
  return out;
}

std::vector<core::PlanChange> parse_destroys(const std::string& text) {
  std::vector<core::PlanChange> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    out.push_back({line.substr(space + 1), line.substr(0, space)});
  }
  return out;
}

SavedPlanRow read_plan(const Stmt& s) {
  SavedPlanRow r;
  r.attempt_id = s.i64(0);
  r.job_id = s.i64(1);
  r.step = static_cast<int>(s.i64(2));
  r.path = s.text(3);
  r.sha256 = s.text(4);
  r.data = s.text(5);
  r.guard = s.text(6);
  r.destroys = parse_destroys(s.text(7));
  r.unlisted = static_cast<int>(s.i64(8));
  r.source = s.text(9);
  r.created_at = s.i64(10);
  return r;
}

}  // namespace

void Store::insert_saved_plan(const SavedPlanRow& row) {
  auto s = db_.prepare(std::string("INSERT INTO saved_plans (") + kPlanCols +
                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  s.bind(1, row.attempt_id)
      .bind(2, row.job_id)
      .bind(3, static_cast<std::int64_t>(row.step))
      .bind(4, row.path)
      .bind(5, row.sha256)
      .bind_blob(6, row.data)
      .bind(7, row.guard)
      .bind(8, destroys_text(row.destroys))
      .bind(9, static_cast<std::int64_t>(row.unlisted))
      .bind(10, row.source)
      .bind(11, row.created_at);
  s.exec();
}

std::optional<SavedPlanRow> Store::latest_saved_plan(Id job_id) {
  auto s = db_.prepare(std::string("SELECT ") + kPlanCols +
                       " FROM saved_plans WHERE job_id = ?1 ORDER BY attempt_id DESC LIMIT 1");
  s.bind(1, job_id);
  if (!s.step()) return std::nullopt;
  return read_plan(s);
}

std::optional<SavedPlanRow> Store::saved_plan(Id attempt_id) {
  auto s =
      db_.prepare(std::string("SELECT ") + kPlanCols + " FROM saved_plans WHERE attempt_id = ?1");
  s.bind(1, attempt_id);
  if (!s.step()) return std::nullopt;
  return read_plan(s);
}

void Store::set_approval(Id job_id, Id plan_attempt, const std::string& by, Millis at) {
  auto s = db_.prepare(
      "UPDATE jobs SET approved_attempt = ?2, approved_by = ?3, approved_at = ?4 WHERE id = ?1");
  s.bind(1, job_id).bind(2, plan_attempt).bind(3, by).bind(4, at);
  s.exec();
}

}  // namespace stackrun::store
