#include "runner/core/scheduler.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace stackrun::core {

std::optional<std::size_t> pick_job(const std::vector<JobView>& claimable,
                                    const std::vector<JobView>& unfinished,
                                    const std::vector<std::string>& agent_labels) {
  std::set<std::pair<std::int64_t, std::string>> busy_stacks;
  std::vector<std::pair<std::pair<std::int64_t, std::string>, int>> tier_load;
  auto load_of = [&](std::int64_t run, const std::string& tier) -> int& {
    for (auto& [key, n] : tier_load)
      if (key.first == run && key.second == tier) return n;
    tier_load.push_back({{run, tier}, 0});
    return tier_load.back().second;
  };
  // (repo, stack) -> the oldest run with an unfinished job on it (any job: what a plan waits
  // for), and the oldest with an unfinished apply or a running job (what an apply waits for: a
  // plan that has not started never holds an apply back).
  using Key = std::pair<std::int64_t, std::string>;
  std::map<Key, std::int64_t> oldest_run, oldest_for_apply;
  std::set<Key> queued_applies;  // stacks with an apply waiting to run: plans wait for it
  auto keep_oldest = [](std::map<Key, std::int64_t>& m, const Key& key, std::int64_t run) {
    if (auto it = m.find(key); it == m.end() || run < it->second) m[key] = run;
  };
  for (const auto& u : unfinished) {
    const Key key{u.repo_id, u.stack};
    keep_oldest(oldest_run, key, u.run_id);
    if (u.kind == JobKind::apply || u.status == JobStatus::running)
      keep_oldest(oldest_for_apply, key, u.run_id);
    if (u.kind == JobKind::apply && u.status == JobStatus::queued) queued_applies.insert(key);
    if (u.status != JobStatus::running) continue;
    busy_stacks.insert(key);
    ++load_of(u.run_id, u.tier);
  }
  for (std::size_t i = 0; i < claimable.size(); ++i) {
    const auto& j = claimable[i];
    const Key key{j.repo_id, j.stack};
    if (busy_stacks.count(key)) continue;
    const auto& order = j.kind == JobKind::apply ? oldest_for_apply : oldest_run;
    if (auto it = order.find(key); it != order.end() && it->second < j.run_id) continue;
    if (j.kind == JobKind::plan && queued_applies.count(key)) continue;
    if (load_of(j.run_id, j.tier) >= std::max(1, j.parallelism)) continue;
    const bool labels_ok = std::all_of(j.labels.begin(), j.labels.end(), [&](const std::string& l) {
      return std::find(agent_labels.begin(), agent_labels.end(), l) != agent_labels.end();
    });
    if (!labels_ok) continue;
    return i;
  }
  return std::nullopt;
}

namespace {

bool ended_well(JobStatus s) {
  return s == JobStatus::success || s == JobStatus::drift;
}

// One pass over a run's jobs, so that each pending job's questions are answered by a lookup:
// O(jobs + needs) per call, not O(pending x jobs). A drift run plans every stack, and each
// finish settles its run again.
struct RunIndex {
  std::unordered_map<std::string_view, const JobView*> by_stack;  // first job on each stack
  std::unordered_set<std::string_view> open_tiers;  // tiers with a job that is not terminal

  explicit RunIndex(const std::vector<JobView>& run_jobs) {
    by_stack.reserve(run_jobs.size());
    for (const auto& j : run_jobs) {
      by_stack.emplace(j.stack, &j);
      if (!is_terminal(j.status)) open_tiers.insert(j.tier);
    }
  }
  const JobView* job_on(const std::string& stack) const {
    const auto it = by_stack.find(stack);
    return it == by_stack.end() ? nullptr : it->second;
  }
};

}  // namespace

std::vector<std::int64_t> jobs_to_release(const std::vector<JobView>& run_jobs) {
  std::vector<std::int64_t> out;
  if (std::none_of(run_jobs.begin(), run_jobs.end(),
                   [](const JobView& j) { return j.status == JobStatus::pending; }))
    return out;
  const RunIndex index(run_jobs);
  for (const auto& j : run_jobs) {
    if (j.status != JobStatus::pending) continue;
    const bool ready =
        std::none_of(j.tier_needs.begin(), j.tier_needs.end(),
                     [&](const std::string& t) { return index.open_tiers.count(t); });
    const bool deps_done =
        std::all_of(j.needs.begin(), j.needs.end(), [&](const std::string& stack) {
          const JobView* d = index.job_on(stack);
          return !d || ended_well(d->status);
        });
    if (ready && deps_done) out.push_back(j.id);
  }
  return out;
}

std::vector<std::pair<std::int64_t, std::string>> jobs_to_skip(
    const std::vector<JobView>& run_jobs) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  if (std::none_of(run_jobs.begin(), run_jobs.end(), [](const JobView& j) {
        return j.status == JobStatus::pending && !j.needs.empty();
      }))
    return out;
  const RunIndex index(run_jobs);
  for (const auto& j : run_jobs) {
    if (j.status != JobStatus::pending) continue;
    for (const auto& stack : j.needs) {
      const JobView* d = index.job_on(stack);
      if (d && is_terminal(d->status) && !ended_well(d->status)) {
        out.emplace_back(j.id, "dependency " + stack + " " + std::string(to_string(d->status)));
        break;
      }
    }
  }
  return out;
}

std::optional<RunStatus> run_outcome(const std::vector<JobView>& run_jobs) {
  bool failed = false, cancelled = false, superseded = false, drift = false;
  for (const auto& j : run_jobs) {
    if (!is_terminal(j.status)) return std::nullopt;
    failed |= j.status == JobStatus::failed || j.status == JobStatus::interrupted ||
              j.status == JobStatus::refused;
    cancelled |= j.status == JobStatus::cancelled;
    superseded |= j.status == JobStatus::superseded;
    drift |= j.status == JobStatus::drift;
  }
  if (failed) return RunStatus::failed;
  if (cancelled) return RunStatus::cancelled;
  if (superseded) return RunStatus::superseded;
  if (drift) return RunStatus::drift;
  return RunStatus::success;
}

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace stackrun::core
