#include "runner/hcl/eval.hpp"

#include <cmath>
#include <cstdio>
#include <functional>

namespace stackrun::hcl {
namespace {

using Kind = Value::Kind;

// The first unknown among `vs`, if any.
const Value* first_unknown(const std::vector<Value>& vs) {
  for (const auto& v : vs)
    if (v.is_unknown()) return &v;
  return nullptr;
}

Value wrong(const Scope& s, const Expr& at, const std::string& why) {
  return Value::unknown(where(s, at, why));
}

std::string kind_name(const Value& v) {
  switch (v.kind) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return "bool";
    case Kind::number:
      return "number";
    case Kind::string:
      return "string";
    case Kind::tuple:
      return "list";
    case Kind::object:
      return "object";
    case Kind::unknown:
      return "unknown";
  }
  return "unknown";
}

bool equal(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::null:
      return true;
    case Kind::boolean:
      return a.b == b.b;
    case Kind::number:
      return a.n == b.n;
    case Kind::string:
      return a.s == b.s;
    case Kind::tuple:
      if (a.items.size() != b.items.size()) return false;
      for (std::size_t i = 0; i < a.items.size(); ++i)
        if (!equal(a.items[i], b.items[i])) return false;
      return true;
    case Kind::object:
      if (a.attrs.size() != b.attrs.size()) return false;
      for (const auto& [k, v] : a.attrs) {
        auto it = b.attrs.find(k);
        if (it == b.attrs.end() || !equal(v, it->second)) return false;
      }
      return true;
    case Kind::unknown:
      return false;
  }
  return false;
}

// Terraform's format() for the verbs paths use: %s %d %v %q %%; anything else is unknown.
std::optional<std::string> format(const std::string& fmt, const std::vector<Value>& args) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) return std::nullopt;
    const char verb = fmt[i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) return std::nullopt;
    auto text = as_text(args[next++]);
    if (!text) return std::nullopt;
    if (verb == 's' || verb == 'v' || verb == 'd')
      out += *text;
    else if (verb == 'q')
      out += "\"" + *text + "\"";
    else
      return std::nullopt;
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::size_t at = 0;
  while ((at = s.find(from, at)) != std::string::npos) {
    s.replace(at, from.size(), to);
    at += to.size();
  }
  return s;
}

