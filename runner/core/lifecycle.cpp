#include "runner/core/lifecycle.hpp"

#include <algorithm>
#include <cctype>

namespace stackrun::core {
namespace {

JobStatus status_after(Action::Kind k) {
  switch (k) {
    case Action::Kind::succeed:
      return JobStatus::success;
    case Action::Kind::drift:
      return JobStatus::drift;
    case Action::Kind::skip:
      return JobStatus::skipped;
    case Action::Kind::fail:
      return JobStatus::failed;
    case Action::Kind::retry:
    case Action::Kind::wait_lock:
      return JobStatus::queued;
  }
  return JobStatus::failed;
}

std::string shell_quote(const std::string& s);

TimePoint to_time(Millis ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

const JobView* find_job(const std::vector<JobView>& jobs, std::int64_t id) {
  for (const auto& j : jobs)
    if (j.id == id) return &j;
  return nullptr;
}

// Records a job change in `fx` and mirrors it in `jobs`, so a later settle sees it.
void change_job(Effects& fx, std::vector<JobView>& jobs, const JobView& job, JobStatus to,
                std::string reason, Millis not_before = 0) {
  fx.jobs.push_back({job.id, job.status, to, std::move(reason), not_before});
  for (auto& j : jobs)
    if (j.id == job.id) j.status = to;
}

// A job reached a terminal status: a successful apply advances the stack's applied commit; a
// non-success outcome with a reason leaves a log line.
void end_job(Effects& fx, std::vector<JobView>& jobs, const RunFacts& run, const JobView& job,
             JobStatus to, const std::string& reason) {
  change_job(fx, jobs, job, to, reason);
  if (to == JobStatus::success && job.kind == JobKind::apply)
    fx.applied.push_back({job.repo_id, job.stack, run.commit, run.id});
  fx.events.push_back(JobEnded{job.id, to, reason});
}

// Appends settle()'s effects for the jobs as they are after `fx`.
void settle_into(Effects& fx, const RunFacts& run, std::vector<JobView>& jobs) {
  // A stack whose dependency ended badly is skipped, and so on down the chain (bounded: each
  // round skips at least one pending job).
  for (auto skip = jobs_to_skip(jobs); !skip.empty(); skip = jobs_to_skip(jobs))
    for (const auto& [id, reason] : skip)
      end_job(fx, jobs, run, *find_job(jobs, id), JobStatus::skipped, reason);
  for (std::int64_t id : jobs_to_release(jobs))
    change_job(fx, jobs, *find_job(jobs, id), JobStatus::queued, "");
  const auto outcome = run_outcome(jobs);
  if (!outcome || is_terminal(run.status)) return;
  const std::string summary = run_summary(jobs);
  fx.run = RunChange{run.status, *outcome, summary};
  fx.events.push_back(RunEnded{*outcome, summary});
}

// Single-quotes `s` for a POSIX shell when it holds anything but safe characters.
std::string shell_quote(const std::string& s) {
  const bool safe = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_' ||
           c == '.';
  });
  if (safe) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::ok:
      return "ok";
    case Outcome::idempotent:
      return "idempotent";
    case Outcome::stale:
      return "stale";
    case Outcome::forbidden:
      return "forbidden";
    case Outcome::not_found:
      return "not_found";
    case Outcome::late:
      return "late";
  }
  return "?";
}

Outcome check_start(const AttemptFacts& a, std::int64_t agent_id, std::int64_t epoch) {
  if (a.agent_id != agent_id) return Outcome::forbidden;
  if (a.epoch != epoch) return Outcome::stale;
  if (a.status == AttemptStatus::offered) return Outcome::ok;
  // A retried start whose first answer was lost: the attempt runs already.
  if (a.status == AttemptStatus::running) return Outcome::idempotent;
  return Outcome::stale;
}

Outcome check_heartbeat(const AttemptFacts& a, std::int64_t agent_id, std::int64_t epoch) {
  if (a.agent_id != agent_id) return Outcome::forbidden;
  return a.epoch == epoch && a.status == AttemptStatus::running ? Outcome::ok : Outcome::stale;
}

