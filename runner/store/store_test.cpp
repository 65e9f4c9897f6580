// The store on a real SQLite file. Conditional transitions are tested with two actors (two
// connections, as two server threads or a restarted server would have): exactly one wins.
#include "runner/store/store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "runner/store/migrations.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::store {
namespace {

using core::AttemptStatus;
using core::JobStatus;
using core::RunStatus;

constexpr Millis kNow = 1'000'000;

struct TwoActors {
  testing::TempDir dir{"stackrun-store"};
  std::string path = (dir.path() / "db.sqlite").string();
  Store a{path};
  Store b{path};
  Id repo = 0, agent = 0;

  TwoActors() {
    auto tx = a.begin();
    repo = a.upsert_repo("infra", "/srv/infra", "master", kNow);
    agent = a.create_agent("agent-1", "hash-1", "", 2, kNow);
    tx.commit();
  }

  // A run with one job per stack, all with status `status`.
  Id run_with(const std::vector<std::string>& stacks, JobStatus status = JobStatus::queued) {
    NewRun r;
    r.repo_id = repo;
    r.pipeline = "apply";
    r.pipeline_file = ".stackrun/apply.yml";
    r.event = "push";
    r.commit_sha = std::string(40, 'a');
    r.policy.transient.attempts = 7;
    r.policy.lock.then = core::LockPolicy::Then::fail;
    r.lines = {"first line"};
    for (const auto& s : stacks) {
      NewJob j;
      j.stack = s;
      j.label = s;
      j.tier = "all";
      j.status = status;
      r.jobs.push_back(j);
    }
    auto tx = a.begin();
    const Id id = a.insert_run(r, kNow);
    tx.commit();
    return id;
  }
  Id first_job(Id run) { return a.jobs_of_run(run).front().id; }
  // An offered attempt of `job` under the epoch its claim gave it.
  std::pair<Id, std::int64_t> offer(Id job) {
    auto tx = a.begin();
    const auto epoch = a.claim_job(job);
    const Id id = a.insert_offer(job, 1, agent, *epoch, kNow + 1000, kNow);
    tx.commit();
    return {id, *epoch};
  }
};

TEST(Store, RunRoundTripKeepsThePolicyTheLinesAndTheJobs) {
  TwoActors s;
  const Id run = s.run_with({"stacks/a", "stacks/b"}, JobStatus::pending);
  const auto row = s.b.run(run);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, RunStatus::queued);
  EXPECT_EQ(row->cancel, core::CancelLevel::none);
  EXPECT_EQ(row->policy.transient.attempts, 7);
  EXPECT_EQ(row->policy.lock.then, core::LockPolicy::Then::fail);
  EXPECT_EQ(row->policy.lock.wait, core::FailurePolicy{}.lock.wait);
  EXPECT_EQ(s.b.jobs_of_run(run).size(), 2u);
  const auto chunks = s.b.chunks_after(run, 0, "", 10, 1 << 20).chunks;
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].data, "first line\n");
  EXPECT_EQ(chunks[0].stream, "sys");
}

TEST(Store, OnlyOneActorClaimsAJob) {
  TwoActors s;
  const Id job = s.first_job(s.run_with({"stacks/a"}));
  const auto first = s.a.claim_job(job);
  const auto second = s.b.claim_job(job);
  ASSERT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(s.b.job(job)->epoch, *first);
  EXPECT_EQ(s.b.job(job)->status, JobStatus::running);
}

TEST(Store, OnlyOneJobTransitionFromTheSameStatusWins) {
  TwoActors s;
  const Id job = s.first_job(s.run_with({"stacks/a"}, JobStatus::running));
  EXPECT_TRUE(s.a.transition_job(job, JobStatus::running, JobStatus::success, "", kNow));
  EXPECT_FALSE(s.b.transition_job(job, JobStatus::running, JobStatus::queued, "retry", std::nullopt,
                                  kNow + 5));
  EXPECT_EQ(s.b.job(job)->status, JobStatus::success);
  EXPECT_EQ(s.b.job(job)->finished_at, kNow);
}

