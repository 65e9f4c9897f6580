#pragma once
// Forward-only schema migrations, embedded from schema/sql/NNNN_*.sql in file-name order.
// Migration i (0-based) brings the database to PRAGMA user_version i+1.
#include <string>
#include <vector>

namespace stackrun::store {

struct Migration {
  std::string name;
  std::string sql;
};

const std::vector<Migration>& migrations();

class Db;
// Applies every migration newer than the database's user_version, each in its own
// transaction. Throws DbError naming the migration on failure; refuses a database whose
// version is newer than this binary knows.
void migrate(Db& db);

}  // namespace stackrun::store
