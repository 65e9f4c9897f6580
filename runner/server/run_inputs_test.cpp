// Run creation with the repository seam injected: gather_inputs and the RunWorker over a
// FakeRepo and a real SQLite file.
#include "runner/server/run_inputs.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "pipelines/loader.hpp"
#include "runner/server/run_worker.hpp"
#include "tests/support/fake_repo.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

const char* const kApply = R"(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks}
tiers:
  - {name: all, parallelism: 2}
steps:
  - {name: apply, command: "terragrunt apply"}
on_failure:
  transient: {attempts: 4}
)";

struct Fixture {
  testing::TempDir dir{"stackrun-inputs"};
  std::string db = (dir.path() / "db.sqlite").string();
  store::Store st{db};
  testing::FakeRepo repo;
  std::string c1, c2;

  Fixture() {
    auto tx = st.begin();
    st.upsert_repo("infra", "https://forge.example/infra.git", "master", 1);
    tx.commit();
    c1 = repo.commit({{".stackrun/apply.yml", kApply},
                      {"stacks/a/terragrunt.hcl", "# a1\n"},
                      {"stacks/b/terragrunt.hcl", "# b1\n"}});
    c2 = repo.commit({{".stackrun/apply.yml", kApply},
                      {"stacks/a/terragrunt.hcl", "# a2\n"},
                      {"stacks/b/terragrunt.hcl", "# b1\n"}});
  }
  git::RepoOpener opener() const { return repo.opener("https://forge.example/infra.git"); }
};

TEST(GatherInputs, ReadsTheCommitItsParentAndTheStore) {
  Fixture f;
  auto tx = f.st.begin();
  f.st.record_applied(1, "stacks/b", f.c1, 1, 1);
  tx.commit();
  auto g = gather_inputs(f.st, f.opener(), TriggerRequest{});
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->repo.name, "infra");
  EXPECT_EQ(g->inputs.commit, f.c2);
  EXPECT_EQ(g->inputs.before, f.c1);
  EXPECT_EQ(g->inputs.ref, "refs/heads/master");
  EXPECT_EQ(g->inputs.changed, std::vector<std::string>{"stacks/a/terragrunt.hcl"});
  EXPECT_EQ(g->inputs.applied.at("stacks/b"), f.c1);
  ASSERT_EQ(g->inputs.pipelines.size(), 1u);
  EXPECT_EQ(g->inputs.pipelines[0].yaml, kApply);
  EXPECT_TRUE(g->inputs.changed_since.count(f.c1));
}

TEST(GatherInputs, AnOversizePipelineIsRefusedFromItsSizeWithoutBeingRead) {
  Fixture f;
  const std::string huge(pipelines::kMaxPipelineBytes + 1, '#');
  f.repo.commit({{".stackrun/apply.yml", kApply},
                 {".stackrun/huge.yml", huge},
                 {"stacks/a/terragrunt.hcl", "# a3\n"}});
  auto g = gather_inputs(f.st, f.opener(), TriggerRequest{});
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().find(".stackrun/huge.yml:1:1: file is " + std::to_string(huge.size()) +
                           " bytes, over the 256 KiB limit for pipeline files"),
            std::string::npos)
      << g.error();
  for (const auto& read : f.repo.reads()) EXPECT_NE(read, ".stackrun/huge.yml");
}

TEST(GatherInputs, ErrorsNameTheRepoTheRevisionOrThePipeline) {
  Fixture f;
  TriggerRequest unknown;
  unknown.repo = "nope";
  EXPECT_EQ(gather_inputs(f.st, f.opener(), unknown).error(),
            "unknown repo \"nope\" (register it first, e.g. with `stackrun up --repo DIR`)");
  TriggerRequest bad_rev;
  bad_rev.to = "v9";
  EXPECT_EQ(gather_inputs(f.st, f.opener(), bad_rev).error(),
            "fake: cannot resolve revision \"v9\"");
  f.repo.commit({{".stackrun/apply.yml", "version: 1\nname: [\n"}});
  auto bad = gather_inputs(f.st, f.opener(), TriggerRequest{});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().rfind("invalid pipeline at ", 0), 0u) << bad.error();
  EXPECT_NE(bad.error().find(".stackrun/apply.yml:"), std::string::npos) << bad.error();
}

// Runs what the worker posts, on the test's thread (standing in for the io thread).
struct IoQueue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> q;
  void post(std::function<void()> fn) {
    {
      std::lock_guard lk(mu);
      q.push_back(std::move(fn));
    }
    cv.notify_all();
  }
  // Runs posted functions until `done` holds; false after 30 s (a hang, not a timing check).
  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 300 && !done(); ++i) {
      std::unique_lock lk(mu);
      cv.wait_for(lk, std::chrono::milliseconds(100), [&] { return !q.empty(); });
      while (!q.empty()) {
        auto fn = std::move(q.front());
        q.pop_front();
        lk.unlock();
        fn();
        lk.lock();
      }
    }
    return done();
  }
};

TEST(RunWorker, BuildsOffTheIoThreadAndStoresOnIt) {
  Fixture f;
  IoQueue io;
  std::vector<std::vector<store::NewRun>> inserted;
  const auto io_thread = std::this_thread::get_id();
  RunWorker worker(
      f.db, f.opener(), [&](std::function<void()> fn) { io.post(std::move(fn)); },
      [&](const std::vector<store::NewRun>& runs) {
        EXPECT_EQ(std::this_thread::get_id(), io_thread);
        inserted.push_back(runs);
        auto tx = f.st.begin();
        std::vector<store::Id> ids;
        for (const auto& r : runs) ids.push_back(f.st.insert_run(r, 5));
        tx.commit();
        return ids;
      });
  std::optional<RunsOutcome> outcome;
  worker.submit(TriggerRequest{}, [&](const RunsOutcome& o) {
    EXPECT_EQ(std::this_thread::get_id(), io_thread);
    outcome = o;
  });
  ASSERT_TRUE(io.run_until([&] { return outcome.has_value(); }));
  EXPECT_EQ(outcome->error, "");
  ASSERT_EQ(outcome->runs.size(), 1u);
  ASSERT_EQ(inserted.size(), 1u);
  const store::NewRun& run = inserted[0][0];
  EXPECT_EQ(run.commit_sha, f.c2);
  EXPECT_EQ(run.policy.transient.attempts, 4);  // decoded once, stored with the run
  ASSERT_EQ(run.jobs.size(), 1u);
  EXPECT_EQ(run.jobs[0].stack, "stacks/a");
  EXPECT_EQ(run.jobs[0].parallelism, 2);

  // A request that fails is answered with its reason and stores nothing.
  std::optional<RunsOutcome> failed;
  TriggerRequest bad;
  bad.repo = "nope";
  worker.submit(bad, [&](const RunsOutcome& o) { failed = o; });
  ASSERT_TRUE(io.run_until([&] { return failed.has_value(); }));
  EXPECT_NE(failed->error.find("unknown repo"), std::string::npos);
  EXPECT_FALSE(failed->unavailable);
  EXPECT_EQ(inserted.size(), 1u);
}

}  // namespace
}  // namespace stackrun::server
