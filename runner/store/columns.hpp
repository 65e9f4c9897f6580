#pragma once
// Inside the store only: column lists, row readers and the enums' text in the database.
// A status text the binary does not know means a database written by a newer stackrun (or a
// corrupt one): that is a DbError, never a guess.
#include <string>
#include <string_view>

#include "runner/store/db.hpp"
#include "runner/store/rows.hpp"

namespace stackrun::store::columns {

core::RunStatus run_status(std::string_view s);
core::JobStatus job_status(std::string_view s);
core::AttemptStatus attempt_status(std::string_view s);
core::JobKind job_kind(std::string_view s);
// runs.cancel_requested: 0 none, 1 graceful, 2 force.
core::CancelLevel cancel_level(std::int64_t v);
std::int64_t cancel_number(core::CancelLevel c);

// "SELECT <cols> FROM runs r JOIN repos p ON p.id = r.repo_id " + where
std::string select_runs(const char* where);
RunRow read_run(const Stmt& s);
// "SELECT <cols> FROM jobs " + where
std::string select_jobs(const char* where);
JobRow read_job(const Stmt& s);
// "SELECT <cols> FROM attempts a JOIN agents g ON g.id = a.agent_id " + where
std::string select_attempts(const char* where);
AttemptRow read_attempt(const Stmt& s);

}  // namespace stackrun::store::columns
