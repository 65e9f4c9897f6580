#include "agents/job.hpp"

#include "runner/core/notify.hpp"

namespace stackrun::agent {

Env ci_variables(const wire::Offer& j) {
  const std::string prefix = "refs/heads/";
  const std::string branch = j.ref.rfind(prefix, 0) == 0 ? j.ref.substr(prefix.size()) : "";
  return {
      {"CI", "true"},
      {"CI_REPO_URL", j.repo_url},
      // The forge's base URL from an http(s) clone URL; "" for a path or an ssh URL.
      {"CI_FORGE_URL", core::forge_base_url(j.repo_url)},
      {"CI_COMMIT_SHA", j.commit},
      {"CI_COMMIT_REF", j.ref},
      {"CI_COMMIT_BRANCH", branch},
      {"CI_COMMIT_MESSAGE", j.message},
      {"CI_PIPELINE_EVENT", j.event},
      {"STACKRUN_RUN_ID", std::to_string(j.run_id)},
      {"STACKRUN_JOB_ID", std::to_string(j.job_id)},
      {"STACKRUN_ATTEMPT", std::to_string(j.n)},
      {"STACKRUN_STACK", j.stack},
      {"STACKRUN_STACK_LABEL", j.label},
      {"STACKRUN_TIER", j.tier},
      {"STACKRUN_JOB_KIND", std::string(core::to_string(j.kind))},
      {"STACKRUN_PIPELINE", j.pipeline},
  };
}

}  // namespace stackrun::agent
