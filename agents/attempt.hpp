#pragma once
// What a slot does with one offer: confirm it (/agent/start) before any other work, make the
// attempt's directory (attempt_dir.hpp) and workspace, run the steps beside a Session, then
// report (/agent/finish). recover.cpp finishes attempts an earlier agent process left with the
// same pieces.
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "agents/agent.hpp"
#include "agents/attempt_dir.hpp"
#include "agents/session.hpp"
#include "agents/steps.hpp"

namespace stackrun::agent {

// A slot's links, one per thread that uses them: `main` on the slot thread (claim, start,
// finish), `logs` and `beats` on the threads of the slot's current Session.
struct SlotLinks {
  std::unique_ptr<ServerLink> main, logs, beats;
};

// Confirms `offer` and, once the server agreed, runs and reports it; drops the offer (runs
// nothing) when the server withdrew it (404/409/403), when it could not be confirmed before
// offer_ms passed, or when `stop` was requested before it was confirmed. Returns the text to
// log when the server refused the start for good (400, 401): the agent must quit. With `next`,
// and no stop requested by the time it reports, the report also claims the slot's next job
// (FinishRequest::claim_labels): its offer, if any, lands in *next, to be taken at once.
std::optional<std::string> take_offer(const wire::Offer& offer, SlotLinks& links,
                                      const AgentOptions& options, const AgentDeps& deps,
                                      std::stop_token stop,
                                      std::optional<wire::Offer>* next = nullptr);

// Blocks for `wait`, or less once `stop` is requested. Returns false when stopped.
bool sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds wait);

// ---- shared with recover.cpp

// "attempt 12 (apply stacks/app, run 3, try 1)".
std::string describe(const wire::Offer& offer);
SessionOptions session_options(const wire::Offer& offer, const AgentOptions& options);
// <work_dir>/jobs/attempt-N.
std::string workspace_of(const AgentOptions& options, wire::Id attempt_id);
// Checks out the workspace (when first_step is 0) and runs the steps from first_step;
// `previous` is the outcome of the step before it when resuming (StepsInput::previous).
Outcome prepare_and_run(const wire::Offer& offer, const AgentOptions& options,
                        const AgentDeps& deps, Session& session, const AttemptDir& dir,
                        SpoolWriter& spool, std::size_t first_step,
                        const Outcome* previous = nullptr);
// Ships the rest of the output, removes the workspace, reports (a `late` report also when
// fenced), and removes the attempt's directory once the server gave a definite answer. With
// `next`, the report claims the slot's next job (see take_offer).
void finish_attempt(const wire::Offer& offer, const Outcome& out, Session& session,
                    const AttemptDir& dir, SlotLinks& links, const AgentOptions& options,
                    const AgentDeps& deps, bool late, std::optional<wire::Offer>* next = nullptr);

}  // namespace stackrun::agent