// A Terraform function of strings and collections, its arguments known. nullopt: not one.
std::optional<Value> builtin(const std::string& name, const std::vector<Value>& a, const Scope& s,
                             const Expr& at) {
  auto str = [&](std::size_t i) -> std::optional<std::string> {
    return i < a.size() ? as_text(a[i]) : std::nullopt;
  };
  auto bad = [&] { return wrong(s, at, name + "(): arguments of the wrong kind"); };
  if (name == "lower" || name == "upper" || name == "trimspace" || name == "tostring") {
    auto x = str(0);
    if (!x || a.size() != 1) return bad();
    std::string v = *x;
    if (name == "lower")
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "upper")
      for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name == "trimspace") {
      const auto b = v.find_first_not_of(" \t\r\n");
      v = b == std::string::npos ? "" : v.substr(b, v.find_last_not_of(" \t\r\n") - b + 1);
    }
    return Value::string(v);
  }
  if (name == "trimprefix" || name == "trimsuffix") {
    auto x = str(0), y = str(1);
    if (!x || !y) return bad();
    if (name == "trimprefix" && x->starts_with(*y)) return Value::string(x->substr(y->size()));
    if (name == "trimsuffix" && x->ends_with(*y))
      return Value::string(x->substr(0, x->size() - y->size()));
    return Value::string(*x);
  }
  if (name == "replace") {
    auto x = str(0), from = str(1), to = str(2);
    if (!x || !from || !to) return bad();
    if (from->size() > 1 && from->front() == '/' && from->back() == '/')
      return wrong(s, at, "replace() with a regular expression is not evaluated");
    return Value::string(replace_all(*x, *from, *to));
  }
  if (name == "format") {
    auto f = str(0);
    if (!f) return bad();
    auto out = format(*f, std::vector<Value>(a.begin() + 1, a.end()));
    if (!out) return wrong(s, at, "format(): a verb other than %s %d %v %q, or too few values");
    return Value::string(*out);
  }
  if (name == "join") {
    auto sep = str(0);
    if (!sep || a.size() < 2) return bad();
    std::string out;
    bool first = true;
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (a[i].kind != Kind::tuple) return bad();
      for (const auto& v : a[i].items) {
        auto t = as_text(v);
        if (!t) return bad();
        out += (first ? "" : *sep) + *t;
        first = false;
      }
    }
    return Value::string(out);
  }
  if (name == "split") {
    auto sep = str(0), x = str(1);
    if (!sep || !x || sep->empty()) return bad();
    Value out;
    out.kind = Kind::tuple;
    std::size_t from = 0, at_sep;
    while ((at_sep = x->find(*sep, from)) != std::string::npos) {
      out.items.push_back(Value::string(x->substr(from, at_sep - from)));
      from = at_sep + sep->size();
    }
    out.items.push_back(Value::string(x->substr(from)));
    return out;
  }
  if (name == "concat") {
    Value out;
    out.kind = Kind::tuple;
    for (const auto& v : a) {
      if (v.kind != Kind::tuple) return bad();
      out.items.insert(out.items.end(), v.items.begin(), v.items.end());
    }
    return out;
  }
  if (name == "merge") {
    Value out;
    out.kind = Kind::object;
    for (const auto& v : a) {
      if (v.kind == Kind::null) continue;
      if (v.kind != Kind::object) return bad();
      for (const auto& [k, x] : v.attrs) out.attrs[k] = x;
    }
    return out;
  }
  if (name == "lookup") {
    auto key = str(1);
    if (a.size() < 2 || a[0].kind != Kind::object || !key) return bad();
    auto it = a[0].attrs.find(*key);
    if (it != a[0].attrs.end()) return it->second;
    if (a.size() == 3) return a[2];
    return wrong(s, at, "lookup(): no key \"" + *key + "\"");
  }
  if (name == "element") {
    if (a.size() != 2 || a[0].kind != Kind::tuple || a[1].kind != Kind::number ||
        a[0].items.empty())
      return bad();
    const auto i = static_cast<std::size_t>(a[1].n) % a[0].items.size();
    return a[0].items[i];
  }
  if (name == "length") {
    if (a.size() != 1) return bad();
    if (a[0].kind == Kind::tuple) return Value::number(static_cast<double>(a[0].items.size()));
    if (a[0].kind == Kind::object) return Value::number(static_cast<double>(a[0].attrs.size()));
    if (a[0].kind == Kind::string) return Value::number(static_cast<double>(a[0].s.size()));
    return bad();
  }
  if (name == "coalesce") {
    for (const auto& v : a)
      if (v.kind != Kind::null && !(v.kind == Kind::string && v.s.empty())) return v;
    return wrong(s, at, "coalesce(): every argument is null or empty");
  }
  if (name == "dirname" || name == "basename") {
    auto x = str(0);
    if (!x || a.size() != 1) return bad();
    std::string p = *x;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    const auto slash = p.rfind('/');
    if (name == "basename")
      return Value::string(slash == std::string::npos ? p : p.substr(slash + 1));
    if (slash == std::string::npos) return Value::string(".");
    return Value::string(slash == 0 ? "/" : p.substr(0, slash));
  }
  if (name == "tolist" || name == "toset" || name == "tomap") {
    if (a.size() != 1) return bad();
    return a[0];
  }
  return std::nullopt;
}

class Evaluator {
 public:
  Evaluator(Scope& s) : s_(s) {}

  Value eval(const Expr& e, const Bindings* b) {
    switch (e.kind) {
      case ExprKind::null_lit:
        return Value::null_value();
      case ExprKind::bool_lit:
        return Value::boolean(e.boolean);
      case ExprKind::number_lit:
        return Value::number(std::strtod(e.text.c_str(), nullptr));
      case ExprKind::template_:
        return templ(e, b);
      case ExprKind::tuple: {
        Value out;
        out.kind = Kind::tuple;
        for (const auto& i : e.items) out.items.push_back(eval(*i, b));
        return out;
      }
      case ExprKind::object:
        return object(e, b);
      case ExprKind::variable:
        return variable(e, b);
      case ExprKind::get_attr:
        return get_attr(e, b);
      case ExprKind::index:
        return index(e, b);
      case ExprKind::splat:
        return wrong(s_, e, "splat expressions are not evaluated");
      case ExprKind::call:
        return call(e, b);
      case ExprKind::unary:
        return unary(e, b);
      case ExprKind::binary:
        return binary(e, b);
      case ExprKind::conditional: {
        const Value c = eval(*e.items[0], b);
        if (c.is_unknown()) return c;
        if (c.kind != Kind::boolean) return wrong(s_, e, "condition is not a bool");
        return eval(*e.items[c.b ? 1 : 2], b);
      }
      case ExprKind::for_tuple:
      case ExprKind::for_object:
        return for_expr(e, b);
      case ExprKind::paren:
        return eval(*e.items[0], b);
    }
    return wrong(s_, e, "unsupported expression");
  }

