// The prepared-statement cache of Db over a real SQLite file: the same SQL text is prepared
// once and reused (reset, bindings cleared), two live statements of one text are distinct, a
// statement abandoned mid-result is reset before reuse, and reopen() starts the cache over.
#include "runner/store/db.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace stackrun::store {
namespace {

struct DbFixture {
  testing::TempDir dir{"stackrun-db"};
  Db db{(dir.path() / "t.sqlite").string()};
  DbFixture() {
    db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
    for (int k = 1; k <= 3; ++k)
      db.prepare("INSERT INTO t (k, v) VALUES (?1, ?2)")
          .bind(1, k)
          .bind(2, "v" + std::to_string(k))
          .exec();
  }
  std::string value_of(int k) {
    auto s = db.prepare("SELECT v FROM t WHERE k = ?1");
    s.bind(1, k);
    return s.step() ? s.text(0) : "<none>";
  }
};

TEST(DbStatementCache, TheSameTextIsPreparedOnceAndReusedWithFreshBindings) {
  DbFixture f;
  const auto before = f.db.statements_prepared();
  EXPECT_EQ(f.value_of(1), "v1");
  EXPECT_EQ(f.db.statements_prepared(), before + 1);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(f.value_of(2), "v2");
  EXPECT_EQ(f.value_of(9), "<none>");
  EXPECT_EQ(f.db.statements_prepared(), before + 1);
  // Bindings do not leak from one use to the next: unbound is NULL, which matches nothing.
  auto s = f.db.prepare("SELECT v FROM t WHERE k = ?1");
  EXPECT_FALSE(s.step());
}

TEST(DbStatementCache, TwoLiveStatementsOfOneTextAreDistinct) {
  DbFixture f;
  const auto before = f.db.statements_prepared();
  auto a = f.db.prepare("SELECT v FROM t WHERE k >= ?1 ORDER BY k");
  auto b = f.db.prepare("SELECT v FROM t WHERE k >= ?1 ORDER BY k");
  a.bind(1, 1);
  b.bind(1, 3);
  ASSERT_TRUE(a.step());
  ASSERT_TRUE(b.step());
  EXPECT_EQ(a.text(0), "v1");
  EXPECT_EQ(b.text(0), "v3");
  ASSERT_TRUE(a.step());
  EXPECT_EQ(a.text(0), "v2");
  EXPECT_FALSE(b.step());
  EXPECT_EQ(f.db.statements_prepared(), before + 2);
}

TEST(DbStatementCache, AStatementLeftMidResultIsResetBeforeReuse) {
  DbFixture f;
  {
    auto s = f.db.prepare("SELECT v FROM t ORDER BY k");
    ASSERT_TRUE(s.step());  // abandoned after the first row
  }
  // Its read would otherwise hold the snapshot open: a write and a fresh read see the change.
  f.db.prepare("UPDATE t SET v = 'changed' WHERE k = 1").exec();
  auto s = f.db.prepare("SELECT v FROM t ORDER BY k");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "changed");
}

TEST(DbStatementCache, ReopenStartsTheCacheOverOnTheNewConnection) {
  DbFixture f;
  EXPECT_EQ(f.value_of(1), "v1");
  const auto before = f.db.statements_prepared();
  f.db.reopen();
  EXPECT_EQ(f.value_of(1), "v1");
  EXPECT_EQ(f.db.statements_prepared(), before + 1);
}

}  // namespace
}  // namespace stackrun::store
