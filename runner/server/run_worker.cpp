#include "runner/server/run_worker.hpp"

#include <memory>
#include <optional>

#include "runner/core/cron.hpp"
#include "runner/core/schedule.hpp"
#include "runner/server/coordinator.hpp"
#include "runner/store/store.hpp"

namespace stackrun::server {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

}  // namespace

store::NewRun to_new_run(const plan::RunSpec& spec, store::Id repo_id, const plan::RunInputs& in,
                         const std::string& event) {
  store::NewRun run;
  run.repo_id = repo_id;
  run.pipeline = spec.pipeline;
  run.pipeline_file = spec.pipeline_file;
  run.pipeline_yaml = spec.pipeline_yaml;
  run.kind = spec.kind;
  run.event = event;
  run.ref = in.ref;
  run.before_commit = in.before;
  run.commit_sha = in.commit;
  run.message = in.message;
  run.policy = spec.policy;
  run.lines = spec.lines;
  for (const auto& j : spec.jobs) {
    store::NewJob nj;
    nj.stack = j.stack;
    nj.label = j.label;
    nj.tier = j.tier;
    nj.tier_needs = join(j.tier_needs);
    nj.tier_index = j.tier_index;
    nj.parallelism = j.parallelism;
    nj.kind = j.kind;
    nj.status = j.status;
    nj.reason = j.reason;
    nj.result_reason = j.result_reason;
    nj.labels = join(j.labels);
    nj.needs = join(j.needs);
    run.jobs.push_back(std::move(nj));
  }
  return run;
}

RunWorker::RunWorker(std::string db_path, git::RepoOpener open, Post post, Insert insert,
                     RepoFetch fetch)
    : db_path_(std::move(db_path)),
      open_(std::move(open)),
      fetch_(std::move(fetch)),
      post_(std::move(post)),
      insert_(std::move(insert)) {
  thread_ = std::thread([this] { loop(); });
}

RunWorker::~RunWorker() {
  stop();
}

void RunWorker::submit(TriggerRequest request, Done done) {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    queue_.push_back({std::move(request), std::move(done), {}});
  }
  cv_.notify_one();
}

void RunWorker::submit_task(Task work) {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    queue_.push_back({{}, {}, std::move(work)});
  }
  cv_.notify_one();
}

void RunWorker::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void RunWorker::loop() {
  for (;;) {
    Item item;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    serve(std::move(item));
  }
}

void RunWorker::serve(Item item) {
  if (item.task) {
    try {
      store::Store reader(db_path_, store::Db::Options{.read_only = true, .busy_timeout_ms = 2000});
      if (auto then = item.task(reader, open_, fetch_)) post_(std::move(then));
    } catch (const store::DbError&) {
      // The task is dropped; its owner retries (schedules are read again at the next sync).
    }
    return;
  }
  auto answer = [this, &item](RunsOutcome o) {
    post_([done = std::move(item.done), o = std::move(o)] { done(o); });
  };
  std::vector<store::NewRun> runs;
  try {
    // A connection per request: it sees the latest committed state and holds no snapshot
    // (which would keep the WAL from being checkpointed) between requests.
    store::Store reader(db_path_, store::Db::Options{.read_only = true, .busy_timeout_ms = 2000});
    auto gathered = gather_inputs(reader, open_, item.request, fetch_);
    if (!gathered) return answer({{}, gathered.error(), false});
    auto specs = plan::build_runs(gathered->inputs, gathered->request);
    if (!specs) return answer({{}, specs.error(), false});
    const std::string event = item.request.stack.empty() ? item.request.event : "manual";
    for (const auto& s : *specs)
      runs.push_back(to_new_run(s, gathered->repo.id, gathered->inputs, event));
    if (const auto& fire = item.request.fire) {
      // The due time is claimed with the run (Coordinator::create_runs); the schedule then
      // moves on past both the due time and now, so missed slots are not fired one by one.
      auto next = core::next_after_claim(fire->cron, fire->timezone, fire->due, wall_ms());
      if (!next) return answer({{}, next.error(), false});
      for (auto& r : runs) {
        r.schedule_id = fire->schedule_id;
        r.scheduled_for = fire->due;
        r.next_fire_at = *next;
        r.lines.insert(
            r.lines.begin() + (r.lines.empty() ? 0 : 1),
            "fired by schedule " + fire->name + " (" + fire->cron + ", " + fire->timezone +
                ") for " +
                core::iso_utc(std::chrono::sys_seconds(std::chrono::seconds(fire->due / 1000))));
      }
    }
  } catch (const store::DbError& e) {
    return answer({{}, std::string("store unavailable: ") + e.what(), true});
  }
  post_([insert = insert_, done = std::move(item.done), runs = std::move(runs)] {
    RunsOutcome o;
    try {
      o.runs = insert(runs);
    } catch (const store::DbError& e) {
      o = {{}, std::string("store unavailable: ") + e.what(), true};
    }
    done(o);
  });
}

}  // namespace stackrun::server
