#include "runner/core/drift.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "runner/core/cron.hpp"
#include "runner/core/duration.hpp"

namespace stackrun::core {
namespace {

// A deciding job with its state and its place in the input (the last tie-breaker).
struct Decided {
  const DriftJob* job = nullptr;
  DriftState state = DriftState::clean;
  std::size_t index = 0;
};

// Jobs that decided something, grouped by stack and, within a stack, oldest first by
// (finished_at, run_id, input order).
std::vector<Decided> deciding_in_order(const std::vector<DriftJob>& history) {
  std::vector<Decided> out;
  for (std::size_t i = 0; i < history.size(); ++i)
    if (const auto state = drift_state(history[i].status)) out.push_back({&history[i], *state, i});
  std::sort(out.begin(), out.end(), [](const Decided& a, const Decided& b) {
    return std::tie(a.job->stack, a.job->finished_at, a.job->run_id, a.index) <
           std::tie(b.job->stack, b.job->finished_at, b.job->run_id, b.index);
  });
  return out;
}

// Calls f(first, last) for each stack's run [first, last) of `decided`.
template <typename F>
void for_each_stack(const std::vector<Decided>& decided, F f) {
  for (auto first = decided.begin(); first != decided.end();) {
    auto last = std::find_if(first, decided.end(),
                             [&](const Decided& d) { return d.job->stack != first->job->stack; });
    f(first, last);
    first = last;
  }
}

// One stack's line from its results, oldest first (non-empty).
template <typename It>
StackDrift stack_drift(It first, It last) {
  StackDrift s;
  s.stack = first->job->stack;
  std::optional<Millis> streak;
  for (auto it = first; it != last; ++it) {
    if (it->state == DriftState::clean) s.last_clean = it->job->finished_at;
    if (it->state == DriftState::drift && !streak) streak = it->job->finished_at;
    if (it->state == DriftState::clean || it->state == DriftState::error) streak.reset();
  }
  const Decided& latest = *(last - 1);
  const DriftJob& j = *latest.job;
  s.state = latest.state;
  s.run_id = j.run_id;
  s.at = j.finished_at;
  switch (latest.state) {
    case DriftState::clean:
      break;
    case DriftState::drift:
      s.plan = j.plan;
      s.drifting_since = streak;
      break;
    case DriftState::error:
      s.line = j.line;
      s.rule = j.rule;
      break;
    case DriftState::skipped:
      s.reason = j.reason;
      break;
  }
  return s;
}

std::string stacks_words(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " stack" : " stacks");
}

// "Report: stackrun drift --repo infra. Logs: stackrun logs 42"
std::string hints(const RunRef& run) {
  return "Report: stackrun drift --repo " + run.repo + ". Logs: stackrun logs " +
         std::to_string(run.id);
}

// `text` cut to `max` bytes (not inside a UTF-8 sequence) with "..." appended when cut.
std::string cut(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

// " (1 to add, 1 to change, 0 to destroy): a.b, c.d and 3 more"; "" without a plan.
std::string plan_words(const std::optional<PlanSummary>& plan) {
  if (!plan) return "";
  std::string text = " (";
  if (plan->import > 0) text += std::to_string(plan->import) + " to import, ";
  text += std::to_string(plan->add) + " to add, " + std::to_string(plan->change) + " to change, " +
          std::to_string(plan->destroy) + " to destroy)";
  const std::size_t shown = std::min(plan->changes.size(), kMaxDriftAddresses);
  for (std::size_t i = 0; i < shown; ++i) text += (i == 0 ? ": " : ", ") + plan->changes[i].address;
  const std::size_t more = plan->changes.size() - shown + static_cast<std::size_t>(plan->more);
  if (more > 0) text += " and " + std::to_string(more) + " more";
  return text;
}

// Header line, one "- " line per stack (at most kMaxDriftStacksListed), then the hints.
template <typename T, typename Line>
std::string listed(const RunRef& run, const std::string& what, const std::vector<T>& stacks,
                   Line line) {
  std::string text =
      "stackrun: " + run_words(run) + ": " + what + " in " + stacks_words(stacks.size()) + "\n";
  const std::size_t shown = std::min(stacks.size(), kMaxDriftStacksListed);
  for (std::size_t i = 0; i < shown; ++i) text += "- " + line(stacks[i]) + "\n";
  if (const std::size_t more = stacks.size() - shown; more > 0)
    text += "- and " + std::to_string(more) + (more == 1 ? " more stack\n" : " more stacks\n");
  return text + hints(run);
}

std::string iso_millis(Millis ms) {
  using namespace std::chrono;
  return iso_utc(floor<seconds>(sys_time<milliseconds>(milliseconds(ms))));
}

}  // namespace

std::string_view to_string(DriftState s) {
  switch (s) {
    case DriftState::clean:
      return "clean";
    case DriftState::drift:
      return "drift";
    case DriftState::error:
      return "error";
    case DriftState::skipped:
      return "skipped";
  }
  return "error";
}

std::optional<DriftState> drift_state(JobStatus s) {
  switch (s) {
    case JobStatus::success:
      return DriftState::clean;
    case JobStatus::drift:
      return DriftState::drift;
    case JobStatus::failed:
    case JobStatus::interrupted:
    case JobStatus::refused:  // plan runs have no guard; counted as an error if one ever is
      return DriftState::error;
    case JobStatus::skipped:
      return DriftState::skipped;
    case JobStatus::pending:
    case JobStatus::queued:
    case JobStatus::running:
    case JobStatus::needs_approval:
    case JobStatus::cancelled:
    case JobStatus::superseded:
      return std::nullopt;
  }
  return std::nullopt;
}

std::vector<StackDrift> drift_report(const std::vector<DriftJob>& history) {
  std::vector<StackDrift> out;
  for_each_stack(deciding_in_order(history),
                 [&](auto first, auto last) { out.push_back(stack_drift(first, last)); });
  return out;
}

bool DriftAlerts::empty() const {
  return newly_drifted.empty() && errors.empty() && recovered.empty();
}

DriftAlerts drift_alerts(const std::vector<DriftJob>& history, std::int64_t run_id) {
  DriftAlerts out;
  for_each_stack(deciding_in_order(history), [&](auto first, auto last) {
    // The stack's latest result in the run; results ordered after it are not "previous".
    const auto newest = std::make_reverse_iterator(last),
               oldest_end = std::make_reverse_iterator(first);
    const auto now =
        std::find_if(newest, oldest_end, [&](const Decided& d) { return d.job->run_id == run_id; });
    if (now == oldest_end || now->state == DriftState::skipped) return;
    const auto prev = std::find_if(std::next(now), oldest_end, [&](const Decided& d) {
      return d.job->run_id != run_id && d.state != DriftState::skipped;
    });
    // Plain flags rather than an optional: GCC 12 at -O2 warns (maybe-uninitialized) on one.
    const bool had_drift = prev != oldest_end && prev->state == DriftState::drift;
    const bool had_error = prev != oldest_end && prev->state == DriftState::error;
    const std::string& stack = now->job->stack;
    if (now->state == DriftState::drift && !had_drift) out.newly_drifted.push_back(stack);
    if (now->state == DriftState::error) out.errors.push_back(stack);
    if (now->state == DriftState::clean && (had_drift || had_error)) out.recovered.push_back(stack);
  });
  return out;
}

std::optional<ChatMessage> drift_message(const RunRef& run,
                                         const std::vector<StackDrift>& drifted) {
  if (drifted.empty()) return std::nullopt;
  return ChatMessage{listed(run, "drift", drifted,
                            [](const StackDrift& s) { return s.stack + plan_words(s.plan); })};
}

std::optional<ChatMessage> drift_error_message(const RunRef& run,
                                               const std::vector<StackDrift>& errored) {
  if (errored.empty()) return std::nullopt;
  return ChatMessage{listed(run, "drift check failed", errored, [](const StackDrift& s) {
    if (!s.line.empty()) return s.stack + ": " + cut(s.line, kMaxDriftLine);
    return s.rule.empty() ? s.stack : s.stack + " (rule " + s.rule + ")";
  })};
}

std::optional<ChatMessage> drift_recovered_message(const RunRef& run,
                                                   const std::vector<std::string>& stacks) {
  if (stacks.empty()) return std::nullopt;
  return ChatMessage{listed(run, "clean again after drift or errors", stacks,
                            [](const std::string& s) { return s; })};
}

Millis deadman_due(const Deadman& d) {
  return d.last_completed.value_or(d.watching_since) + d.window;
}

bool deadman_breached(const Deadman& d, Millis now) {
  return now > deadman_due(d);
}

ChatMessage deadman_message(const std::string& repo, const std::string& pipeline,
                            const std::string& schedule, const Deadman& d) {
  std::string text = "stackrun: repo " + repo + ", pipeline " + pipeline + " (schedule " +
                     schedule + "): no drift run has completed in " +
                     format_duration(Duration{d.window}) + " (";
  if (d.last_completed) {
    text += "last completed " + iso_millis(*d.last_completed);
    if (d.last_run_id != 0) text += ", run " + std::to_string(d.last_run_id);
  } else {
    text += "none since the schedule appeared at " + iso_millis(d.watching_since);
  }
  return {text + ")"};
}

}  // namespace stackrun::core
