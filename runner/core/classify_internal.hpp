#pragma once
// Classifier internals exposed for unit tests only.
#include <string>
#include <string_view>

namespace stackrun::core::detail {

// Drops a leading ".*" (after any "(?flags)" group) and a trailing unescaped ".*" from a rule
// pattern, repeatedly: terragrunt-style "(?s).*X.*" becomes "(?s)X". The set of texts that match
// is unchanged, but the match now starts at X, not at offset 0 (which would make every such rule
// "earliest" and point the verdict at line 1).
std::string strip_match_anything_edges(std::string_view pattern);

// Scopes dot-all wildcards to one paragraph. Where dot-all mode is in force (a leading "(?s)",
// a later "(?s)" for the rest of its group, or a "(?s:...)" group), each ".*", ".+", ".*?" and
// ".+?" becomes a group matching the same text except any holding a blank line ("\n\n"): one
// run of it may span the wrapped lines of a paragraph, never a paragraph break. Escaped dots,
// dots in classes or \Q...\E, other quantifiers (".", ".?", ".{2}") and patterns without
// dot-all mode are left as written. Expects a valid RE2 pattern; the result is then valid too.
std::string scope_dot_all_wildcards(std::string_view pattern);

}  // namespace stackrun::core::detail
