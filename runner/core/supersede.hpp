#pragma once
// Supersede without harm (docs/operations.md, "Superseded runs"). When a run is created, older
// runs of the same repo, pipeline and branch still going lose the jobs that have not started to
// it (lifecycle's on_superseded): the newest commit is what should be applied, and applying an
// intermediate one first is wasted work at best and a wrong state at worst. Running jobs are
// never signalled (a killed apply leaves a half-written state); they finish where they are, and
// the scheduler runs the new run's job on that stack after them.
//
// The new run inherits every stack an older run had not started, not only the ones its own
// selection names: a stack changed by push 1 and reverted by push 2 is not selected by push 2,
// yet push 1's job must not apply the intermediate commit, and dropping it would leave push 1's
// change unapplied had it not been reverted. Applying the newest commit is right in both cases.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/scheduler.hpp"

namespace stackrun::core {

// Whether runs created by `event` supersede and can be superseded: every event but "manual"
// (one stack re-applied by hand at a chosen revision, which must run as asked).
bool takes_part_in_supersede(std::string_view event);

// The jobs of older runs the new run must add: of `older_jobs` (the older runs' jobs, in any
// order), the not-started ones (pending or queued), one per stack that `new_stacks` lacks,
// taken from the newest run that has it; returned in the order of `older_jobs`.
std::vector<JobView> to_inherit(const std::vector<std::string>& new_stacks,
                                const std::vector<JobView>& older_jobs);

}  // namespace stackrun::core
