#include "pipelines/node.hpp"

#include <cctype>

namespace stackrun::pipelines {
namespace {

bool all_of(std::string_view s, int (*pred)(int)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(static_cast<unsigned char>(c))) return false;
  return true;
}

int is_octal(int c) {
  return c >= '0' && c <= '7';
}

std::string_view drop_sign(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s;
}

bool is_int(std::string_view s) {
  if (s.size() > 2 && s.substr(0, 2) == "0x") return all_of(s.substr(2), isxdigit);
  if (s.size() > 2 && s.substr(0, 2) == "0o") return all_of(s.substr(2), is_octal);
  return all_of(drop_sign(s), isdigit);
}

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?  or [-+]?.inf or .nan
bool is_float(std::string_view s) {
  for (std::string_view special : {".inf", ".Inf", ".INF"})
    if (drop_sign(s) == special) return true;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  s = drop_sign(s);
  const size_t e = s.find_first_of("eE");
  std::string_view mant = s.substr(0, e);
  if (e != std::string_view::npos && !all_of(drop_sign(s.substr(e + 1)), isdigit)) return false;
  const size_t dot = mant.find('.');
  if (dot == std::string_view::npos) return all_of(mant, isdigit);
  std::string_view whole = mant.substr(0, dot), frac = mant.substr(dot + 1);
  if (whole.empty()) return all_of(frac, isdigit);
  return all_of(whole, isdigit) && (frac.empty() || all_of(frac, isdigit));
}

}  // namespace

ScalarType scalar_type(const Node& n) {
  if (n.kind == Node::Kind::null) return ScalarType::null;
  if (n.quoted) return ScalarType::string;
  const std::string_view t = n.text;
  if (t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE")
    return ScalarType::boolean;
  if (is_int(t)) return ScalarType::integer;
  if (is_float(t)) return ScalarType::number;
  return ScalarType::string;
}

std::string describe(const Node& n) {
  switch (n.kind) {
    case Node::Kind::null:
      return "null";
    case Node::Kind::map:
      return "mapping";
    case Node::Kind::seq:
      return "list";
    case Node::Kind::scalar:
      break;
  }
  switch (scalar_type(n)) {
    case ScalarType::boolean:
      return "boolean " + n.text;
    case ScalarType::integer:
      return "integer " + n.text;
    case ScalarType::number:
      return "number " + n.text;
    default:
      break;
  }
  if (n.text.size() > 60) return "string " + quote(n.text.substr(0, 57) + "...");
  return "string " + quote(n.text);
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += '?';
    else
      out += c;
  }
  return out + '"';
}

}  // namespace stackrun::pipelines
