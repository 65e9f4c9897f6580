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
  for (auto i = static_cast<size_t>(version); i < all.size(); ++i) {
    Tx tx(db);
    try {
      db.exec(all[i].sql);
    } catch (const DbError& e) {
      throw DbError("migration " + all[i].name + ": " + e.what(), e.code);
    }
    db.exec("PRAGMA user_version = " + std::to_string(i + 1));
    tx.commit();
  }
}

}  // namespace stackrun::store
