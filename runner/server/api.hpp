#pragma once
// The HTTP/JSON API (schema/protocol.md) over the coordinator, the store and the run worker.
// Waits are events: a parked claim is answered when a job becomes claimable, a log follower
// when its run gets a line, and one timer is armed for the next offer or lease expiry (or a
// retry's not_before). A store fault answers 503 and the server keeps serving.
#include <functional>
#include <memory>

#include "runner/config/server_config.hpp"
#include "runner/http/http.hpp"
#include "runner/server/coordinator.hpp"
#include "runner/server/run_worker.hpp"

namespace stackrun::server {

class Schedules;

struct ApiOptions {
  Millis max_wait_ms = 120'000;  // cap of a claim's or a log follower's long-poll
  // Where the server reports what it did not answer to anyone (store faults in timers, reaped
  // attempts); default: stderr.
  std::function<void(const std::string&)> log;
  // The repos and webhook sources served at POST /hooks/{source} (api_hooks.cpp); null: no
  // source exists and every such request is answered 404.
  std::shared_ptr<const config::ServerConfig> config;
  // Cron schedules (schedules.hpp): enabled and disabled through POST /schedules/{id}, read
  // again when a push moves a default branch. Null: no schedule ever fires.
  std::shared_ptr<Schedules> schedules;
  // No request but empty claims for this long after one that was not: `on_idle` runs once, on
  // the io thread. Default: give back freed heap (main() keeps up to 16 MiB of it for the log
  // path) and the repositories kept open between runs (git::close_kept_repos). An idle server's
  // agents park claims that end empty every claim wait; those do not count, so an idle server
  // does this once and then sleeps.
  Millis idle_release = 2'000;
  std::function<void()> on_idle;
};

class Api;

// Registers every route on `http` and returns the API's handle; the store, coordinator,
// worker and clock must outlive it. Everything runs on the http io thread, except
// `RunWorker`'s gathering.
std::shared_ptr<Api> install_routes(http::Server& http, store::Store& store,
                                    Coordinator& coordinator, RunWorker& worker,
                                    std::function<Millis()> clock, ApiOptions options = {});

// Inserts runs built by the worker (io thread) and wakes whoever waits for them. The callback
// given to RunWorker as its Insert.
std::vector<Id> insert_runs(Api& api, const std::vector<store::NewRun>& runs);

// Re-checks the timers after start-up: expired leases, waiting retries.
void start_timers(Api& api);

}  // namespace stackrun::server