 private:
  Value templ(const Expr& e, const Bindings* b) {
    std::string out;
    for (const auto& p : e.parts) {
      if (p.kind == TemplatePart::Kind::literal) {
        out += p.text;
      } else if (p.kind == TemplatePart::Kind::directive) {
        return Value::unknown(s_.file() + ":" + std::to_string(p.pos.line) + ":" +
                              std::to_string(p.pos.col) +
                              ": template directives (%{...}) are not evaluated");
      } else {
        const Value v = eval(*p.expr, b);
        if (v.is_unknown()) return v;
        auto t = as_text(v);
        if (!t) return wrong(s_, *p.expr, "a " + kind_name(v) + " cannot be interpolated");
        out += *t;
      }
    }
    return Value::string(out);
  }

  Value object(const Expr& e, const Bindings* b) {
    Value out;
    out.kind = Kind::object;
    for (const auto& en : e.entries) {
      const Value k = eval(*en.key, b);
      auto key = as_text(k);
      if (!key) return k.is_unknown() ? k : wrong(s_, *en.key, "an object key must be a string");
      out.attrs[*key] = eval(*en.value, b);
    }
    return out;
  }

  Value variable(const Expr& e, const Bindings* b) {
    for (const Bindings* x = b; x; x = x->outer)
      if (auto it = x->vars.find(e.text); it != x->vars.end()) return it->second;
    if (e.text == "local") return wrong(s_, e, "\"local\" is not a value; use local.<name>");
    return s_.variable(e.text, e);
  }

  Value attr_of(const Value& v, const std::string& name, const Expr& at) {
    if (v.is_unknown()) return v;
    if (v.kind != Kind::object) return wrong(s_, at, "." + name + " of a " + kind_name(v));
    auto it = v.attrs.find(name);
    if (it == v.attrs.end()) return wrong(s_, at, "no attribute \"" + name + "\"");
    return it->second;
  }

  Value get_attr(const Expr& e, const Bindings* b) {
    const Expr& target = *e.items[0];
    if (target.kind == ExprKind::variable && target.text == "local") {
      bool bound = false;
      for (const Bindings* x = b; x && !bound; x = x->outer) bound = x->vars.count("local") > 0;
      if (!bound) return s_.local(e.text, e);
    }
    return attr_of(eval(target, b), e.text, e);
  }

  Value index(const Expr& e, const Bindings* b) {
    const Value t = eval(*e.items[0], b);
    const Value k = eval(*e.items[1], b);
    if (t.is_unknown()) return t;
    if (k.is_unknown()) return k;
    if (t.kind == Kind::tuple && k.kind == Kind::number) {
      const double i = k.n;
      if (i < 0 || i >= static_cast<double>(t.items.size()) || std::floor(i) != i)
        return wrong(s_, e, "index out of range");
      return t.items[static_cast<std::size_t>(i)];
    }
    if (t.kind == Kind::object) {
      auto key = as_text(k);
      if (!key) return wrong(s_, e, "an object index must be a string");
      return attr_of(t, *key, e);
    }
    return wrong(s_, e, "cannot index a " + kind_name(t));
  }

  Value call(const Expr& e, const Bindings* b) {
    if (e.expand_final) return wrong(s_, e, e.text + "(...): argument expansion is not evaluated");
    // Lazy: try and coalesce take the first argument that can be known.
    if (e.text == "try") {
      Value last = wrong(s_, e, "try() with no arguments");
      for (const auto& i : e.items) {
        last = eval(*i, b);
        if (!last.is_unknown()) return last;
      }
      return last;
    }
    std::vector<Value> args;
    for (const auto& i : e.items) args.push_back(eval(*i, b));
    if (auto v = s_.call(e.text, args, e)) return *v;
    if (const Value* u = first_unknown(args)) return *u;
    if (auto v = builtin(e.text, args, s_, e)) return *v;
    return wrong(s_, e, e.text + "() is not evaluated statically");
  }

  Value unary(const Expr& e, const Bindings* b) {
    const Value v = eval(*e.items[0], b);
    if (v.is_unknown()) return v;
    if (e.text == "!" && v.kind == Kind::boolean) return Value::boolean(!v.b);
    if (e.text == "-" && v.kind == Kind::number) return Value::number(-v.n);
    return wrong(s_, e, "operator " + e.text + " on a " + kind_name(v));
  }

