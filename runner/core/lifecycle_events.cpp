// The run log's own lines (`[stack] » ...` in `stackrun logs`), built from lifecycle events.
// The texts are interface: operators grep them and tests compare them.
#include <type_traits>

#include "runner/core/lifecycle.hpp"

namespace stackrun::core {
namespace {

std::string verdict_text(const Verdict& v) {
  return std::string(to_string(v.cls)) + " (" + v.rule + ")" +
         (v.line.empty() ? "" : ": " + v.line);
}

EventLine line_of(const AttemptStarted& e) {
  return {e.job_id, "--- " + std::string(to_string(e.kind)) + " attempt " + std::to_string(e.n) +
                        " started on " + e.agent};
}

EventLine line_of(const OfferExpired& e) {
  return {e.job_id, "agent " + e.agent + " did not confirm attempt " + std::to_string(e.n) +
                        " in time; nothing ran" + (e.requeued ? ", requeued" : "")};
}

EventLine line_of(const VerdictReached& e) {
  std::string text = "verdict: " + verdict_text(e.verdict) + " -> ";
  if (e.status == JobStatus::queued) {
    text += std::string(to_string(e.action.kind)) + " in " + format_duration(Duration(e.delay_ms)) +
            (e.action.reason.empty() ? "" : " (" + e.action.reason + ")");
  } else {
    text += to_string(e.status);
  }
  return {e.job_id, text};
}

EventLine line_of(const JobEnded& e) {
  // Success and drift say it in their verdict line; a bare status without a reason says nothing.
  if (e.status == JobStatus::success || e.status == JobStatus::drift || e.reason.empty())
    return {e.job_id, ""};
  return {e.job_id, std::string(to_string(e.status)) + ": " + e.reason};
}

EventLine line_of(const PlanRequeued& e) {
  return {e.job_id, "agent " + e.agent + " stopped heartbeating; plan requeued"};
}

EventLine line_of(const CancelRequested& e) {
  return {std::nullopt, e.level == CancelLevel::force
                            ? "cancel requested (force: running steps get SIGINT)"
                            : "cancel requested (running steps finish; nothing new starts)"};
}

EventLine line_of(const RunEnded& e) {
  return {std::nullopt, "run " + std::string(to_string(e.status)) + ": " + e.summary};
}

EventLine line_of(const LateReport& e) {
  return {e.job_id, "late report: agent " + e.agent + " came back and reported apply attempt " +
                        std::to_string(e.n) + ", which had been marked interrupted"};
}

EventLine line_of(const RunCorrected& e) {
  return {std::nullopt, "run " + std::string(to_string(e.to)) + " (was " +
                            std::string(to_string(e.from)) +
                            " before a late report): " + e.summary};
}

EventLine line_of(const RunSuperseded& e) {
  std::string text = "superseded by run " + std::to_string(e.by) + " (" + e.commit.substr(0, 12) +
                     "): it takes over " + std::to_string(e.stacks.size()) +
                     " stack(s) not started here:";
  for (const auto& s : e.stacks) text += " " + s;
  return {std::nullopt, text + "; running jobs finish here"};
}

EventLine line_of(const GuardStopped& e) {
  if (e.stop.guard == DestroyGuard::refuse)
    return {e.job_id, "destroy guard: " + describe_destroys(e.stop) +
                          "; refused (guards.destroy: refuse), nothing applied"};
  return {e.job_id, "destroy guard: " + describe_destroys(e.stop) +
                        "; waiting for approval: stackrun approve " + std::to_string(e.run_id) +
                        " --stack " + e.stack};
}

EventLine line_of(const PlanApproved& e) {
  return {e.job_id, "approved by " + e.approver + ": applying the plan saved by attempt " +
                        std::to_string(e.plan_attempt) + " (sha256 " + e.sha256.substr(0, 12) +
                        ")"};
}

}  // namespace

EventLine describe(const Event& e) {
  return std::visit([](const auto& x) { return line_of(x); }, e);
}

}  // namespace stackrun::core
