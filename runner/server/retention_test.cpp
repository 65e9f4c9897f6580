// Log retention: the pure plan as a table, the pass over a real SQLite file, and the server's
// automatic pass on a real io loop.
#include "runner/server/retention.hpp"

#include <gtest/gtest.h>

#include <future>

#include "runner/http/http_test_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

constexpr Millis kDay = 24 * 3600 * 1000;
constexpr Millis kNow = 100 * kDay;

store::RunLogUsage usage(Id id, Millis finished_at, std::int64_t bytes) {
  return {id, finished_at, bytes};
}

std::string describe(const std::vector<Prune>& ps) {
  std::string s;
  for (const auto& p : ps)
    s += (s.empty() ? "" : " ") + std::to_string(p.run.run_id) +
         (p.why == Prune::Why::age ? "a" : "b");
  return s;
}

TEST(PlanPrune, Table) {
  // Oldest finished first, as Store::prunable_runs gives them.
  const std::vector<store::RunLogUsage> runs = {
      usage(4, kNow - 40 * kDay, 100), usage(2, kNow - 30 * kDay, 200),
      usage(9, kNow - 10 * kDay, 300), usage(7, kNow - 1 * kDay, 400)};
  struct Case {
    const char* name;
    Millis max_age;
    std::int64_t max_bytes, total;
    std::string want;  // run ids pruned, in order, "a" by age, "b" by budget
  };
  const Case cases[] = {
      {"nothing due", 60 * kDay, 10'000, 1000, ""},
      {"by age, cut-off inclusive", 30 * kDay, 0, 1000, "4a 2a"},
      {"by budget, oldest first", 0, 600, 1000, "4b 2b 9b"},
      {"budget met exactly", 0, 700, 1000, "4b 2b"},
      {"age then budget", 35 * kDay, 500, 1000, "4a 2b 9b"},
      {"age already meets the budget", 30 * kDay, 800, 1000, "4a 2a"},
      // 5000 bytes belong to running runs: even pruning every finished run cannot meet 600.
      {"running runs over the budget", 0, 600, 6000, "4b 2b 9b 7b"},
      {"both off", 0, 0, 1'000'000, ""},
  };
  for (const auto& c : cases) {
    RetentionPolicy p;
    p.max_age_ms = c.max_age;
    p.max_log_bytes = c.max_bytes;
    EXPECT_EQ(describe(plan_prune(runs, c.total, p, kNow)), c.want) << c.name;
  }
  EXPECT_TRUE(plan_prune({}, 1 << 30, RetentionPolicy{}, kNow).empty());
}

TEST(PruneLine, SaysWhyTheLogIsGone) {
  const RetentionPolicy p;  // 30d, 2 GiB
  EXPECT_EQ(prune_line({usage(1, 0, 5'612'340), Prune::Why::age}, p),
            "logs removed by retention: 5.4 MiB, the run finished more than 30d ago");
  EXPECT_EQ(prune_line({usage(1, 0, 1536), Prune::Why::budget}, p),
            "logs removed by retention: 1.5 KiB, stored logs were over the 2 GiB budget (oldest "
            "finished runs go first)");
}

TEST(RetentionFlags, Table) {
  const std::pair<const char*, Millis> ages[] = {{"30d", 30 * kDay},
                                                 {"1d12h", kDay + 12 * 3600 * 1000},
                                                 {"36h", 36 * 3600 * 1000},
                                                 {"90m", 90 * 60 * 1000},
                                                 {"0", 0}};
  for (const auto& [text, want] : ages) {
    auto r = parse_age(text);
    ASSERT_TRUE(r) << text << ": " << r.error();
    EXPECT_EQ(*r, want) << text;
  }
  for (const char* bad : {"", "d", "30x", "1d12", "-1d", "thirty"})
    EXPECT_FALSE(parse_age(bad)) << bad;
  EXPECT_EQ(parse_age("3x").error(), "\"3x\": expected an age such as 30d, 1d12h, 36h or 90m");
  const std::pair<const char*, std::int64_t> sizes[] = {{"2GiB", std::int64_t{2} << 30},
                                                        {"500MiB", std::int64_t{500} << 20},
                                                        {"64kib", 64 << 10},
                                                        {"1GB", 1'000'000'000},
                                                        {"1048576", 1 << 20},
                                                        {"3 M", 3 << 20},
                                                        {"0", 0}};
  for (const auto& [text, want] : sizes) {
    auto r = parse_bytes(text);
    ASSERT_TRUE(r) << text << ": " << r.error();
    EXPECT_EQ(*r, want) << text;
  }
  for (const char* bad : {"", "GiB", "2 parsecs", "-5", "99999999999999999999", "9000000TiB"})
    EXPECT_FALSE(parse_bytes(bad)) << bad;
  EXPECT_EQ(parse_bytes("2 parsecs").error(),
            "\"2 parsecs\": expected a size such as 2GiB, 500MiB or 1048576");
  EXPECT_EQ(format_bytes(12), "12 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(std::int64_t{2} << 30), "2 GiB");
  EXPECT_EQ(format_age(30 * kDay), "30d");
  EXPECT_EQ(format_age(90 * 60 * 1000), "1h30m");
}

// A real store with finished and running runs' logs.
struct LogDb {
  testing::TempDir dir{"stackrun-retention"};
  store::Store st{(dir.path() / "db.sqlite").string()};
  Id repo = 0, agent = 0;

  LogDb() {
    auto tx = st.begin();
    repo = st.upsert_repo("infra", "/srv/infra", "master", 0);
    agent = st.create_agent("a", "h", "", 1, 0);
    tx.commit();
  }
  // A run with `chunks` chunks of 1000 bytes, finished at `finished_at` (nullopt: running).
  Id run(int chunks, std::optional<Millis> finished_at) {
    store::NewRun r;
    r.repo_id = repo;
    r.pipeline = "apply";
    r.pipeline_file = ".stackrun/apply.yml";
    r.event = "push";
    r.commit_sha = std::string(40, 'a');
    store::NewJob j;
    j.stack = "stacks/a";
    j.label = "a";
    j.tier = "all";
    j.status = core::JobStatus::queued;
    r.jobs.push_back(j);
    auto tx = st.begin();
    const Id id = st.insert_run(r, 0);
    const Id job = st.jobs_of_run(id).front().id;
    const Id att = st.insert_offer(job, 1, agent, *st.claim_job(job), 1, 0);
    for (int i = 0; i < chunks; ++i) st.insert_chunk(id, job, att, i, std::string(1000, 'x'), 0);
    if (finished_at)
      st.set_run_status(id, core::RunStatus::queued, core::RunStatus::success, *finished_at);
    tx.commit();
    return id;
  }
  std::vector<std::string> log(Id run) {
    std::vector<std::string> out;
    for (const auto& c : st.chunks_after(run, 0, "", 10'000, 1 << 30).chunks)
      out.push_back(c.stream == "sys" ? c.data : "out");
    return out;
  }
};

TEST(Pruner, RemovesOldAndOverBudgetLogsNeverARunningRunsAndReportsIt) {
  LogDb db;
  const Id old_run = db.run(30, kNow - 40 * kDay);
  const Id mid_run = db.run(20, kNow - 5 * kDay);
  const Id new_run = db.run(10, kNow - 1 * kDay);
  const Id running = db.run(50, std::nullopt);
  RetentionPolicy p;
  p.max_age_ms = 30 * kDay;
  p.max_log_bytes = 65'000;  // running 50k + new 10k fit; mid_run must go
  {
    Pruner dry(db.st, p, kNow, true);
    for (int i = 0; i < 10 && dry.step(); ++i) {
    }
    EXPECT_EQ(dry.report().runs, 2);
    EXPECT_EQ(dry.report().chunks, 0);
    EXPECT_EQ(report_text(dry.report(), p, true),
              "would remove the logs of 2 run(s), 48.8 KiB (stored logs were 107.4 KiB)\n"
              "  run 1: 29.3 KiB, finished more than 30d ago\n"
              "  run 2: 19.5 KiB, over the 63.5 KiB budget");
    EXPECT_EQ(db.log(old_run).size(), 30u);  // a dry run deletes nothing
  }
  Pruner pass(db.st, p, kNow, false, {.rows = 7, .bytes = 1 << 20, .vacuum_pages = 16});
  int steps = 0;
  while (steps < 1000 && pass.step()) ++steps;
  ASSERT_LT(steps, 1000);
  EXPECT_GT(steps, 8);  // 50 chunks 7 at a time, and the vacuum in pieces: many short steps
  EXPECT_EQ(pass.report().runs, 2);
  EXPECT_EQ(pass.report().chunks, 50);
  EXPECT_EQ(pass.report().bytes, 50'000);
  EXPECT_EQ(report_text(pass.report(), p, false),
            "removed the logs of 2 run(s), 48.8 KiB in 50 chunks (stored logs were 107.4 KiB)");
  EXPECT_EQ(db.log(old_run),
            std::vector<std::string>{"logs removed by retention: 29.3 KiB, the run finished more "
                                     "than 30d ago\n"});
  EXPECT_EQ(db.log(mid_run),
            std::vector<std::string>{"logs removed by retention: 19.5 KiB, stored logs were over "
                                     "the 63.5 KiB budget (oldest finished runs go first)\n"});
  EXPECT_EQ(db.log(new_run).size(), 10u);
  EXPECT_EQ(db.log(running).size(), 50u);
  EXPECT_EQ(db.st.free_bytes(), 0);  // pages went back to the file system
  // A second pass finds nothing more to do.
  Pruner again(db.st, p, kNow);
  while (again.step()) {
  }
  EXPECT_EQ(again.report().runs, 0);
}

TEST(Pruner, KeepsWebhookDeliveriesForTheAgeAndAtMostTheCap) {
  LogDb db;
  // 5 deliveries older than the limit, then 12 recent ones: rejected floods are recorded too.
  {
    auto tx = db.st.begin();
    for (int i = 0; i < 17; ++i) {
      store::DeliveryRow d;
      d.source = "forgejo";
      d.repo = "infra";
      d.received_at = i < 5 ? kNow - 40 * kDay : kNow - kDay;
      d.outcome = store::DeliveryOutcome::rejected;
      d.reason = "signature does not match";
      db.st.insert_delivery(d);
    }
    tx.commit();
  }
  RetentionPolicy p;
  p.max_age_ms = 30 * kDay;
  p.max_deliveries = 10;
  Pruner pass(db.st, p, kNow, false, {.rows = 3, .bytes = 1 << 20, .vacuum_pages = 16});
  for (int i = 0; i < 100 && pass.step(); ++i) {
  }
  EXPECT_EQ(pass.report().deliveries, 7);  // the 5 old ones, then 2 beyond the newest 10
  EXPECT_EQ(report_text(pass.report(), p, false),
            "removed the logs of 0 run(s), 0 B in 0 chunks (stored logs were 0 B); 7 webhook "
            "deliveries");
  const auto left = db.st.recent_deliveries("", 1000);
  ASSERT_EQ(left.size(), 10u);
  EXPECT_EQ(left.front().id, 17);  // the newest stay
  EXPECT_EQ(left.back().id, 8);
}

TEST(Retention, TheServerPrunesOnItsIoThreadAtStartUp) {
  LogDb db;
  const Id old_run = db.run(5, kNow - 40 * kDay);
  http::test_support::LiveServer live;
  std::promise<std::string> said;
  auto once = std::make_shared<std::once_flag>();
  auto handle = start_retention(
      live.server, db.st, RetentionPolicy{}, kRetentionIntervalMs, [] { return kNow; },
      [&said, once](const std::string& line) {
        std::call_once(*once, [&] { said.set_value(line); });
      });
  ASSERT_EQ(live.start(), "");
  auto f = said.get_future();
  ASSERT_EQ(f.wait_for(http::test_support::kWait), std::future_status::ready);
  EXPECT_EQ(f.get(),
            "log retention removed the logs of 1 run(s), 4.9 KiB in 5 chunks (stored logs were "
            "4.9 KiB)");
  std::promise<std::vector<std::string>> log;
  live.server.post([&] { log.set_value(db.log(old_run)); });
  auto l = log.get_future();
  ASSERT_EQ(l.wait_for(http::test_support::kWait), std::future_status::ready);
  EXPECT_EQ(l.get().size(), 1u);
}

}  // namespace
}  // namespace stackrun::server