Outcome check_finish(const AttemptFacts& a, const JobView& job, std::int64_t agent_id,
                     std::int64_t epoch) {
  if (a.agent_id != agent_id) return Outcome::forbidden;
  if (a.status == AttemptStatus::finished && a.epoch == epoch) return Outcome::idempotent;
  if (a.status == AttemptStatus::interrupted && a.epoch == epoch &&
      job.status == JobStatus::interrupted && job.kind == JobKind::apply)
    return Outcome::late;
  if (a.status != AttemptStatus::running || a.epoch != epoch) return Outcome::stale;
  if (job.status != JobStatus::running) return Outcome::stale;
  return Outcome::ok;
}

Outcome check_logs(const AttemptFacts& a, std::int64_t agent_id, std::int64_t epoch) {
  if (a.agent_id != agent_id) return Outcome::forbidden;
  const bool current = a.status == AttemptStatus::offered || a.status == AttemptStatus::running;
  return a.epoch == epoch && current ? Outcome::ok : Outcome::stale;
}

bool Effects::wakes_claims() const {
  return !jobs.empty();
}

Effects on_start(const RunFacts& run, const AttemptFacts& attempt, const JobView& job, Millis now,
                 Millis lease_ms) {
  Effects fx;
  fx.attempts.push_back(
      {attempt.id, attempt.epoch, AttemptStatus::offered, AttemptStatus::running, now + lease_ms});
  if (run.status == RunStatus::queued) fx.run = RunChange{run.status, RunStatus::running, ""};
  fx.events.push_back(AttemptStarted{job.id, job.kind, attempt.n, attempt.agent});
  return fx;
}

Effects on_finish(const RunFacts& run, const std::vector<JobView>& run_jobs,
                  const AttemptFacts& attempt, const FinishFacts& report,
                  const std::vector<AttemptRecord>& prior, Millis now, const JitterSource& jitter) {
  Effects fx;
  std::vector<JobView> jobs = run_jobs;
  const JobView job = *find_job(jobs, attempt.job_id);
  fx.attempts.push_back(
      {attempt.id, attempt.epoch, AttemptStatus::running, AttemptStatus::finished, 0});
  if (report.stopped) {
    end_job(fx, jobs, run, job, JobStatus::cancelled,
            "stopped on request (exit " + std::to_string(report.exit_code) + ")");
  } else if (report.guard) {
    const std::string what = describe_destroys(*report.guard);
    fx.events.push_back(GuardStopped{job.id, run.id, job.stack, *report.guard});
    if (report.guard->guard == DestroyGuard::refuse)
      end_job(fx, jobs, run, job, JobStatus::refused, "destroy guard refuses: " + what);
    else
      change_job(fx, jobs, job, JobStatus::needs_approval,
                 what + "; approve with `stackrun approve " + std::to_string(run.id) + " --stack " +
                     shell_quote(job.stack) + "`");
  } else {
    std::vector<AttemptRecord> history = prior;
    history.push_back({report.verdict.cls, to_time(now)});
    const Action action = decide(report.verdict, history, run.policy, to_time(now), jitter);
    const JobStatus next = status_after(action.kind);
    if (next == JobStatus::queued && run.cancel != CancelLevel::none) {
      end_job(fx, jobs, run, job, JobStatus::cancelled, "run cancelled while waiting to retry");
    } else if (next == JobStatus::queued) {
      const Millis at = action.at.time_since_epoch().count();
      fx.events.push_back(
          VerdictReached{job.id, report.verdict, action, next, std::max<Millis>(0, at - now)});
      change_job(fx, jobs, job, JobStatus::queued, action.reason, at);
    } else {
      fx.events.push_back(VerdictReached{job.id, report.verdict, action, next, 0});
      end_job(fx, jobs, run, job, next, action.reason);
    }
  }
  settle_into(fx, run, jobs);
  return fx;
}

