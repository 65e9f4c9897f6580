#include "runner/core/status.hpp"

#include <array>

namespace stackrun::core {
namespace {

// One table per enum: the switch in to_string is what the compiler checks; parse walks the
// enum's values through it, so the two can never disagree.
template <class E, std::size_t N>
std::optional<E> parse_via(std::string_view s, const std::array<E, N>& all) {
  for (E e : all)
    if (to_string(e) == s) return e;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::queued:
      return "queued";
    case RunStatus::running:
      return "running";
    case RunStatus::success:
      return "success";
    case RunStatus::failed:
      return "failed";
    case RunStatus::cancelled:
      return "cancelled";
    case RunStatus::superseded:
      return "superseded";
    case RunStatus::drift:
      return "drift";
  }
  return "failed";
}

std::string_view to_string(JobStatus s) {
  switch (s) {
    case JobStatus::pending:
      return "pending";
    case JobStatus::queued:
      return "queued";
    case JobStatus::running:
      return "running";
    case JobStatus::needs_approval:
      return "needs_approval";
    case JobStatus::success:
      return "success";
    case JobStatus::drift:
      return "drift";
    case JobStatus::skipped:
      return "skipped";
    case JobStatus::failed:
      return "failed";
    case JobStatus::interrupted:
      return "interrupted";
    case JobStatus::cancelled:
      return "cancelled";
    case JobStatus::superseded:
      return "superseded";
    case JobStatus::refused:
      return "refused";
  }
  return "failed";
}

std::string_view to_string(AttemptStatus s) {
  switch (s) {
    case AttemptStatus::offered:
      return "offered";
    case AttemptStatus::running:
      return "running";
    case AttemptStatus::finished:
      return "finished";
    case AttemptStatus::lost:
      return "lost";
    case AttemptStatus::interrupted:
      return "interrupted";
  }
  return "interrupted";
}

std::string_view to_string(CancelLevel c) {
  switch (c) {
    case CancelLevel::none:
      return "none";
    case CancelLevel::graceful:
      return "graceful";
    case CancelLevel::force:
      return "force";
  }
  return "none";
}

std::string_view to_string(JobKind k) {
  switch (k) {
    case JobKind::apply:
      return "apply";
    case JobKind::plan:
      return "plan";
  }
  return "apply";
}

std::optional<RunStatus> parse_run_status(std::string_view s) {
  using R = RunStatus;
  return parse_via(s, std::array{R::queued, R::running, R::success, R::failed, R::cancelled,
                                 R::superseded, R::drift});
}

std::optional<JobStatus> parse_job_status(std::string_view s) {
  using J = JobStatus;
  return parse_via(s, std::array{J::pending, J::queued, J::running, J::needs_approval, J::success,
                                 J::drift, J::skipped, J::failed, J::interrupted, J::cancelled,
                                 J::superseded, J::refused});
}

std::optional<AttemptStatus> parse_attempt_status(std::string_view s) {
  using A = AttemptStatus;
  return parse_via(s, std::array{A::offered, A::running, A::finished, A::lost, A::interrupted});
}

std::optional<CancelLevel> parse_cancel_level(std::string_view s) {
  using C = CancelLevel;
  return parse_via(s, std::array{C::none, C::graceful, C::force});
}

std::optional<JobKind> parse_job_kind(std::string_view s) {
  return parse_via(s, std::array{JobKind::apply, JobKind::plan});
}

bool is_terminal(RunStatus s) {
  switch (s) {
    case RunStatus::queued:
    case RunStatus::running:
      return false;
    case RunStatus::success:
    case RunStatus::failed:
    case RunStatus::cancelled:
    case RunStatus::superseded:
    case RunStatus::drift:
      return true;
  }
  return true;
}

bool is_terminal(JobStatus s) {
  switch (s) {
    case JobStatus::pending:
    case JobStatus::queued:
    case JobStatus::running:
    case JobStatus::needs_approval:
      return false;
    case JobStatus::success:
    case JobStatus::drift:
    case JobStatus::skipped:
    case JobStatus::failed:
    case JobStatus::interrupted:
    case JobStatus::cancelled:
    case JobStatus::superseded:
    case JobStatus::refused:
      return true;
  }
  return true;
}

}  // namespace stackrun::core
