#pragma once
// The single door for creating runs. Requests (from the operator API today; webhooks and cron
// plug in here too) queue for one worker thread, which gathers their inputs (git, and the
// store through a read-only connection of its own) and builds the runs (plan::build_runs).
// Only storing them happens on the io thread, in one short transaction per run, so heartbeats,
// claims and log uploads never wait behind git.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runner/git/repo.hpp"
#include "runner/server/run_inputs.hpp"
#include "runner/store/rows.hpp"

namespace stackrun::server {

struct RunsOutcome {
  std::vector<store::Id> runs;  // created, possibly none (no pipeline matched)
  std::string error;            // why nothing was created ("" = success)
  bool unavailable = false;     // the error is a store fault: the same request may work later
};

class RunWorker {
 public:
  // Runs `fn` on the io thread (http::Server::post).
  using Post = std::function<void(std::function<void()>)>;
  // Stores the built runs, on the io thread; returns their ids. May throw store::DbError.
  using Insert = std::function<std::vector<store::Id>(const std::vector<store::NewRun>&)>;
  // Called on the io thread with the outcome of one request.
  using Done = std::function<void(const RunsOutcome&)>;

  // `db_path` is opened read-only by the worker thread when it first needs it. `fetch` says
  // where remote repos are mirrored and with which credentials (default: nothing is fetched,
  // every URL is handed to `open` as given).
  RunWorker(std::string db_path, git::RepoOpener open, Post post, Insert insert,
            RepoFetch fetch = {});
  ~RunWorker();  // stop() and join
  RunWorker(const RunWorker&) = delete;
  RunWorker& operator=(const RunWorker&) = delete;

  // Thread-safe. Requests are served one at a time, in order. After stop(), `done` is never
  // called.
  void submit(TriggerRequest request, Done done);
  // Other git work in the same queue (reading a repo's schedules): `work` runs on the worker
  // thread with a fresh read-only store connection and the worker's opener and fetch; the
  // function it returns is posted to the io thread. A DbError thrown by `work` drops it.
  using Task = std::function<std::function<void()>(
      store::Store& reader, const git::RepoOpener& open, const RepoFetch& fetch)>;
  void submit_task(Task work);
  // Finishes the request in progress (its answer may be dropped), drops the queue, joins.
  void stop();

 private:
  struct Item {
    TriggerRequest request;
    Done done;
    Task task;  // set: a task instead of a trigger
  };
  void loop();
  void serve(Item item);

  std::string db_path_;
  git::RepoOpener open_;
  RepoFetch fetch_;
  Post post_;
  Insert insert_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// A built run as the store's new row.
store::NewRun to_new_run(const plan::RunSpec& spec, store::Id repo_id, const plan::RunInputs& in,
                         const std::string& event);

}  // namespace stackrun::server
