#pragma once
// The HCL2 native-syntax parser (pure): the text of one file to its syntax tree, or the first
// syntax error located as "file:line:col: message".
#include <optional>
#include <string>
#include <string_view>

#include "runner/hcl/ast.hpp"

namespace stackrun::hcl {

// A located syntax error. str(): "<file>:<line>:<col>: <message>".
struct SyntaxError {
  std::string file;
  Pos pos;
  std::string message;
  std::string str() const;
};

// Parses `text` (the contents of `file`, which is only used in errors). Accepts everything
// HCL2's native syntax allows (hclsyntax): attributes and blocks (labels quoted or bare, the
// one-line form `b { a = 1 }`), comments (#, //, /* */), numbers, strings with escapes and
// `${...}` interpolation and `%{...}` directives, heredocs (<<EOT and the indented <<-EOT),
// tuples and objects over several lines with optional trailing commas, function calls (with
// `...` expansion), references with attribute access, indexing, legacy `.0` index, splats,
// unary/binary operators with HCL's precedence, conditionals, for expressions, parentheses.
// Not accepted: namespaced function names (provider::x::y). Template directives are kept as
// their source text (TemplatePart::directive), never parsed. An index after a splat
// (`a[*].b[0]`) indexes the splat's result, not each element.
// Never throws; nesting deeper than 256 levels is an error rather than a stack overflow.
// Exactly one of `body` and `error` is set.
struct Parsed {
  std::optional<Body> body;
  std::optional<SyntaxError> error;
};
Parsed parse(std::string_view text, const std::string& file);

}  // namespace stackrun::hcl
