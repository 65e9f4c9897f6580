#include "pipelines/classifier_rules.hpp"

namespace stackrun::pipelines {

std::vector<core::RuleSpec> rule_specs(const Pipeline& p) {
  std::vector<core::RuleSpec> out;
  out.reserve(p.rules.size());
  for (const auto& r : p.rules) out.push_back({r.cls, r.id, r.pattern});
  return out;
}

}  // namespace stackrun::pipelines
