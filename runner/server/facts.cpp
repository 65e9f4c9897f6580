#include "runner/server/facts.hpp"

namespace stackrun::server {

core::JobView view_of(const store::JobRow& j) {
  core::JobView v;
  v.id = j.id;
  v.run_id = j.run_id;
  v.repo_id = j.repo_id;
  v.stack = j.stack;
  v.tier = j.tier;
  v.tier_needs = core::split_csv(j.tier_needs);
  v.parallelism = j.parallelism;
  v.kind = j.kind;
  v.status = j.status;
  v.labels = core::split_csv(j.labels);
  v.needs = core::split_csv(j.needs);
  return v;
}

std::vector<core::JobView> views_of(const std::vector<store::JobRow>& jobs) {
  std::vector<core::JobView> out;
  out.reserve(jobs.size());
  for (const auto& j : jobs) out.push_back(view_of(j));
  return out;
}

core::RunFacts run_facts(const store::RunRow& r) {
  core::RunFacts f;
  f.id = r.id;
  f.status = r.status;
  f.cancel = r.cancel;
  f.commit = r.commit_sha;
  f.policy = r.policy;
  return f;
}

core::AttemptFacts attempt_facts(const store::AttemptRow& a) {
  core::AttemptFacts f;
  f.id = a.id;
  f.job_id = a.job_id;
  f.agent_id = a.agent_id;
  f.agent = a.agent_name;
  f.n = a.n;
  f.epoch = a.epoch;
  f.status = a.status;
  return f;
}

}  // namespace stackrun::server
