#pragma once
// Store rows -> the plain facts the pure core decides on.
#include <vector>

#include "runner/core/lifecycle.hpp"
#include "runner/store/rows.hpp"

namespace stackrun::server {

core::JobView view_of(const store::JobRow& j);
std::vector<core::JobView> views_of(const std::vector<store::JobRow>& jobs);
core::RunFacts run_facts(const store::RunRow& r);
core::AttemptFacts attempt_facts(const store::AttemptRow& a);

}  // namespace stackrun::server