TEST(Store, OnlyOneRunStatusChangeWins) {
  TwoActors s;
  const Id run = s.run_with({"stacks/a"});
  EXPECT_TRUE(s.a.set_run_status(run, RunStatus::queued, RunStatus::running, kNow));
  EXPECT_FALSE(s.b.set_run_status(run, RunStatus::queued, RunStatus::cancelled, kNow));
  EXPECT_TRUE(s.b.set_run_status(run, RunStatus::running, RunStatus::success, kNow + 9));
  const auto row = s.a.run(run);
  EXPECT_EQ(row->status, RunStatus::success);
  EXPECT_EQ(row->started_at, kNow);
  EXPECT_EQ(row->finished_at, kNow + 9);
}

TEST(Store, AnOfferIsEitherStartedOrWithdrawnNeverBoth) {
  for (bool start_first : {true, false}) {
    TwoActors s;
    const auto [id, epoch] = s.offer(s.first_job(s.run_with({"stacks/a"})));
    const bool started_first = start_first && s.a.start_attempt(id, epoch, kNow + 30'000, kNow);
    const bool withdrawn = s.b.withdraw_offer(id, epoch);
    const bool started_later = !start_first && s.a.start_attempt(id, epoch, kNow + 30'000, kNow);
    EXPECT_EQ(static_cast<int>(started_first) + static_cast<int>(withdrawn) +
                  static_cast<int>(started_later),
              1)
        << "start first: " << start_first;
    EXPECT_EQ(s.a.attempt(id).has_value(), start_first);
  }
}

TEST(Store, AWithdrawnOffersIdIsNeverHandedOutAgain) {
  // Why it matters: a late start of the withdrawn offer names (id, epoch); a new offer with the
  // same id and epoch 1 for another job would accept it.
  TwoActors s;
  const Id run = s.run_with({"stacks/a", "stacks/b"});
  const auto jobs = s.a.jobs_of_run(run);
  const auto [first, epoch] = s.offer(jobs[1].id);
  ASSERT_TRUE(s.a.withdraw_offer(first, epoch));
  const auto [second, epoch2] = s.offer(jobs[0].id);
  EXPECT_NE(second, first);
  EXPECT_FALSE(s.b.start_attempt(first, epoch2, kNow + 30'000, kNow));
}

TEST(Store, AStartNeedsTheOffersEpoch) {
  TwoActors s;
  const auto [id, epoch] = s.offer(s.first_job(s.run_with({"stacks/a"})));
  EXPECT_FALSE(s.a.start_attempt(id, epoch + 1, kNow + 30'000, kNow));
  EXPECT_TRUE(s.a.start_attempt(id, epoch, kNow + 30'000, kNow));
  EXPECT_FALSE(s.b.start_attempt(id, epoch, kNow + 30'000, kNow));  // already running
  EXPECT_EQ(s.b.attempt(id)->status, AttemptStatus::running);
  EXPECT_EQ(s.b.attempt(id)->lease_expires_at, kNow + 30'000);
}

TEST(Store, AnAttemptEndsOnceFinishOrReaperNotBoth) {
  TwoActors s;
  const auto [id, epoch] = s.offer(s.first_job(s.run_with({"stacks/a"})));
  ASSERT_TRUE(s.a.start_attempt(id, epoch, kNow + 30'000, kNow));
  Store::Finish f;
  f.cls = core::Class::transient;
  f.rule = "r";
  f.line = "timeout";
  EXPECT_TRUE(
      s.a.end_attempt(id, epoch, AttemptStatus::running, AttemptStatus::finished, f, kNow + 5));
  EXPECT_FALSE(s.b.end_attempt(id, epoch, AttemptStatus::running, AttemptStatus::interrupted,
                               std::nullopt, kNow + 6));
  EXPECT_FALSE(s.b.extend_lease(id, epoch, kNow + 60'000));  // a finished attempt has no lease
  const auto row = s.b.attempt(id);
  EXPECT_EQ(row->status, AttemptStatus::finished);
  EXPECT_EQ(row->cls, core::Class::transient);
  EXPECT_EQ(row->line, "timeout");
}

TEST(Store, ExpiryCoversOffersAndLeasesButNotFinishedAttempts) {
  TwoActors s;
  const Id run = s.run_with({"stacks/a", "stacks/b", "stacks/c"});
  const auto jobs = s.a.jobs_of_run(run);
  const auto [offered, e1] = s.offer(jobs[0].id);  // offer until kNow + 1000
  const auto [running, e2] = s.offer(jobs[1].id);
  ASSERT_TRUE(s.a.start_attempt(running, e2, kNow + 500, kNow));
  const auto [done, e3] = s.offer(jobs[2].id);
  ASSERT_TRUE(s.a.start_attempt(done, e3, kNow + 10, kNow));
  ASSERT_TRUE(s.a.end_attempt(done, e3, AttemptStatus::running, AttemptStatus::finished,
                              Store::Finish{}, kNow));
  EXPECT_EQ(s.b.next_expiry(), kNow + 500);
  EXPECT_TRUE(s.b.expired_attempts(kNow + 500).empty());  // a lease ends after its last ms
  ASSERT_EQ(s.b.expired_attempts(kNow + 501).size(), 1u);
  EXPECT_EQ(s.b.expired_attempts(kNow + 501)[0].id, running);
  EXPECT_EQ(s.b.expired_attempts(kNow + 1001).size(), 2u);
  (void)offered;
  (void)e1;
}

TEST(Store, ALogChunkIsStoredOnce) {
  TwoActors s;
  const Id run = s.run_with({"stacks/a"});
  const Id job = s.first_job(run);
  const auto [id, epoch] = s.offer(job);
  (void)epoch;
  EXPECT_TRUE(s.a.insert_chunk(run, job, id, 0, "line\n", kNow));
  EXPECT_FALSE(s.b.insert_chunk(run, job, id, 0, "line\n", kNow));
  EXPECT_EQ(s.b.chunks_after(run, 0, "stacks/a", 10, 1 << 20).chunks.size(), 1u);
}

TEST(Store, LastAppliedNeverMovesBackwards) {
  TwoActors s;
  s.a.record_applied(s.repo, "stacks/a", std::string(40, '5'), 5, kNow);
  s.b.record_applied(s.repo, "stacks/a", std::string(40, '3'), 3, kNow + 1);  // an older run, late
  EXPECT_EQ(s.a.applied_commits(s.repo).at("stacks/a"), std::string(40, '5'));
  s.b.record_applied(s.repo, "stacks/a", std::string(40, '7'), 7, kNow + 2);
  EXPECT_EQ(s.a.applied_commits(s.repo).at("stacks/a"), std::string(40, '7'));
}

TEST(Store, NextNotBeforeIsTheEarliestWaitingRetry) {
  TwoActors s;
  const Id run = s.run_with({"stacks/a", "stacks/b"}, JobStatus::running);
  const auto jobs = s.a.jobs_of_run(run);
  EXPECT_FALSE(s.a.next_not_before(kNow));
  s.a.transition_job(jobs[0].id, JobStatus::running, JobStatus::queued, "", std::nullopt,
                     kNow + 300);
  s.a.transition_job(jobs[1].id, JobStatus::running, JobStatus::queued, "", std::nullopt,
                     kNow + 100);
  EXPECT_EQ(s.b.next_not_before(kNow), kNow + 100);
  EXPECT_EQ(s.b.next_not_before(kNow + 100), kNow + 300);  // strictly after now
  EXPECT_EQ(s.b.claimable_page(kNow + 100, nullptr, 10).size(), 1u);
}

TEST(Store, ConcurrentClaimersNeverShareAJob) {
  // Two threads with their own connections race BEGIN IMMEDIATE + claim over 40 jobs.
  TwoActors s;
  std::vector<std::string> stacks;
  for (int i = 0; i < 40; ++i) stacks.push_back("stacks/s" + std::to_string(i));
  const Id run = s.run_with(stacks);
  std::atomic<int> claimed{0};
  auto claimer = [&](Store& st) {
    for (int round = 0; round < 200; ++round) {  // bounded
      auto tx = st.begin();
      const auto free = st.claimable_page(kNow, nullptr, 1);
      if (free.empty()) return;
      if (st.claim_job(free.front().id)) ++claimed;
      tx.commit();
    }
  };
  std::thread t1(claimer, std::ref(s.a));
  std::thread t2(claimer, std::ref(s.b));
  t1.join();
  t2.join();
  EXPECT_EQ(claimed.load(), 40);
  for (const auto& j : s.a.jobs_of_run(run)) EXPECT_EQ(j.epoch, 1) << j.stack;  // claimed once each
}

// claimable_page walks the queued jobs in claim order (run, tier, id), a page at a time;
// unfinished_for gives pick_job every running job and every unfinished job on a candidate's
// stack, no more.
TEST(Store, ClaimablePagesAndTheirUnfinishedJobs) {
  TwoActors s;
  const Id older = s.run_with({"stacks/a", "stacks/b", "stacks/c"});
  s.run_with({"stacks/c", "stacks/d", "stacks/e"});
  s.offer(s.first_job(older));  // stacks/a runs now
  auto label = [&](const JobRow& j) {
    return std::to_string(j.run_id == older ? 1 : 2) + ":" + j.stack;
  };
  std::vector<std::string> paged;
  std::vector<JobRow> page;
  for (int i = 0; i < 10; ++i) {  // bounded: 5 rows in pages of 2
    page = s.b.claimable_page(kNow, page.empty() ? nullptr : &page.back(), 2);
    if (page.empty()) break;
    EXPECT_LE(page.size(), 2u);
    for (const auto& j : page) paged.push_back(label(j));
  }
  EXPECT_EQ(paged, (std::vector<std::string>{"1:stacks/b", "1:stacks/c", "2:stacks/c", "2:stacks/d",
                                             "2:stacks/e"}));

  const auto first = s.b.claimable_page(kNow, nullptr, 2);  // older's b and c
  std::vector<std::string> seen;
  for (const auto& j : s.b.unfinished_for(first)) seen.push_back(label(j));
  EXPECT_EQ(seen,
            (std::vector<std::string>{"1:stacks/a", "1:stacks/b", "1:stacks/c", "2:stacks/c"}));
}

TEST(Store, RaiseCancelNeverLowersTheLevel) {
  TwoActors s;
  const Id run = s.run_with({"stacks/a"});
  s.a.raise_cancel(run, core::CancelLevel::force);
  s.b.raise_cancel(run, core::CancelLevel::graceful);
  EXPECT_EQ(s.a.run(run)->cancel, core::CancelLevel::force);
}

TEST(Store, AVersionOneDatabaseMigratesKeepingItsAttempts) {
  testing::TempDir dir{"stackrun-store"};
  const std::string path = (dir.path() / "v1.sqlite").string();
  {
    Db db(path);
    db.exec(migrations().at(0).sql);
    db.exec("PRAGMA user_version = 1");
    db.exec(
        "INSERT INTO repos(id, name, url, created_at) VALUES(1, 'r', '/r', 0);"
        "INSERT INTO agents(id, name, token_hash, created_at) VALUES(1, 'a', 'h', 0);"
        "INSERT INTO runs(id, repo_id, pipeline, pipeline_file, pipeline_yaml, kind, event, "
        "commit_sha, status, "
        "created_at) VALUES(1, 1, 'p', 'f', 'y', 'apply', 'push', 'c', 'running', 0);"
        "INSERT INTO jobs(id, run_id, repo_id, stack, label, tier, tier_index, kind, status, "
        "created_at) "
        "VALUES(1, 1, 1, 's', 's', 't', 0, 'apply', 'running', 0);"
        "INSERT INTO attempts(id, job_id, n, agent_id, epoch, status, lease_expires_at, "
        "started_at) "
        "VALUES(1, 1, 1, 1, 1, 'running', 99, 0);");
  }
  Store st(path);
  const auto att = st.attempt(1);
  ASSERT_TRUE(att);
  EXPECT_EQ(att->status, AttemptStatus::running);
  EXPECT_EQ(att->lease_expires_at, 99);
  EXPECT_EQ(st.run(1)->policy.transient.attempts, core::FailurePolicy{}.transient.attempts);
  auto v = st.db().prepare("PRAGMA user_version");
  ASSERT_TRUE(v.step());
  EXPECT_EQ(v.i64(0), static_cast<std::int64_t>(migrations().size()));
}

TEST(Store, AnUnknownStatusInTheDatabaseIsAnErrorNotAGuess) {
  TwoActors s;
  const Id run = s.run_with({"stacks/a"});
  s.a.db().exec("PRAGMA ignore_check_constraints = ON");
  s.a.db().prepare("UPDATE jobs SET status = 'escalated' WHERE run_id = ?1").bind(1, run).exec();
  EXPECT_THROW(s.b.jobs_of_run(run), DbError);
}

}  // namespace
}  // namespace stackrun::store
