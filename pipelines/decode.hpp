#pragma once
// Section decoders: Node tree -> model, one per top-level key. Each fills `out` as far as
// the input allows and reports every problem to `d`; the model is only trusted when `d`
// stays empty. Cross-references (schedule names, tier needs) are checked where both sides
// are in hand; diagnostics are put in file order at the end, so decode order is free.
#include <vector>

#include "pipelines/model.hpp"
#include "pipelines/node.hpp"
#include "pipelines/reader.hpp"
#include "runner/core/policy.hpp"

namespace stackrun::pipelines {

// The whole document; `root` is the document's top node (any kind).
void decode_pipeline(const Node& root, Pipeline& out, Diags& d);

// `schedules:` map name -> {cron, timezone}. Every declared name lands in `out`.
void decode_schedules(const Node& v, std::vector<Schedule>& out, Diags& d);
// `when:` list of conditions; cron names are checked against `schedules`.
void decode_when(const Node& v, const std::vector<Schedule>& schedules, std::vector<Condition>& out,
                 Diags& d);
// `stacks:` discovery settings.
void decode_stacks(const Node& v, Discovery& out, Diags& d);
// `tiers:` (nullptr when absent: one tier "all"). Resolves default needs; reports unknown
// needs, duplicate names, more than one catch-all tier and cycles.
void decode_tiers(const Node* v, std::vector<Tier>& out, Diags& d);
// `steps:` list of steps.
void decode_steps(const Node& v, std::vector<Step>& out, Diags& d);
// `on_failure:` lock / transient / fatal policy.
void decode_on_failure(const Node& v, core::FailurePolicy& out, Diags& d);
// `classify:` extra rules, in file order.
void decode_classify(const Node& v, std::vector<Rule>& out, Diags& d);

}  // namespace stackrun::pipelines
