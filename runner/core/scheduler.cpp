#include "runner/core/scheduler.hpp"

#include <algorithm>
#include <map>
#include <set>

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
  // (repo, stack) -> the oldest run with an unfinished job on it.
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> oldest_run;
  for (const auto& u : unfinished) {
    const std::pair<std::int64_t, std::string> key{u.repo_id, u.stack};
    if (auto it = oldest_run.find(key); it == oldest_run.end() || u.run_id < it->second)
      oldest_run[key] = u.run_id;
    if (u.status != JobStatus::running) continue;
    busy_stacks.insert(key);
    ++load_of(u.run_id, u.tier);
  }
  for (std::size_t i = 0; i < claimable.size(); ++i) {
    const auto& j = claimable[i];
    if (busy_stacks.count({j.repo_id, j.stack})) continue;
    if (auto it = oldest_run.find({j.repo_id, j.stack});
        it != oldest_run.end() && it->second < j.run_id)
      continue;
    if (load_of(j.run_id, j.tier) >= std::max(1, j.parallelism)) continue;
    const bool labels_ok = std::all_of(j.labels.begin(), j.labels.end(), [&](const std::string& l) {
      return std::find(agent_labels.begin(), agent_labels.end(), l) != agent_labels.end();
    });
    if (!labels_ok) continue;
    return i;
  }
  return std::nullopt;
}

std::vector<std::int64_t> jobs_to_release(const std::vector<JobView>& run_jobs) {
  std::vector<std::int64_t> out;
  for (const auto& j : run_jobs) {
    if (j.status != JobStatus::pending) continue;
    const bool ready =
        std::all_of(j.tier_needs.begin(), j.tier_needs.end(), [&](const std::string& t) {
          return std::all_of(run_jobs.begin(), run_jobs.end(), [&](const JobView& o) {
            return o.tier != t || is_terminal(o.status);
          });
        });
    if (ready) out.push_back(j.id);
  }
  return out;
}

std::optional<RunStatus> run_outcome(const std::vector<JobView>& run_jobs) {
  bool failed = false, cancelled = false;
  for (const auto& j : run_jobs) {
    if (!is_terminal(j.status)) return std::nullopt;
    failed |= j.status == JobStatus::failed || j.status == JobStatus::interrupted;
    cancelled |= j.status == JobStatus::cancelled;
  }
  if (failed) return RunStatus::failed;
  if (cancelled) return RunStatus::cancelled;
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
