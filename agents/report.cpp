#include "agents/report.hpp"

#include <thread>

#include "agents/policy.hpp"
#include "agents/spool.hpp"

namespace stackrun::agent {
namespace {

using Clock = std::chrono::steady_clock;

std::string cut(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  return s.substr(0, utf8_cut(s, max)) + "…";
}

}  // namespace

core::Verdict compact_verdict(const core::Verdict& v, int level) {
  if (level <= 0) return v;
  core::Verdict out = v;
  if (level == 1) {
    out.line = cut(v.line, 1024);
    out.rule = cut(v.rule, 256);
    if (out.lock) {
      for (std::string* f : {&out.lock->id, &out.lock->path, &out.lock->operation, &out.lock->who,
                             &out.lock->version, &out.lock->created, &out.lock->info})
        *f = cut(*f, 256);
    }
    return out;
  }
  out.rule = cut(v.rule, 256);
  out.line = "[stackrun] the deciding line was dropped: the server refused the report with it";
  out.lock.reset();
  return out;
}

Reported report(const wire::FinishRequest& req, ServerLink& link, const AgentOptions& o,
                const AgentDeps& d, const std::string& what, bool late,
                std::optional<wire::Offer>* next) {
  const Instant deadline = Clock::now() + o.timings.finish_limit;
  const std::string cls(core::to_string(req.verdict.cls));
  int level = 0;
  Ms backoff{0};
  for (;;) {  // bounded: by the finish limit, and by the levels for refusals
    wire::FinishRequest sent = req;
    sent.verdict = compact_verdict(req.verdict, level);
    auto r = link.finish(sent);
    switch (r.answer) {
      case Answer::ok:
        d.log("finished " + what + ": " + cls + (r.value.idempotent ? " (already reported)" : "") +
              (level > 0 ? " (verdict cut to fit the server)" : ""));
        if (next) *next = std::move(r.value.offer);
        return Reported::accepted;
      case Answer::refused:
        if ((r.status == 400 || r.status == 413) && level < 2) {
          d.log("report of " + what + " refused (" + std::to_string(r.status) + "): " + r.text +
                "; sending it with a smaller verdict");
          ++level;
          break;
        }
        d.log(std::string(late ? "late report" : "report") + " of " + what + " refused (" +
              std::to_string(r.status) + "): " + r.text +
              (late ? "; the server keeps the outcome it recorded" : ""));
        return Reported::refused;
      case Answer::none:
      case Answer::unavailable:
        if (backoff == Ms(0)) d.log("cannot report " + what + " (" + r.text + "); retrying");
        backoff = next_backoff(backoff, o.timings.backoff_min, o.timings.backoff_max);
        if (!fits_before(Clock::now(), backoff, deadline)) {
          d.log("gave up reporting " + what + " for now (" + r.text +
                "); the agent reports it again when it restarts");
          return Reported::undelivered;
        }
        // Not cut short by a stop: a stopping agent still reports what it ran.
        std::this_thread::sleep_for(backoff);
        break;
    }
  }
}

}  // namespace stackrun::agent
