#include "agents/attempt.hpp"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agents/policy.hpp"
#include "agents/report.hpp"

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The lease answer once the server confirmed the offer; nullopt when the offer is dropped. A
// refusal for good goes to `fatal`. Once a start request went unanswered it may have reached
// the server, and the attempt may be running there with nobody behind it (an apply would be
// marked interrupted after its lease although nothing ran). So from then on the agent keeps
// asking (start is idempotent) until a definite answer, for up to a lease and whatever a stop
// says.
std::optional<wire::LeaseAnswer> confirm(const wire::Offer& offer, ServerLink& link,
                                         const AgentOptions& o, const AgentDeps& d,
                                         std::stop_token stop, std::optional<std::string>& fatal) {
  const std::string what = describe(offer);
  if (stop.stop_requested()) {
    d.log("stopping: not starting " + what + " (the server offers it again)");
    return std::nullopt;
  }
  const Instant deadline = Clock::now() + Ms(std::max(offer.offer_ms, offer.lease_ms));
  Ms backoff{0};
  for (;;) {
    auto r = link.start({offer.attempt_id, offer.epoch});
    switch (r.answer) {
      case Answer::ok:
        return r.value;
      case Answer::refused:
        if (r.status == 400 || r.status == 401) {
          fatal = "the server refused to start " + what + " (" + std::to_string(r.status) +
                  "): " + r.text;
          return std::nullopt;
        }
        d.log("offer of " + what + " withdrawn (" + std::to_string(r.status) + ": " + r.text +
              "); claiming again");
        return std::nullopt;
      case Answer::none:
      case Answer::unavailable:
        backoff = next_backoff(backoff, o.timings.backoff_min, o.timings.backoff_max);
        if (!fits_before(Clock::now(), backoff, deadline)) {
          d.log("could not confirm " + what + " within a lease (" + r.text + "); claiming again");
          return std::nullopt;
        }
        std::this_thread::sleep_for(backoff);  // not cut short by a stop: see above
        break;
    }
  }
}

// An attempt the agent cannot even keep on disk (a full or read-only work dir): reported at
// once, as transient (another agent may have room), without output.
void report_unstarted(const wire::Offer& offer, const std::string& why, SlotLinks& links,
                      const AgentOptions& o, const AgentDeps& d) {
  d.log("cannot run " + describe(offer) + ": " + why);
  const wire::FinishRequest req{offer.attempt_id,
                                offer.epoch,
                                1,
                                false,
                                0,
                                {core::Class::transient, "agent.workdir", why, 0, {}, {}},
                                {},
                                {}};
  (void)report(req, *links.main, o, d, describe(offer));
}

void run_started(const wire::Offer& offer, const wire::LeaseAnswer& lease, SlotLinks& links,
                 const AgentOptions& o, const AgentDeps& d, std::stop_token stop,
                 std::optional<wire::Offer>* next) {
  const std::string what = describe(offer);
  d.log("started " + what);
  auto dir = AttemptDir::create(o.work_dir, offer);
  if (!dir) return report_unstarted(offer, dir.error(), links, o, d);
  auto spool = SpoolWriter::open(dir->spool());
  if (!spool) return report_unstarted(offer, spool.error(), links, o, d);
  Session s({offer.attempt_id, offer.epoch}, lease, session_options(offer, o),
            {dir->spool(), dir->ship_state_path(), {}}, *links.logs, *links.beats, d.log, what);
  const Outcome out = prepare_and_run(offer, o, d, s, *dir, *spool, 0);
  // A stopping agent takes no new job: it does not claim one it would have to leave.
  finish_attempt(offer, out, s, *dir, links, o, d, /*late=*/false,
                 stop.stop_requested() ? nullptr : next);
}

}  // namespace

std::string describe(const wire::Offer& o) {
  return "attempt " + std::to_string(o.attempt_id) + " (" + std::string(core::to_string(o.kind)) +
         " " + o.stack + ", run " + std::to_string(o.run_id) + ", try " + std::to_string(o.n) + ")";
}

SessionOptions session_options(const wire::Offer& offer, const AgentOptions& o) {
  SessionOptions so;
  so.lease = Ms(offer.lease_ms);
  so.coalesce = o.timings.log_coalesce;
  so.fallback = o.timings.log_fallback;
  so.limits.max_chunk = o.timings.log_chunk_bytes;
  so.limits.max_batch = o.timings.log_batch_bytes;
  so.limits.max_output = o.max_output;
  so.backoff_min = o.timings.backoff_min;
  so.backoff_max = o.timings.backoff_max;
  return so;
}

std::string workspace_of(const AgentOptions& o, wire::Id attempt_id) {
  return (fs::path(o.work_dir) / "jobs" / ("attempt-" + std::to_string(attempt_id))).string();
}

Outcome prepare_and_run(const wire::Offer& offer, const AgentOptions& o, const AgentDeps& d,
                        Session& s, const AttemptDir& dir, SpoolWriter& spool,
                        std::size_t first_step, const Outcome* previous) {
  const std::string workspace = workspace_of(o, offer.attempt_id);
  if (first_step == 0) {
    std::error_code ec;
    fs::remove_all(workspace, ec);
    if (Status made = d.workspaces.make(offer.repo_url, offer.commit, workspace); !made) {
      (void)spool.note("checkout failed: " + made.error());
      return {1, {core::Class::transient, "agent.checkout", made.error(), 0, {}, {}}, false, {}};
    }
  }
  const StepHooks hooks{[&s] { return s.should_stop(); }, [&s] { return s.self_fenced(); }};
  return run_steps(
      {offer, workspace, d.base_env, o.grace, dir, spool, first_step, previous, &d.secrets},
      d.processes, hooks);
}

void finish_attempt(const wire::Offer& offer, const Outcome& out, Session& s, const AttemptDir& dir,
                    SlotLinks& links, const AgentOptions& o, const AgentDeps& d, bool late,
                    std::optional<wire::Offer>* next) {
  const std::string what = describe(offer);
  const bool drained = s.drain(o.timings.drain_limit);
  // The steps' processes are gone (run_steps waits for them): the workspace can be reused.
  if (!o.keep_workspaces) d.workspaces.release(offer.repo_url, workspace_of(o, offer.attempt_id));
  if (s.fenced() && !late) {
    d.log(what + " was fenced; not reporting it");
    dir.remove();
    return;
  }
  if (!drained) d.log("could not deliver every log line of " + what);
  wire::FinishRequest req{offer.attempt_id, offer.epoch, out.exit_code, s.cancelled(),
                          s.seq_count(),    out.verdict, out.guard,     std::nullopt};
  if (next) req.claim_labels = o.labels;
  // While this runs, the session keeps heartbeating: the lease holds until the report lands.
  if (report(req, *links.main, o, d, what, late, next) != Reported::undelivered) dir.remove();
}

bool sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds wait) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lk(mu);
  cv.wait_for(lk, stop, wait, [] { return false; });
  return !stop.stop_requested();
}

std::optional<std::string> take_offer(const wire::Offer& offer, SlotLinks& links,
                                      const AgentOptions& options, const AgentDeps& deps,
                                      std::stop_token stop, std::optional<wire::Offer>* next) {
  std::optional<std::string> fatal;
  const auto lease = confirm(offer, *links.main, options, deps, stop, fatal);
  if (lease) run_started(offer, *lease, links, options, deps, stop, next);
  return fatal;
}

}  // namespace stackrun::agent
