// `stackrun logs RUN [--stack S] [-f]`: print a run's output with [stack] prefixes; with -f,
// follow it live until the run ends. Resumes by chunk id, so every line shows exactly once
// even across server restarts. The next page is fetched while one is printed (PageFetcher).
// Exit codes in kExits below (and docs/cli.md).
#include <CLI/CLI.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "runner/cli/client_cmd.hpp"
#include "runner/cli/commands.hpp"
#include "runner/client/log_printer.hpp"

namespace stackrun::cli {
namespace {

constexpr const char* kExits =
    "Exit status: 0 the run succeeded (or, without -f, is still going); 1 the run failed;\n"
    "3 the run was cancelled; 2 usage or no server/token found; 4 server unreachable or not\n"
    "answering usably (with -f, after retrying for up to a minute); 5 request refused (no such\n"
    "run, bad token); 6 the run was superseded (a newer run took over the stacks it had not\n"
    "started; `stackrun show RUN` names it); 7 the run found drift (a plan's exit code mapped\n"
    "to drift) and nothing failed.";
constexpr int kExitFailed = 1, kExitCancelled = 3, kExitRefused = 5, kExitSuperseded = 6,
              kExitDrift = 7;

// While following, the server long-polls this long; without -f it answers at once.
constexpr wire::Millis kFollowWaitMs = 15'000;
// A follower outlives a server restart: it retries a failing server (503s are already retried
// inside the client) this many times, kRetryPause apart, for at most kRetryWindow in a row.
constexpr int kMaxFailures = 60;
constexpr std::chrono::milliseconds kRetryPause{500};
constexpr std::chrono::seconds kRetryWindow{60};

struct LogsArgs {
  client::ClientFlags client;
  long long run = 0;
  std::string stack;
  bool follow = false;
  bool colour = false;
};

int exit_for(core::RunStatus s) {
  switch (s) {
    case core::RunStatus::failed:
      return kExitFailed;
    case core::RunStatus::cancelled:
      return kExitCancelled;
    case core::RunStatus::superseded:
      return kExitSuperseded;
    case core::RunStatus::drift:
      return kExitDrift;
    case core::RunStatus::queued:
    case core::RunStatus::running:
    case core::RunStatus::success:
      return 0;
  }
  return 0;
}

// Fetches the pages on a thread of its own, up to kAhead ahead of the printing: a page's
// round trip and the server's read overlap the printing of the one before (on a finished run
// each took about half the time). The fetching thread keeps `after` and the retries; it stops
// after the item the printer ends on (the run done, the pages run out, a failure not retried).
class PageFetcher {
 public:
  static constexpr std::size_t kAhead = 2;

  PageFetcher(client::OperatorClient& api, const LogsArgs& a)
      : thread_([this, &api, &a] { fetch(api, a); }) {}
  // The printer normally took the last item, so the thread has ended; on an early exit (an
  // exception) the thread stops at its next page.
  ~PageFetcher() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  PageFetcher(const PageFetcher&) = delete;
  PageFetcher& operator=(const PageFetcher&) = delete;

  // The next page, or the failure that ends the command; blocks until there is one.
  client::ApiResult<wire::LogPage> next() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !ready_.empty(); });
    auto item = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();
    return item;
  }

 private:
  // False once nobody will take it (closed).
  bool put(client::ApiResult<wire::LogPage> item) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return ready_.size() < kAhead || closed_; });
    if (closed_) return false;
    ready_.push_back(std::move(item));
    cv_.notify_all();
    return true;
  }

  // Ends when the run ends (following) or the pages run out (not following); failures in a
  // row are bounded in count and time.
  void fetch(client::OperatorClient& api, const LogsArgs& a) {
    wire::Id after = 0;
    int failures = 0;
    auto failing_since = std::chrono::steady_clock::now();
    for (;;) {
      auto page = api.log_page(a.run, after, a.stack, a.follow ? kFollowWaitMs : 0);
      if (!page) {
        const bool refused = page.error().kind == client::ApiFailure::refused;
        if (failures == 0) failing_since = std::chrono::steady_clock::now();
        const bool retry = a.follow && !refused && ++failures <= kMaxFailures &&
                           std::chrono::steady_clock::now() - failing_since < kRetryWindow;
        if (!retry) {
          put(std::move(page));
          return;
        }
        std::this_thread::sleep_for(kRetryPause);
        continue;
      }
      failures = 0;
      after = std::max(after, page->next);
      const bool last = page->done || (!a.follow && page->chunks.empty());
      if (!put(std::move(page)) || last) return;
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<client::ApiResult<wire::LogPage>> ready_;
  bool closed_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

int run_logs(const LogsArgs& a) {
  int exit_code = 0;
  auto api = connect("logs", a.client, exit_code);
  if (!api) return exit_code;
  client::LogPrinter printer(client::Style::for_fd(1), a.colour);
  PageFetcher pages(*api, a);
  for (;;) {  // ends with the fetcher: it stops after each of the returns below
    auto page = pages.next();
    if (!page) {
      std::cout << printer.flush() << std::flush;
      return report("logs", page.error(), kExitRefused);
    }
    std::cout << printer.feed(*page) << std::flush;
    if (page->done) return exit_for(page->status);
    if (!a.follow && page->chunks.empty()) {
      std::cout << printer.flush() << std::flush;
      return 0;
    }
  }
}

}  // namespace

void add_logs(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("logs", "Print a run's logs with [stack] prefixes; -f follows live");
  cmd->footer(kExits);
  auto a = std::make_shared<LogsArgs>();
  add_client_flags(*cmd, a->client);
  cmd->add_option("run", a->run, "Run id")->required();
  cmd->add_option("--stack", a->stack, "Only this stack (its name relative to the stack root)");
  cmd->add_flag("-f,--follow", a->follow, "Follow until the run ends");
  cmd->add_flag("--color,--colour", a->colour,
                "Show the steps' own colours (other escape sequences are always shown, never run)");
  cmd->callback([a, &exit_code] { exit_code = run_logs(*a); });
}

}  // namespace stackrun::cli
