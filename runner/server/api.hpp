#pragma once
// The HTTP/JSON API (schema/protocol.md) on top of the coordinator and the store.
#include <functional>

#include "runner/http/http.hpp"
#include "runner/server/coordinator.hpp"

namespace stackrun::server {

struct ApiOptions {
  Millis max_claim_wait_ms = 30'000;
  Millis poll_interval_ms = 100;  // how often a parked long-poll re-checks the store
};

// Registers every route on `http`. The store, coordinator and clock must outlive it; all
// handlers run on the http io thread.
void install_routes(http::Server& http, store::Store& store, Coordinator& coordinator,
                    std::function<Millis()> clock, ApiOptions options = {});

}  // namespace stackrun::server
