#include "agents/attempt.hpp"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agents/policy.hpp"
#include "agents/session.hpp"
#include "agents/steps.hpp"

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string describe(const wire::Offer& o) {
  return "attempt " + std::to_string(o.attempt_id) + " (" + std::string(core::to_string(o.kind)) +
         " " + o.stack + ", run " + std::to_string(o.run_id) + ", try " + std::to_string(o.n) + ")";
}

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

// Sends the report until the server takes it, through restarts, for at most finish_limit.
void report(const wire::FinishRequest& req, ServerLink& link, const AgentOptions& o,
            const AgentDeps& d, const std::string& what) {
  const Instant deadline = Clock::now() + o.timings.finish_limit;
  const std::string cls(core::to_string(req.verdict.cls));
  Ms backoff{0};
  for (;;) {
    auto r = link.finish(req);
    switch (r.answer) {
      case Answer::ok:
        d.log("finished " + what + ": " + cls + (r.value.idempotent ? " (already reported)" : ""));
        return;
      case Answer::refused:
        d.log("report of " + what + " refused (" + std::to_string(r.status) + "): " + r.text);
        return;
      case Answer::none:
      case Answer::unavailable:
        if (backoff == Ms(0)) d.log("cannot report " + what + " (" + r.text + "); retrying");
        backoff = next_backoff(backoff, o.timings.backoff_min, o.timings.backoff_max);
        if (!fits_before(Clock::now(), backoff, deadline)) {
          d.log("gave up reporting " + what + ": " + r.text);
          return;
        }
        // Not cut short by a stop: a stopping agent still reports what it ran.
        std::this_thread::sleep_for(backoff);
        break;
    }
  }
}

Outcome prepare_and_run(const wire::Offer& offer, const fs::path& workspace, const AgentOptions& o,
                        const AgentDeps& d, Session& s) {
  std::error_code ec;
  fs::remove_all(workspace, ec);
  if (Status made = d.workspaces.make(offer.repo_url, offer.commit, workspace.string()); !made) {
    s.note("checkout failed: " + made.error());
    return {1, {core::Class::transient, "agent.checkout", made.error(), 0, {}}};
  }
  const StepHooks hooks{
      [&s](std::string_view bytes) { s.output(bytes); },
      [&s](std::string_view line) { s.note(line); },
      [&s] { return s.should_stop(); },
      [&s] { return s.self_fenced(); },
  };
  return run_steps({offer, workspace.string(), d.base_env, o.grace}, d.processes, hooks);
}

void run_started(const wire::Offer& offer, const wire::LeaseAnswer& lease, SlotLinks& links,
                 const AgentOptions& o, const AgentDeps& d) {
  const std::string what = describe(offer);
  d.log("started " + what);
  const SessionOptions so{Ms(offer.lease_ms), o.timings.log_coalesce, o.timings.log_batch_bytes,
                          o.timings.backoff_min, o.timings.backoff_max};
  Session s({offer.attempt_id, offer.epoch}, lease, so, *links.logs, *links.beats, d.log, what);
  const fs::path workspace =
      fs::path(o.work_dir) / "jobs" / ("attempt-" + std::to_string(offer.attempt_id));
  const Outcome out = prepare_and_run(offer, workspace, o, d, s);
  const bool drained = s.drain(o.timings.drain_limit);
  std::error_code ec;
  if (!o.keep_workspaces) fs::remove_all(workspace, ec);
  if (s.fenced()) {
    d.log(what + " was fenced; not reporting it");
    return;
  }
  if (!drained) d.log("could not deliver every log line of " + what);
  const wire::FinishRequest req{offer.attempt_id, offer.epoch,   out.exit_code,
                                s.cancelled(),    s.seq_count(), out.verdict};
  // While this runs, the session keeps heartbeating: the lease holds until the report lands.
  report(req, *links.main, o, d, what);
}

}  // namespace

bool sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds wait) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lk(mu);
  cv.wait_for(lk, stop, wait, [] { return false; });
  return !stop.stop_requested();
}

std::optional<std::string> take_offer(const wire::Offer& offer, SlotLinks& links,
                                      const AgentOptions& options, const AgentDeps& deps,
                                      std::stop_token stop) {
  std::optional<std::string> fatal;
  const auto lease = confirm(offer, *links.main, options, deps, stop, fatal);
  if (lease) run_started(offer, *lease, links, options, deps);
  return fatal;
}

}  // namespace stackrun::agent
