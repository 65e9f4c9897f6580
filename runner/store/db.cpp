#include "runner/store/db.hpp"

#include <sqlite3.h>

#include <cstdlib>

namespace stackrun::store {
namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw DbError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"),
                db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM);
}

}  // namespace

bool DbError::read_only() const {
  return (code & 0xff) == SQLITE_READONLY;
}

bool DbError::transient() const {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return true;
    default:
      return false;
  }
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr) != SQLITE_OK)
    fail(db, "prepare \"" + std::string(sql.substr(0, 60)) + "\"");
}

Stmt::Stmt(Db& owner, sqlite3* db, sqlite3_stmt* st, std::string sql)
    : db_(db), st_(st), owner_(&owner), sql_(std::move(sql)) {}

Stmt::~Stmt() {
  if (owner_)
    owner_->release(db_, st_, std::move(sql_));
  else
    sqlite3_finalize(st_);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (sqlite3_bind_int64(st_, i, v) != SQLITE_OK) fail(db_, "bind");
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  if (sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    fail(db_, "bind");
  return *this;
}
Stmt& Stmt::bind_blob(int i, std::string_view v) {
  if (sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    fail(db_, "bind");
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  if (sqlite3_bind_double(st_, i, v) != SQLITE_OK) fail(db_, "bind");
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  if (sqlite3_bind_null(st_, i) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step \"" + std::string(sqlite3_sql(st_)).substr(0, 60) + "\"");
}

void Stmt::exec() {
  while (step()) {
  }
}

std::int64_t Stmt::i64(int col) const {
  return sqlite3_column_int64(st_, col);
}
std::optional<std::int64_t> Stmt::opt_i64(int col) const {
  if (is_null(col)) return std::nullopt;
  return i64(col);
}
double Stmt::real(int col) const {
  return sqlite3_column_double(st_, col);
}
std::string Stmt::text(int col) const {
  const void* p = sqlite3_column_blob(st_, col);
  const int n = sqlite3_column_bytes(st_, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
bool Stmt::is_null(int col) const {
  return sqlite3_column_type(st_, col) == SQLITE_NULL;
}

Db::Db(const std::string& path, Options options) : path_(path), options_(options) {
  db_ = open();
}

Stmt Db::prepare(std::string_view sql) {
  std::string text(sql);
  sqlite3_stmt* st = nullptr;
  {
    std::lock_guard lk(cache_mu_);
    if (auto it = idle_.find(text); it != idle_.end()) {
      st = it->second;
      idle_.erase(it);
    }
  }
  if (!st) {
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &st, nullptr) != SQLITE_OK)
      fail(db_, "prepare \"" + std::string(sql.substr(0, 60)) + "\"");
    ++prepared_;
  }
  return Stmt(*this, db_, st, std::move(text));
}

void Db::release(sqlite3* conn, sqlite3_stmt* st, std::string sql) {
  if (!st) return;
  sqlite3_reset(st);  // its error, if any, was reported by the step that failed
  sqlite3_clear_bindings(st);
  std::lock_guard lk(cache_mu_);
  if (conn != db_ || idle_.size() >= kMaxIdle) {
    sqlite3_finalize(st);
    return;
  }
  idle_.emplace(std::move(sql), st);
}

void Db::finalize_idle() {
  std::lock_guard lk(cache_mu_);
  for (auto& [sql, st] : idle_) sqlite3_finalize(st);
  idle_.clear();
}

void Db::reopen() {
  sqlite3* fresh = open();  // throws, keeping the old connection, when it cannot
  sqlite3* old = nullptr;
  {
    std::lock_guard lk(cache_mu_);
    for (auto& [sql, st] : idle_) sqlite3_finalize(st);
    idle_.clear();
    old = db_;
    db_ = fresh;  // statements of `old` still in use are finalized when released
  }
  sqlite3_close(old);
}

sqlite3* Db::open() const {
  const int flags =
      (options_.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_FULLMUTEX;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path_.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    const std::string err = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw DbError("open " + path_ + ": " + err, SQLITE_CANTOPEN);
  }
  // Why a busy timeout: a second process (CLI tools, a restarted server) may hold the lock
  // briefly. WAL: readers never block the writer. synchronous=FULL: a committed transition
  // survives power loss and kill -9 alike. auto_vacuum=INCREMENTAL: pages freed by log
  // retention can be returned to the file system; it takes effect only on a file that is
  // created now (before the WAL switch writes its first page), later only through VACUUM.
  // Setting auto_vacuum writes even when the value would not change, so it is set only on an
  // empty file: a server must still start (and serve reads) on a file it cannot write.
  long long pages = -1;
  auto read_count = [](void* out, int, char** values, char**) {
    *static_cast<long long*>(out) = values[0] ? std::atoll(values[0]) : -1;
    return 0;
  };
  const bool fresh =
      !options_.read_only &&
      sqlite3_exec(db, "PRAGMA page_count;", read_count, &pages, nullptr) == SQLITE_OK &&
      pages == 0;
  const std::string pragmas = options_.read_only
                                  ? "PRAGMA foreign_keys=ON;"
                                  : std::string(fresh ? "PRAGMA auto_vacuum=INCREMENTAL; " : "") +
                                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                        "PRAGMA foreign_keys=ON;";
  char* err = nullptr;
  if (sqlite3_busy_timeout(db, options_.busy_timeout_ms) != SQLITE_OK ||
      sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = "open " + path_ + ": " + (err ? err : sqlite3_errmsg(db));
    const int code = sqlite3_extended_errcode(db);
    sqlite3_free(err);
    sqlite3_close(db);
    throw DbError(msg, code);
  }
  return db;
}

Db::~Db() {
  finalize_idle();
  sqlite3_close(db_);
}

void Db::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw DbError("exec \"" + s.substr(0, 60) + "\": " + msg, sqlite3_extended_errcode(db_));
  }
}

void Db::release_memory() {
  sqlite3_db_release_memory(db_);
}

std::int64_t Db::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}
int Db::changes() const {
  return sqlite3_changes(db_);
}

Tx::Tx(Db& db, Kind kind) : db_(db) {
  db_.exec(kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN");
}
Tx::~Tx() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {  // a destructor must not throw; the connection reports it on next use
    }
  }
}
void Tx::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace stackrun::store
