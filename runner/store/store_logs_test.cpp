// Log storage on a real SQLite file: byte counts, pages with a byte budget, and the retention
// queries (never a running run's chunks; oldest finished first; the run's rows stay).
#include <gtest/gtest.h>

#include "runner/store/migrations.hpp"
#include "runner/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::store {
namespace {

using core::RunStatus;

constexpr Millis kNow = 1'000'000;

struct Logs {
  testing::TempDir dir{"stackrun-store-logs"};
  std::string path = (dir.path() / "db.sqlite").string();
  Store st{path};
  Id repo = 0, agent = 0;

  Logs() {
    auto tx = st.begin();
    repo = st.upsert_repo("infra", "/srv/infra", "master", kNow);
    agent = st.create_agent("agent-1", "hash-1", "", 2, kNow);
    tx.commit();
  }

  struct Run {
    Id id = 0, job = 0, attempt = 0;
  };
  // A run with one job and one running attempt; its first sys line is "first line\n" (11 bytes).
  Run add_run() {
    NewRun r;
    r.repo_id = repo;
    r.pipeline = "apply";
    r.pipeline_file = ".stackrun/apply.yml";
    r.event = "push";
    r.commit_sha = std::string(40, 'a');
    r.lines = {"first line"};
    NewJob j;
    j.stack = "stacks/a";
    j.label = "a";
    j.tier = "all";
    j.status = core::JobStatus::queued;
    r.jobs.push_back(j);
    auto tx = st.begin();
    Run out;
    out.id = st.insert_run(r, kNow);
    out.job = st.jobs_of_run(out.id).front().id;
    const auto epoch = st.claim_job(out.job);
    out.attempt = st.insert_offer(out.job, 1, agent, *epoch, kNow + 1000, kNow);
    tx.commit();
    return out;
  }
  // `n` chunks of `size` bytes each.
  void output(const Run& r, int n, std::size_t size, std::int64_t first_seq = 0) {
    auto tx = st.begin();
    for (int i = 0; i < n; ++i)
      st.insert_chunk(r.id, r.job, r.attempt, first_seq + i, std::string(size, 'x'), kNow);
    tx.commit();
  }
  void end(const Run& r, Millis at) {
    auto tx = st.begin();
    ASSERT_TRUE(st.set_run_status(r.id, RunStatus::queued, RunStatus::success, at));
    tx.commit();
  }
  int chunk_count(Id run) {
    auto s = st.db().prepare("SELECT COUNT(*) FROM log_chunks WHERE run_id = ?1");
    s.bind(1, run);
    s.step();
    return static_cast<int>(s.i64(0));
  }
  // Prunes `run` to the end in batches of `rows`; returns how many batches it took.
  int prune(Id run, int rows, std::int64_t bytes = 1 << 30,
            const std::string& line = "logs removed by retention") {
    for (int batch = 1; batch <= 1000; ++batch) {
      auto tx = st.begin();
      const auto step = st.prune_run_logs(run, rows, bytes, line, kNow + 99);
      tx.commit();
      if (step.done) return batch;
      if (step.deleted == 0) return -1;  // refused
    }
    return -2;
  }
};

TEST(StoreLogs, StoredBytesAreCountedOncePerRunAndAttempt) {
  Logs l;
  const auto r = l.add_run();
  EXPECT_EQ(l.st.total_log_bytes(), 11);
  l.output(r, 3, 100);
  l.output(r, 3, 100);  // resent: stored once, counted once
  auto tx = l.st.begin();
  l.st.insert_sys_line(r.id, r.job, "verdict", kNow);  // 8 bytes with its '\n'
  tx.commit();
  EXPECT_EQ(l.st.attempt(r.attempt)->out_bytes, 300);
  EXPECT_EQ(l.st.total_log_bytes(), 11 + 300 + 8);
  const auto other = l.add_run();
  l.output(other, 1, 50);
  EXPECT_EQ(l.st.total_log_bytes(), 2 * 11 + 300 + 8 + 50);
  EXPECT_EQ(l.st.attempt(other.attempt)->out_bytes, 50);
}

TEST(StoreLogs, OutputTruncationIsMarkedOnce) {
  Logs l;
  const auto r = l.add_run();
  EXPECT_FALSE(l.st.attempt(r.attempt)->out_truncated);
  EXPECT_TRUE(l.st.mark_output_truncated(r.attempt));
  EXPECT_FALSE(l.st.mark_output_truncated(r.attempt));
  EXPECT_TRUE(l.st.attempt(r.attempt)->out_truncated);
  l.output(r, 1, 10, 7);
  EXPECT_TRUE(l.st.has_chunk(r.attempt, 7));
  EXPECT_FALSE(l.st.has_chunk(r.attempt, 8));
}

TEST(StoreLogs, APageStopsAtItsByteBudgetButNeverComesBackEmpty) {
  Logs l;
  const auto r = l.add_run();  // chunk 1: the 11-byte sys line
  l.output(r, 10, 1000);       // chunks 2..11
  struct Case {
    const char* name;
    Id after;
    int max_chunks;
    std::int64_t max_bytes;
    std::size_t want_chunks;
    bool more;
  };
  const Case cases[] = {
      {"all fit", 0, 100, 1'000'000, 11, false},
      {"budget of 3.5 chunks", 1, 100, 3500, 3, true},
      {"exactly 3 chunks", 1, 100, 3000, 3, true},
      {"first chunk over the budget alone", 1, 100, 10, 1, true},
      {"count limit", 0, 4, 1'000'000, 4, true},
      {"count limit at the end", 7, 4, 1'000'000, 4, false},
      {"nothing after the last", 11, 100, 10, 0, false},
  };
  for (const auto& c : cases) {
    const auto page = l.st.chunks_after(r.id, c.after, "", c.max_chunks, c.max_bytes);
    EXPECT_EQ(page.chunks.size(), c.want_chunks) << c.name;
    EXPECT_EQ(page.more, c.more) << c.name;
    if (!page.chunks.empty()) {
      EXPECT_EQ(page.chunks.front().id, c.after + 1) << c.name;
    }
  }
  // The label filter still applies: run-level lines have none.
  EXPECT_EQ(l.st.chunks_after(r.id, 0, "a", 100, 1'000'000).chunks.size(), 10u);
}

TEST(StoreLogs, OnlyFinishedRunsArePrunableOldestFinishedFirst) {
  Logs l;
  const auto running = l.add_run();
  const auto late = l.add_run();   // created second, finished last
  const auto early = l.add_run();  // created third, finished first
  const auto empty = l.add_run();
  l.output(running, 2, 100);
  l.output(late, 1, 100);
  l.output(early, 1, 100);
  l.end(late, kNow + 50);
  l.end(early, kNow + 10);
  l.end(empty, kNow + 5);
  l.st.db().exec("UPDATE run_logs SET bytes = 0 WHERE run_id = " + std::to_string(empty.id));
  const std::vector<RunLogUsage> want = {{early.id, kNow + 10, 111}, {late.id, kNow + 50, 111}};
  EXPECT_EQ(l.st.prunable_runs(), want);
}

TEST(StoreLogs, APruneNeverTouchesARunningRun) {
  Logs l;
  const auto running = l.add_run();
  l.output(running, 5, 100);
  auto tx = l.st.begin();
  const auto step =
      l.st.prune_run_logs(running.id, 100, 1 << 30, "logs removed by retention", kNow);
  tx.commit();
  EXPECT_EQ(step.deleted, 0);
  EXPECT_FALSE(step.done);
  EXPECT_EQ(l.chunk_count(running.id), 6);
}

TEST(StoreLogs, APruneDeletesInBatchesThenLeavesOneLineSayingWhy) {
  Logs l;
  const auto r = l.add_run();
  l.output(r, 9, 100);
  l.end(r, kNow + 1);
  const auto kept = l.add_run();
  l.output(kept, 2, 100);
  l.end(kept, kNow + 2);
  EXPECT_EQ(l.prune(r.id, 4), 3);  // 10 chunks: 4 + 4 + 2
  const auto by_bytes = l.add_run();
  l.output(by_bytes, 9, 100);
  l.end(by_bytes, kNow + 3);
  // A budget of 150 bytes: (11 + 100 + 100), then 2 + 2 + 2 + 1 chunks of 100.
  EXPECT_EQ(l.prune(by_bytes.id, 100, 150), 5);
  const auto page = l.st.chunks_after(r.id, 0, "", 100, 1'000'000);
  ASSERT_EQ(page.chunks.size(), 1u);
  EXPECT_EQ(page.chunks[0].data, "logs removed by retention\n");
  EXPECT_EQ(page.chunks[0].stream, "sys");
  EXPECT_FALSE(page.chunks[0].job_id);
  // The run, its job and its attempt stay; only the other run is prunable now.
  EXPECT_TRUE(l.st.run(r.id));
  EXPECT_EQ(l.st.jobs_of_run(r.id).size(), 1u);
  EXPECT_TRUE(l.st.attempt(r.attempt));
  ASSERT_EQ(l.st.prunable_runs().size(), 1u);
  EXPECT_EQ(l.st.prunable_runs()[0].run_id, kept.id);
  EXPECT_EQ(l.st.total_log_bytes(), 26 + 11 + 200 + 26);
  EXPECT_EQ(l.chunk_count(kept.id), 3);
}

TEST(StoreLogs, RetentionReturnsFreedPagesToTheFileSystem) {
  Logs l;
  const auto r = l.add_run();
  l.output(r, 64, 64 * 1024);  // 4 MiB
  l.end(r, kNow + 1);
  const std::int64_t full = l.st.file_bytes();
  EXPECT_GT(full, 4 << 20);
  EXPECT_GT(l.prune(r.id, 1000), 0);
  EXPECT_GT(l.st.free_bytes(), 3 << 20);  // deleting frees pages inside the file
  auto tx = l.st.begin();
  EXPECT_TRUE(l.st.incremental_vacuum(1'000'000));  // a new file is auto_vacuum=INCREMENTAL
  tx.commit();
  EXPECT_EQ(l.st.free_bytes(), 0);
  EXPECT_LT(l.st.file_bytes(), full - (3 << 20));
}

TEST(StoreLogs, AVersionTwoDatabaseGetsItsByteCountsAndVacuumConvertsIt) {
  testing::TempDir dir{"stackrun-store-logs"};
  const std::string path = (dir.path() / "v2.sqlite").string();
  {
    Db db(path);
    db.exec("PRAGMA auto_vacuum = NONE; VACUUM");  // as files made before this version are
    for (int i = 0; i < 2; ++i) db.exec(migrations().at(i).sql);
    db.exec("PRAGMA user_version = 2");
    db.exec(
        "INSERT INTO repos(id, name, url, created_at) VALUES(1, 'r', '/r', 0);"
        "INSERT INTO agents(id, name, token_hash, created_at) VALUES(1, 'a', 'h', 0);"
        "INSERT INTO runs(id, repo_id, pipeline, pipeline_file, pipeline_yaml, kind, event, "
        "commit_sha, status, created_at, finished_at) "
        "VALUES(1, 1, 'p', 'f', 'y', 'apply', 'push', 'c', 'success', 0, 77);"
        "INSERT INTO jobs(id, run_id, repo_id, stack, label, tier, tier_index, kind, status, "
        "created_at) VALUES(1, 1, 1, 's', 's', 't', 0, 'apply', 'success', 0);"
        "INSERT INTO attempts(id, job_id, n, agent_id, epoch, status, lease_expires_at, "
        "started_at) VALUES(1, 1, 1, 1, 1, 'finished', 99, 0);"
        "INSERT INTO log_chunks(run_id, job_id, attempt_id, seq, stream, data, created_at) "
        "VALUES(1, 1, 1, 0, 'out', CAST('12345' AS BLOB), 0), "
        "(1, 1, 1, 1, 'out', CAST('678' AS BLOB), 0), "
        "(1, NULL, NULL, NULL, 'sys', CAST('run\n' AS BLOB), 0);");
  }
  Store st(path);
  EXPECT_EQ(st.attempt(1)->out_bytes, 8);
  EXPECT_EQ(st.total_log_bytes(), 12);
  const std::vector<RunLogUsage> want = {{1, 77, 12}};
  EXPECT_EQ(st.prunable_runs(), want);
  EXPECT_FALSE(st.incremental_vacuum(100));  // auto_vacuum is still NONE
  st.vacuum();
  EXPECT_TRUE(st.incremental_vacuum(100));
}

}  // namespace
}  // namespace stackrun::store
