#pragma once
// A parsed YAML document as plain data, independent of the YAML library: loader.cpp builds it
// (the only place that sees yaml-cpp) and the decoders read it. Tests can build one by hand.
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/model.hpp"

namespace stackrun::pipelines {

struct Entry;

struct Node {
  enum class Kind { null, scalar, map, seq } kind = Kind::null;
  std::string text;            // scalar: the text as written (unquoted, unescaped)
  bool quoted = false;         // scalar: quoted, block or !!str-tagged, so always a string
  Location loc;                // where the node starts
  std::vector<Entry> entries;  // map: key/value pairs in file order, duplicates kept
  std::vector<Node> items;     // seq: in file order
};

struct Entry {
  Node key;
  Node value;
};

// What a scalar reads as under the YAML 1.2 core schema. Quoted scalars are always strings;
// plain ones are null (~, null), bool (true/false), int (12, -3, 0x1f, 0o17), float (1.5,
// 1e3, .inf) or otherwise string.
enum class ScalarType { null, boolean, integer, number, string };
ScalarType scalar_type(const Node& n);

// How a value is named after "got" in diagnostics: `string "four"`, `integer 4`,
// `number 1.5`, `boolean true`, `null`, `mapping`, `list`. Long strings are cut at 60 chars.
std::string describe(const Node& n);

// `s` in double quotes for a diagnostic, with '"' and control characters escaped so that a
// message stays on one line. Backslashes are kept as written (regexes stay readable).
std::string quote(std::string_view s);

}  // namespace stackrun::pipelines
