#pragma once
// The destroy guard on the agent: after the step that saves a plan (pipelines::SavedPlan)
// succeeded, read what the plan deletes and stop before the step that applies it when the
// pipeline's guard says so; and, for an approved job, put the approved plan back in place.
#include <cstddef>
#include <optional>
#include <string>

#include "agents/spool.hpp"
#include "agents/steps.hpp"
#include "pipelines/model.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

// Saved plans larger than this are not carried to the server: the job fails (rule
// agent.saved-plan) rather than applying a plan nobody could approve.
inline constexpr std::size_t kMaxSavedPlanBytes = std::size_t{16} << 20;
// The `show -json` file is read up to this size.
inline constexpr std::size_t kMaxPlanJsonBytes = std::size_t{256} << 20;

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(const std::string& data);

// Step `k` of `pipeline` saved a plan and ended well with `plan_step` (its outcome); `stack_dir`
// is <workspace>/<stack>. Returns what ends the steps here: a guard stop (exit 0, the plan
// step's verdict, `guard` set with the plan's bytes) or a fatal agent.saved-plan outcome (the
// plan or its JSON is missing, unreadable, too large or says nothing the guard can judge);
// nullopt to go on with the next step. Notes what it found in the spool.
std::optional<Outcome> guard_saved_plan(const pipelines::Pipeline& pipeline, std::size_t k,
                                        const std::string& stack_dir, const Outcome& plan_step,
                                        SpoolWriter& spool);

// Writes an approved job's plan back to <stack_dir>/<plan.path> after checking its digest and
// that the offer's pipeline saves a plan at that step. Returns the step to go on with (the one
// after it), or the reason it cannot.
Result<std::size_t> restore_approved_plan(const pipelines::Pipeline& pipeline,
                                          const wire::SavedPlanFile& plan,
                                          const std::string& stack_dir);

}  // namespace stackrun::agent
