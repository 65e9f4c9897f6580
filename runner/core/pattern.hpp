#pragma once
// Checks a user-supplied classification regex before it reaches the classifier.
// RE2 syntax (linear time: a user rule cannot hang the server).
#include <optional>
#include <string>
#include <string_view>

namespace stackrun::core {

// nullopt when `pattern` compiles under RE2; otherwise RE2's message, e.g.
// "missing ): (abc".
std::optional<std::string> pattern_error(std::string_view pattern);

}  // namespace stackrun::core
