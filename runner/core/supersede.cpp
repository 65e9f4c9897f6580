#include "runner/core/supersede.hpp"

#include <algorithm>
#include <map>

namespace stackrun::core {

bool takes_part_in_supersede(std::string_view event) {
  return event != "manual";
}

std::vector<JobView> to_inherit(const std::vector<std::string>& new_stacks,
                                const std::vector<JobView>& older_jobs) {
  // stack -> index of the chosen job: the one of the newest run.
  std::map<std::string, std::size_t> chosen;
  for (std::size_t i = 0; i < older_jobs.size(); ++i) {
    const auto& j = older_jobs[i];
    if (j.status != JobStatus::pending && j.status != JobStatus::queued) continue;
    if (std::find(new_stacks.begin(), new_stacks.end(), j.stack) != new_stacks.end()) continue;
    auto [it, fresh] = chosen.emplace(j.stack, i);
    if (!fresh && older_jobs[it->second].run_id < j.run_id) it->second = i;
  }
  std::vector<JobView> out;
  for (std::size_t i = 0; i < older_jobs.size(); ++i) {
    auto it = chosen.find(older_jobs[i].stack);
    if (it != chosen.end() && it->second == i) out.push_back(older_jobs[i]);
  }
  return out;
}

}  // namespace stackrun::core
