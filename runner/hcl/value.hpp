#pragma once
// Values of statically evaluated HCL expressions. `unknown` is a value too: what the
// evaluator could not know (an environment variable, a dependency's outputs, a function it
// does not model), carrying where and why, so that whoever needs the value can report it
// instead of guessing.
#include <map>
#include <string>
#include <vector>

namespace stackrun::hcl {

struct Value {
  enum class Kind { null, boolean, number, string, tuple, object, unknown };
  Kind kind = Kind::null;
  bool b = false;
  double n = 0;
  std::string s;                       // string; unknown: why, located ("file:l:c: why")
  std::vector<Value> items;            // tuple
  std::map<std::string, Value> attrs;  // object

  static Value null_value() { return {}; }
  static Value boolean(bool v) {
    Value x;
    x.kind = Kind::boolean;
    x.b = v;
    return x;
  }
  static Value number(double v) {
    Value x;
    x.kind = Kind::number;
    x.n = v;
    return x;
  }
  static Value string(std::string v) {
    Value x;
    x.kind = Kind::string;
    x.s = std::move(v);
    return x;
  }
  // `where_why` reads "file:line:col: why".
  static Value unknown(std::string where_why) {
    Value x;
    x.kind = Kind::unknown;
    x.s = std::move(where_why);
    return x;
  }
  bool is_unknown() const { return kind == Kind::unknown; }
};

}  // namespace stackrun::hcl