  Value binary(const Expr& e, const Bindings* b) {
    const std::string& op = e.text;
    const Value l = eval(*e.items[0], b);
    if (op == "&&" || op == "||") {
      if (l.is_unknown()) return l;
      if (l.kind != Kind::boolean) return wrong(s_, e, op + " needs bools");
      if (op == "&&" && !l.b) return Value::boolean(false);
      if (op == "||" && l.b) return Value::boolean(true);
      const Value r = eval(*e.items[1], b);
      if (r.is_unknown()) return r;
      if (r.kind != Kind::boolean) return wrong(s_, e, op + " needs bools");
      return Value::boolean(r.b);
    }
    const Value r = eval(*e.items[1], b);
    if (l.is_unknown()) return l;
    if (r.is_unknown()) return r;
    if (op == "==") return Value::boolean(equal(l, r));
    if (op == "!=") return Value::boolean(!equal(l, r));
    if (l.kind != Kind::number || r.kind != Kind::number)
      return wrong(s_, e, "operator " + op + " needs numbers");
    if (op == "+") return Value::number(l.n + r.n);
    if (op == "-") return Value::number(l.n - r.n);
    if (op == "*") return Value::number(l.n * r.n);
    if (op == "/") return r.n == 0 ? wrong(s_, e, "division by zero") : Value::number(l.n / r.n);
    if (op == "%")
      return r.n == 0 ? wrong(s_, e, "division by zero") : Value::number(std::fmod(l.n, r.n));
    if (op == "<") return Value::boolean(l.n < r.n);
    if (op == "<=") return Value::boolean(l.n <= r.n);
    if (op == ">") return Value::boolean(l.n > r.n);
    if (op == ">=") return Value::boolean(l.n >= r.n);
    return wrong(s_, e, "unknown operator " + op);
  }

  Value for_expr(const Expr& e, const Bindings* b) {
    const Value coll = eval(*e.items[0], b);
    if (coll.is_unknown()) return coll;
    const bool obj = e.kind == ExprKind::for_object;
    const std::size_t cond_at = obj ? 3 : 2;
    const Expr* cond = e.items.size() > cond_at ? e.items[cond_at].get() : nullptr;
    Value out;
    out.kind = obj ? Kind::object : Kind::tuple;
    auto one = [&](Value key, const Value& value) -> std::optional<Value> {
      Bindings inner;
      inner.outer = b;
      if (!e.key_var.empty()) inner.vars[e.key_var] = std::move(key);
      inner.vars[e.value_var] = value;
      if (cond) {
        const Value c = eval(*cond, &inner);
        if (c.is_unknown()) return c;
        if (c.kind != Kind::boolean) return wrong(s_, *cond, "condition is not a bool");
        if (!c.b) return std::nullopt;
      }
      if (!obj) {
        out.items.push_back(eval(*e.items[1], &inner));
        return std::nullopt;
      }
      const Value k = eval(*e.items[1], &inner);
      auto ks = as_text(k);
      if (!ks) return k.is_unknown() ? k : wrong(s_, *e.items[1], "a key must be a string");
      Value v = eval(*e.items[2], &inner);
      if (e.group) {
        Value& slot = out.attrs[*ks];
        slot.kind = Kind::tuple;
        slot.items.push_back(std::move(v));
      } else {
        out.attrs[*ks] = std::move(v);
      }
      return std::nullopt;
    };
    if (coll.kind == Kind::tuple) {
      for (std::size_t i = 0; i < coll.items.size(); ++i)
        if (auto stop = one(Value::number(static_cast<double>(i)), coll.items[i])) return *stop;
    } else if (coll.kind == Kind::object) {
      for (const auto& [k, v] : coll.attrs)
        if (auto stop = one(Value::string(k), v)) return *stop;
    } else {
      return wrong(s_, e, "for over a " + kind_name(coll));
    }
    return out;
  }

  Scope& s_;
};

}  // namespace

std::string where(const Scope& scope, const Expr& at, const std::string& why) {
  return scope.file() + ":" + std::to_string(at.pos.line) + ":" + std::to_string(at.pos.col) +
         ": " + why;
}

std::optional<std::string> as_text(const Value& v) {
  switch (v.kind) {
    case Kind::string:
      return v.s;
    case Kind::boolean:
      return v.b ? "true" : "false";
    case Kind::number: {
      if (std::floor(v.n) == v.n && std::fabs(v.n) < 1e15)
        return std::to_string(static_cast<long long>(v.n));
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", v.n);
      return std::string(buf);
    }
    default:
      return std::nullopt;
  }
}

Value eval(const Expr& e, Scope& scope, const Bindings* bound) {
  return Evaluator(scope).eval(e, bound);
}

}  // namespace stackrun::hcl
