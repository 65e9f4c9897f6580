#pragma once
// Static evaluation of HCL expressions (pure): literals, templates, collections, operators,
// conditionals, for expressions and the Terraform functions that build strings and
// collections. Whatever it cannot know is an unknown Value naming the expression's position
// and the reason; an operation on an unknown is unknown (the first reason is kept), except
// where the result does not depend on it (`try`, `coalesce`, a conditional's untaken branch).
// Root variables (local, include, dependency, ...) and the host's own functions (Terragrunt's)
// come from the Scope.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner/hcl/ast.hpp"
#include "runner/hcl/value.hpp"

namespace stackrun::hcl {

// Variables bound by for expressions, innermost first through `outer`.
struct Bindings {
  std::map<std::string, Value> vars;
  const Bindings* outer = nullptr;
};

class Scope {
 public:
  virtual ~Scope() = default;
  // The file whose expressions are evaluated (for "file:line:col" in unknowns).
  virtual const std::string& file() const = 0;
  // `local.<name>`.
  virtual Value local(const std::string& name, const Expr& at) = 0;
  // Any other root variable (`include`, `dependency`, `var`, ...).
  virtual Value variable(const std::string& name, const Expr& at) = 0;
  // A host function (Terragrunt's), its arguments evaluated; nullopt: not one of the host's,
  // the evaluator's own functions (or "unknown function") apply.
  virtual std::optional<Value> call(const std::string& name, const std::vector<Value>& args,
                                    const Expr& at) = 0;
};

// "file:line:col: why" for an unknown produced at `at`.
std::string where(const Scope& scope, const Expr& at, const std::string& why);

Value eval(const Expr& e, Scope& scope, const Bindings* bound = nullptr);

// The text of a known string, number or bool as a template shows it; nullopt otherwise.
std::optional<std::string> as_text(const Value& v);

}  // namespace stackrun::hcl
