#pragma once
// Bridges a pipeline's `classify:` rules and step exit codes to the core classifier.
#include <map>
#include <vector>

#include "pipelines/model.hpp"
#include "runner/core/classify.hpp"

namespace stackrun::pipelines {

// The pipeline's extra rules as classifier rule specs, in file order.
std::vector<core::RuleSpec> rule_specs(const Pipeline& p);

}  // namespace stackrun::pipelines
