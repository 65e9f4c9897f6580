#pragma once
// What a step sees of the job it runs for.
#include <string>
#include <utility>
#include <vector>

#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

using Env = std::vector<std::pair<std::string, std::string>>;

// Variables every step gets, Woodpecker's names first (existing scripts read them), then
// stackrun's own. Pure; tested.
Env ci_variables(const wire::Offer& job);

}  // namespace stackrun::agent
