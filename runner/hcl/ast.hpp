#pragma once
// The syntax tree of an HCL2 native-syntax file (what `.hcl` and `.tf` files are written in),
// as parse() returns it. Every node carries the 1-based position where it starts. The tree is
// plain data: the evaluator (eval.hpp) gives it meaning.
#include <memory>
#include <string>
#include <vector>

namespace stackrun::hcl {

struct Pos {
  int line = 0, col = 0;  // 1-based; col counts bytes
  bool operator==(const Pos&) const = default;
};

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

enum class ExprKind {
  null_lit,     // null
  bool_lit,     // true, false: `boolean`
  number_lit,   // 42, 1.5, 1e3: `text` is the literal as written
  template_,    // "..." or a heredoc: `parts` (a template with one literal part is a plain
                // string; "" and an empty heredoc have one empty literal part)
  tuple,        // [a, b]: `items`
  object,       // {k = v, "k2": v}: `entries`
  variable,     // a root name: local, dependency, path, x ...: `text`
  get_attr,     // items[0].text: `items` = {target}, `text` = attribute name
  index,        // items[0][items[1]]: `items` = {target, key}
  splat,        // items[0][*] or items[0].*: `items` = {target}; `text` = the attribute chain
                // after it, dotted ("" when none), e.g. a[*].b.c -> "b.c"
  call,         // text(items...): `text` = function name, `expand_final` for f(a, b...)
  unary,        // `text` is "-" or "!": `items` = {operand}
  binary,       // `text` is the operator (+ - * / % == != < <= > >= && ||): `items` = {lhs, rhs}
  conditional,  // items[0] ? items[1] : items[2]
  for_tuple,    // [for key_var, value_var in items[0] : items[1] if items[2]]
  for_object,   // {for key_var, value_var in items[0] : items[1] => items[2] if items[3] ...}
  paren,        // (items[0]): kept so positions of wrapped expressions stay exact
};

// One part of a template: literal text (escapes already decoded, `$${`/`%%{` unescaped), or an
// interpolation `${expr}`, or a template directive `%{...}` kept as unsupported text.
struct TemplatePart {
  enum class Kind { literal, interpolation, directive } kind = Kind::literal;
  std::string text;  // literal: the text; directive: the directive's source, e.g. "if x"
  ExprPtr expr;      // interpolation only
  Pos pos;
};

struct ObjectEntry {
  // A bare identifier key (`name = ...`) is a template_ with one literal part, as if quoted;
  // `(expr) = ...` and any other expression key are kept as written.
  ExprPtr key, value;
};

struct Expr {
  ExprKind kind = ExprKind::null_lit;
  Pos pos;
  std::string text;
  bool boolean = false;
  bool expand_final = false;
  std::vector<TemplatePart> parts;   // template_
  std::vector<ExprPtr> items;        // see ExprKind
  std::vector<ObjectEntry> entries;  // object
  // for expressions: `key_var` is "" when only one variable is named; `group` for `...`
  std::string key_var, value_var;
  bool group = false;
};

struct Attribute {
  std::string name;
  ExprPtr value;
  Pos pos;  // of the name
};

struct Block;

// A file, or a block's body: attributes and blocks in file order (both lists keep it).
struct Body {
  std::vector<Attribute> attributes;
  std::vector<Block> blocks;
};

struct Block {
  std::string type;                 // include, terraform, locals, dependency, ...
  std::vector<std::string> labels;  // quoted or bare labels, e.g. dependency "vpc" -> {"vpc"}
  Body body;
  Pos pos;  // of the type name
};

}  // namespace stackrun::hcl
