#pragma once
// Thin RAII wrapper over sqlite3: connections, prepared statements, transactions.
// Every sqlite3 return code is checked; failures throw DbError (the store cannot continue
// on a broken database), anticipated outcomes (no row, 0 changes) are values.
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace stackrun::store {

// A failed sqlite3 call. `code` is SQLite's extended result code (SQLITE_BUSY, SQLITE_FULL,
// SQLITE_READONLY, SQLITE_IOERR_WRITE...), 0 when the failure did not come from SQLite.
struct DbError : std::runtime_error {
  explicit DbError(const std::string& what, int code = 0) : std::runtime_error(what), code(code) {}
  int code = 0;
  // SQLITE_BUSY/LOCKED (another connection holds the lock), FULL, IOERR, READONLY, CANTOPEN:
  // the database is fine but unusable right now; the same call may work later.
  bool transient() const;
  // SQLITE_READONLY: this connection cannot write (the file was read-only when it was
  // opened); only a new connection can tell whether it is writable again (Db::reopen).
  bool read_only() const;
};

class Db;

// A prepared statement. One made by Db::prepare goes back to its Db's cache when destroyed
// (reset, bindings cleared), so the next prepare of the same SQL text skips SQLite's parser.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binds by 1-based index; returns *this for chaining.
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_blob(int i, std::string_view v);
  Stmt& bind(int i, double v);
  Stmt& bind_null(int i);
  Stmt& bind(int i, const std::optional<std::int64_t>& v) { return v ? bind(i, *v) : bind_null(i); }

  // Advances; true while a row is available.
  bool step();
  // Runs to completion (for statements without rows).
  void exec();

  std::int64_t i64(int col) const;
  std::optional<std::int64_t> opt_i64(int col) const;
  double real(int col) const;
  std::string text(int col) const;  // "" for NULL
  bool is_null(int col) const;

 private:
  friend class Db;
  // A statement taken from (or newly prepared for) `owner`'s cache under `sql`.
  Stmt(Db& owner, sqlite3* db, sqlite3_stmt* st, std::string sql);

  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  Db* owner_ = nullptr;
  std::string sql_;
};

class Db {
 public:
  struct Options {
    bool read_only = false;  // no writes, no creation, no journal-mode change
    // How long a statement waits for another connection's lock before failing with
    // SQLITE_BUSY. The server keeps it short: its io thread must not stall for long.
    int busy_timeout_ms = 5000;
  };
  // Opens (creating, unless read-only) the file; WAL mode, foreign keys, a busy timeout.
  explicit Db(const std::string& path) : Db(path, Options{}) {}
  Db(const std::string& path, Options options);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Closes the connection and opens the file again with the same options (after a fault
  // such as a file that was read-only when first opened). Throws DbError when it cannot.
  void reopen();

  void exec(std::string_view sql);  // one or more statements, no results
  // A statement for `sql`: an idle one of the same text from the cache, else a new one
  // (SQLITE_PREPARE_PERSISTENT). The server runs the same few dozen statements all the time;
  // preparing each anew cost a third of its CPU.
  Stmt prepare(std::string_view sql);
  // Statements prepared by SQLite so far (cache misses), for tests and the bench.
  std::uint64_t statements_prepared() const { return prepared_; }
  std::int64_t last_insert_id() const;
  int changes() const;  // rows changed by the last statement
  sqlite3* raw() { return db_; }
  // Gives back the page cache this connection does not use now (sqlite3_db_release_memory):
  // up to its cache_size, 2 MiB by default, that an idle server need not hold.
  void release_memory();
  const std::string& path() const { return path_; }

 private:
  sqlite3* open() const;  // a configured connection; throws DbError
  friend class Stmt;
  // Takes back a statement of the current connection (finalized if it is of an older one, or
  // the cache is full); finalizes every idle one before the connection closes.
  void release(sqlite3* conn, sqlite3_stmt* st, std::string sql);
  void finalize_idle();

  // Idle statements by SQL text; bounded (kMaxIdle) in case some caller builds SQL with values.
  static constexpr std::size_t kMaxIdle = 256;
  std::mutex cache_mu_;
  std::unordered_multimap<std::string, sqlite3_stmt*> idle_;
  std::uint64_t prepared_ = 0;
  sqlite3* db_ = nullptr;
  std::string path_;
  Options options_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if commit() was not reached. Immediate: the write
// lock is taken up front, so a conditional UPDATE inside cannot lose a race to another writer.
// A read transaction (BEGIN DEFERRED) only gives its reads one consistent snapshot.
class Tx {
 public:
  enum class Kind { write, read };
  explicit Tx(Db& db, Kind kind = Kind::write);
  ~Tx();
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace stackrun::store
