#include "runner/store/db.hpp"
#include "runner/store/migrations.hpp"

namespace stackrun::store {

void migrate(Db& db) {
  const auto& all = migrations();
  std::int64_t version = 0;
  {
    auto st = db.prepare("PRAGMA user_version");
    if (st.step()) version = st.i64(0);
  }
  if (version > static_cast<std::int64_t>(all.size()))
    throw DbError(db.path() + ": schema version " + std::to_string(version) +
                  " is newer than this stackrun knows (" + std::to_string(all.size()) +
                  "); upgrade stackrun");
  if (version == static_cast<std::int64_t>(all.size())) return;
  // A migration may rebuild a table that others reference (SQLite cannot alter a CHECK in
  // place): with foreign keys on, dropping the old table would delete-check every reference.
  // So they are off while migrating (the pragma is a no-op inside a transaction, hence here),
  // each migration proves with foreign_key_check that it left every reference valid before it
  // commits, and they are on again afterwards, whatever happened.
  db.exec("PRAGMA foreign_keys=OFF");
  struct KeysBackOn {
    Db& db;
    ~KeysBackOn() {
      try {
        db.exec("PRAGMA foreign_keys=ON");
      } catch (const DbError&) {  // the connection is unusable; its next statement says so
      }
    }
  } keys_back_on{db};
  for (auto i = static_cast<size_t>(version); i < all.size(); ++i) {
    Tx tx(db);
    try {
      db.exec(all[i].sql);
      auto check = db.prepare("PRAGMA foreign_key_check");
      if (check.step())
        throw DbError("it leaves a dangling reference in table " + check.text(0), 0);
    } catch (const DbError& e) {
      throw DbError("migration " + all[i].name + ": " + e.what(), e.code);
    }
    db.exec("PRAGMA user_version = " + std::to_string(i + 1));
    tx.commit();
  }
}

}  // namespace stackrun::store
