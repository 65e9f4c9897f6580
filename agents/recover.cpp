#include "agents/recover.hpp"

namespace stackrun::agent {
namespace {

// Whether the server still holds the attempt for this agent: one heartbeat, answered.
std::optional<std::string> not_held(const wire::Offer& offer, ServerLink& link) {
  const auto beat = link.heartbeat({offer.attempt_id, offer.epoch});
  if (beat.ok()) {
    if (!beat.value.cancel) return std::nullopt;
    return "the run was cancelled";
  }
  return "the server answered " +
         (beat.status == 0 ? std::string("nothing") : std::to_string(beat.status)) +
         (beat.text.empty() ? "" : ": " + beat.text);
}

}  // namespace

void resume_attempt(const AttemptDir& dir, SlotLinks& links, const AgentOptions& o,
                    const AgentDeps& d) {
  auto offer = dir.offer();
  if (!offer) {
    d.log("cannot resume " + dir.path() + " (" + offer.error() + "); removing it");
    dir.remove();
    return;
  }
  const std::string what = describe(*offer);
  auto spool = SpoolWriter::open(dir.spool());
  if (!spool) {
    d.log("cannot resume " + what + " (" + spool.error() + "); removing it");
    dir.remove();
    return;
  }
  d.log("resuming " + what + ": an earlier agent process on this work dir started it");
  Session s({offer->attempt_id, offer->epoch}, wire::LeaseAnswer{}, session_options(*offer, o),
            {dir.spool(), dir.ship_state_path(), dir.ship_state()}, *links.logs, *links.beats,
            d.log, what);
  const StepHooks resumed_hooks{[&s] { return s.cancelled(); }, [] { return false; }};
  const auto resumed = resume_step(*offer, dir, *spool, d.processes, resumed_hooks);
  Outcome out;
  std::size_t next = 0;
  bool go_on = true;
  if (resumed) {
    next = resumed->index;
    if (resumed->outcome) {
      out = *resumed->outcome;
      next = resumed->index + 1;
      go_on = out.verdict.cls == core::Class::success && !out.stopped && !resumed->last;
    }
    (void)spool->note("the agent restarted while this attempt ran, and resumed it");
  }
  if (go_on) {
    if (auto why = not_held(*offer, *links.main)) {
      (void)spool->note("the steps after the agent's restart did not run: " + *why);
      out = agent_fatal(1, "agent.restarted",
                        "the agent restarted; the steps after it did not run (" + *why + ")");
    } else {
      const Outcome resumed_step = out;
      out = prepare_and_run(*offer, o, d, s, dir, *spool, next,
                            resumed && resumed->outcome ? &resumed_step : nullptr);
    }
  }
  finish_attempt(*offer, out, s, dir, links, o, d, /*late=*/true);
}

}  // namespace stackrun::agent