Effects on_late_finish(const RunFacts& run, const std::vector<JobView>& run_jobs,
                       const AttemptFacts& attempt, const FinishFacts& report,
                       const std::vector<AttemptRecord>& prior, Millis now,
                       const JitterSource& jitter) {
  Effects fx;
  std::vector<JobView> jobs = run_jobs;
  const JobView job = *find_job(jobs, attempt.job_id);
  fx.attempts.push_back(
      {attempt.id, attempt.epoch, AttemptStatus::interrupted, AttemptStatus::finished, 0});
  fx.events.push_back(LateReport{job.id, attempt.n, attempt.agent});
  if (report.stopped) {
    end_job(fx, jobs, run, job, JobStatus::cancelled,
            "stopped on request (exit " + std::to_string(report.exit_code) + ", reported late)");
  } else if (report.guard) {
    // Nothing was applied, but the run went on without this stack: no approval this late.
    end_job(fx, jobs, run, job, JobStatus::failed,
            "reported late, not applied: " + describe_destroys(*report.guard) +
                "; re-apply with `stackrun trigger apply --stack " + shell_quote(job.stack) + "`");
  } else {
    std::vector<AttemptRecord> history = prior;
    history.push_back({report.verdict.cls, to_time(now)});
    Action action = decide(report.verdict, history, run.policy, to_time(now), jitter);
    JobStatus next = status_after(action.kind);
    if (next == JobStatus::queued) {
      next = JobStatus::failed;
      action.reason = "reported late, not retried: " + action.reason;
    }
    fx.events.push_back(VerdictReached{job.id, report.verdict, action, next, 0});
    end_job(fx, jobs, run, job, next, action.reason);
  }
  if (!is_terminal(run.status)) {
    settle_into(fx, run, jobs);
  } else if (const auto outcome = run_outcome(jobs); outcome && *outcome != run.status) {
    const std::string summary = run_summary(jobs);
    fx.run = RunChange{run.status, *outcome, summary};
    fx.events.push_back(RunCorrected{run.status, *outcome, summary});
  }
  return fx;
}

Effects on_expired(const RunFacts& run, const std::vector<JobView>& run_jobs,
                   const AttemptFacts& attempt, int lost_before) {
  Effects fx;
  std::vector<JobView> jobs = run_jobs;
  const JobView job = *find_job(jobs, attempt.job_id);
  const bool cancelled = run.cancel != CancelLevel::none;
  if (attempt.status == AttemptStatus::offered) {
    fx.attempts.push_back({attempt.id, attempt.epoch, AttemptStatus::offered, std::nullopt, 0});
    fx.events.push_back(OfferExpired{job.id, attempt.n, attempt.agent, !cancelled});
    if (cancelled)
      end_job(fx, jobs, run, job, JobStatus::cancelled, "run cancelled before it started");
    else
      change_job(fx, jobs, job, JobStatus::queued, "offer to agent " + attempt.agent + " expired");
  } else if (job.kind == JobKind::plan) {
    fx.attempts.push_back(
        {attempt.id, attempt.epoch, AttemptStatus::running, AttemptStatus::lost, 0});
    const std::string lost = "agent " + attempt.agent +
                             " stopped heartbeating during plan attempt " +
                             std::to_string(attempt.n);
    if (cancelled) {
      end_job(fx, jobs, run, job, JobStatus::cancelled, lost);
    } else if (lost_before + 1 >= kMaxLostPlanAttempts) {
      end_job(fx, jobs, run, job, JobStatus::failed,
              lost + "; its agent was lost " + std::to_string(lost_before + 1) +
                  " times, not requeued again (look for agents killed by memory or output "
                  "limits)");
    } else {
      fx.events.push_back(PlanRequeued{job.id, attempt.agent});
      change_job(fx, jobs, job, JobStatus::queued,
                 "agent " + attempt.agent + " lost; plan requeued");
    }
  } else {
    fx.attempts.push_back(
        {attempt.id, attempt.epoch, AttemptStatus::running, AttemptStatus::interrupted, 0});
    end_job(fx, jobs, run, job, JobStatus::interrupted,
            "agent " + attempt.agent + " stopped heartbeating during apply attempt " +
                std::to_string(attempt.n) +
                "; state may be stale, not re-run automatically (re-apply with "
                "`stackrun trigger apply --stack " +
                shell_quote(job.stack) + "`)");
  }
  settle_into(fx, run, jobs);
  return fx;
}

