#pragma once
// What a slot does with one offer: confirm it (/agent/start) before any other work, make the
// workspace, run the steps beside a Session, then report (/agent/finish).
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "agents/agent.hpp"

namespace stackrun::agent {

// A slot's links, one per thread that uses them: `main` on the slot thread (claim, start,
// finish), `logs` and `beats` on the threads of the slot's current Session.
struct SlotLinks {
  std::unique_ptr<ServerLink> main, logs, beats;
};

// Confirms `offer` and, once the server agreed, runs and reports it; drops the offer (runs
// nothing) when the server withdrew it (404/409/403), when it could not be confirmed before
// offer_ms passed, or when `stop` was requested before it was confirmed. Returns the text to
// log when the server refused the start for good (400, 401): the agent must quit.
std::optional<std::string> take_offer(const wire::Offer& offer, SlotLinks& links,
                                      const AgentOptions& options, const AgentDeps& deps,
                                      std::stop_token stop);

// Blocks for `wait`, or less once `stop` is requested. Returns false when stopped.
bool sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds wait);

}  // namespace stackrun::agent
