#pragma once
// Doublestar globs over '/'-separated paths, as Woodpecker and bmatcuk/doublestar use them:
// `*` any run within one segment, `**` as a whole segment any number of segments (including
// none), `?` one character, `[abc]`/`[a-z]`/`[!x]` a class, `{a,b}` alternatives, `\` escapes.
//
// Details (each pinned by a row in glob_test.cpp):
// - `*`, `?` and classes never match '/'. There is no special case for leading dots.
// - `**` is special only as a whole segment; elsewhere (`a**`, `**.md`) it is a plain `*`.
// - `a/**` matches `a` itself, `a/` and everything below `a` (as bmatcuk/doublestar does);
//   `**/x` matches `x` at any depth; `a/**/b` matches `a/b`.
// - Classes: `[!x]` and `[^x]` negate; a `]` right after `[`, `[!` or `[^` is a member.
// - Braces may nest and may hold '/' and `**`: `{stacks/**,modules/*}`. A `,` or `}` outside
//   braces is a literal.
// - Matching is linear in (pattern segments x path segments) per brace alternative, so
//   `**/**/**/x` against deep paths stays fast.
#include <optional>
#include <string>
#include <string_view>

namespace stackrun::core {

// True if `path` (no leading "./") matches `pattern` entirely.
// A malformed pattern (see glob_error) matches nothing.
bool glob_match(std::string_view pattern, std::string_view path);

// nullopt if `pattern` is well formed; otherwise why not: "unclosed '['", "unclosed '{'",
// "trailing '\\'" or "too many brace alternatives (more than 1024)".
std::optional<std::string> glob_error(std::string_view pattern);

}  // namespace stackrun::core
