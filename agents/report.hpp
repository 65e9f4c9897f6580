#pragma once
// Reporting an attempt (/agent/finish) so that a finished result is never dropped: retried
// while the server is away, and re-sent with a smaller verdict when the server refuses the
// body (400, 413: an older server's limits, or a verdict still too big). Heartbeats go on
// meanwhile (the caller's Session), so the lease holds until the server records it.
#include <string>

#include "agents/agent.hpp"
#include "runner/core/verdict.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

// The verdict cut down for a server that refused it. Level 0: unchanged. 1: the line cut to
// 1 KiB, each lock field and the rule to 256 B (at UTF-8 boundaries, with "…" where cut). 2:
// the line says the server refused it, no lock info. The class is always kept. Pure.
core::Verdict compact_verdict(const core::Verdict& v, int level);

enum class Reported {
  accepted,     // the server recorded it (or had already)
  refused,      // the server refused it for good (fenced, gone, not ours): do not resend
  undelivered,  // the server stayed away until the finish limit: a restarted agent resends it
};

// Sends `req` until a definite answer or `options.timings.finish_limit`. `late`: the report
// of an attempt an earlier agent process started (worded so in the log). `next`: where the
// offer goes that the answer carries when `req` asked to claim (FinishRequest::claim_labels).
Reported report(const wire::FinishRequest& req, ServerLink& link, const AgentOptions& options,
                const AgentDeps& deps, const std::string& what, bool late = false,
                std::optional<wire::Offer>* next = nullptr);

}  // namespace stackrun::agent
