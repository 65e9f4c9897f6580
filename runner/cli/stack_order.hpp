#pragma once
// What `lint --repo` and `plan-stacks` share: the pipeline files of a revision, and whether
// every stack of an apply pipeline can be ordered (no dependency cycle, no dependency on a
// later tier), read from the stacks' Terragrunt configuration at that revision.
#include <string>
#include <vector>

#include "pipelines/model.hpp"
#include "runner/git/repo.hpp"

namespace stackrun::cli {

inline constexpr const char* kPipelineDir = ".stackrun/";

// A file directly in .stackrun/ ending .yml or .yaml.
bool is_pipeline_file(const std::string& path);

// The ordering errors of all the stacks `pipeline` finds at `commit` (whose files are `files`),
// as plan-stacks words them: "dependency cycle: stacks/a -> stacks/b -> stacks/a", "stacks/app
// (tier platform) depends on stacks/db of the later tier data". Empty when they can be ordered.
std::vector<std::string> stack_order_errors(const git::Repo& repo, const std::string& commit,
                                            const std::vector<std::string>& files,
                                            const pipelines::Pipeline& pipeline);

}  // namespace stackrun::cli