Effects on_cancel(const RunFacts& run, const std::vector<JobView>& run_jobs,
                  const std::vector<AttemptFacts>& offers, CancelLevel level) {
  Effects fx;
  std::vector<JobView> jobs = run_jobs;
  fx.cancel = std::max(run.cancel, level);
  fx.events.push_back(CancelRequested{level});
  for (const auto& o : offers) {
    fx.attempts.push_back({o.id, o.epoch, AttemptStatus::offered, std::nullopt, 0});
    if (const JobView* j = find_job(jobs, o.job_id); j && j->status == JobStatus::running)
      change_job(fx, jobs, *j, JobStatus::cancelled, "run cancelled before it started");
  }
  for (const auto& j : run_jobs)
    if (j.status == JobStatus::pending || j.status == JobStatus::queued)
      change_job(fx, jobs, j, JobStatus::cancelled, "run cancelled before it started");
    else if (j.status == JobStatus::needs_approval)
      change_job(fx, jobs, j, JobStatus::cancelled,
                 "run cancelled while its saved plan waited for approval; nothing applied");
  RunFacts after = run;
  after.cancel = *fx.cancel;
  settle_into(fx, after, jobs);
  return fx;
}

Effects on_superseded(const RunFacts& run, const std::vector<JobView>& run_jobs, std::int64_t by,
                      const std::string& by_commit) {
  Effects fx;
  std::vector<JobView> jobs = run_jobs;
  const std::string reason =
      "run " + std::to_string(by) + " applies it at " + by_commit.substr(0, 12);
  RunSuperseded taken{by, by_commit, {}};
  for (const auto& j : run_jobs) {
    // A plan waiting for approval is stale once a newer commit comes: the newer run plans again.
    if (j.status != JobStatus::pending && j.status != JobStatus::queued &&
        j.status != JobStatus::needs_approval)
      continue;
    change_job(fx, jobs, j, JobStatus::superseded, reason);
    taken.stacks.push_back(j.stack);
  }
  if (taken.stacks.empty()) return fx;
  fx.superseded_by = by;
  fx.events.push_back(std::move(taken));
  settle_into(fx, run, jobs);
  return fx;
}

Effects on_approve(const RunFacts& run, const std::vector<JobView>& run_jobs, std::int64_t job_id,
                   const std::string& approver, std::int64_t plan_attempt,
                   const std::string& sha256) {
  Effects fx;
  std::vector<JobView> jobs = run_jobs;
  const JobView job = *find_job(jobs, job_id);
  fx.events.push_back(PlanApproved{job.id, approver, plan_attempt, sha256});
  change_job(fx, jobs, job, JobStatus::queued, "approved by " + approver);
  settle_into(fx, run, jobs);
  return fx;
}

Effects settle(const RunFacts& run, const std::vector<JobView>& run_jobs) {
  Effects fx;
  std::vector<JobView> jobs = run_jobs;
  settle_into(fx, run, jobs);
  return fx;
}

std::string run_summary(const std::vector<JobView>& run_jobs) {
  int ok = 0, skipped = 0, failed = 0, other = 0, superseded = 0, drifted = 0;
  for (const auto& j : run_jobs) {
    switch (j.status) {
      case JobStatus::success:
        ++ok;
        break;
      case JobStatus::drift:
        ++ok;
        ++drifted;
        break;
      case JobStatus::skipped:
        ++skipped;
        break;
      case JobStatus::failed:
      case JobStatus::interrupted:
      case JobStatus::refused:
        ++failed;
        break;
      case JobStatus::pending:
      case JobStatus::queued:
      case JobStatus::running:
      case JobStatus::needs_approval:
      case JobStatus::cancelled:
        ++other;
        break;
      case JobStatus::superseded:
        ++superseded;
        break;
    }
  }
  return std::to_string(ok) + " ok, " + std::to_string(skipped) + " skipped, " +
         std::to_string(failed) + " failed" +
         (other ? ", " + std::to_string(other) + " cancelled" : "") +
         (superseded ? ", " + std::to_string(superseded) + " superseded" : "") +
         (drifted ? ", " + std::to_string(drifted) + " drifted" : "");
}

}  // namespace stackrun::core
