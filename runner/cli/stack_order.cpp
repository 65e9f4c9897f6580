#include "runner/cli/stack_order.hpp"

#include "runner/plan/planner.hpp"

namespace stackrun::cli {

bool is_pipeline_file(const std::string& path) {
  if (path.rfind(kPipelineDir, 0) != 0) return false;
  const std::string name = path.substr(std::string_view(kPipelineDir).size());
  if (name.find('/') != std::string::npos) return false;  // directly in .stackrun/ only
  auto ends_with = [&](std::string_view s) {
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends_with(".yml") || ends_with(".yaml");
}

std::vector<std::string> stack_order_errors(const git::Repo& repo, const std::string& commit,
                                            const std::vector<std::string>& files,
                                            const pipelines::Pipeline& pipeline) {
  // No base: every stack is selected, so every edge between them is checked.
  plan::PlanInput in;
  in.pipeline = &pipeline;
  in.stacks_at_to = plan::discover_stacks(files, pipeline.stacks);
  const auto configs = plan::read_configs(in.stacks_at_to, pipeline.stacks, files,
                                          [&](const std::string& f) -> std::optional<std::string> {
                                            auto text = repo.read_file(commit, f);
                                            if (!text) return std::nullopt;
                                            return std::move(*text);
                                          });
  in.configs = &configs;
  return plan::plan_stacks(in).errors;
}

}  // namespace stackrun::cli
