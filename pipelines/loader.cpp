// The only file that sees yaml-cpp: text -> Node tree (with 1-based locations) -> decoders.
#include "pipelines/loader.hpp"

#include <yaml-cpp/yaml.h>

#include "pipelines/decode.hpp"
#include "pipelines/node.hpp"
#include "pipelines/reader.hpp"

namespace stackrun::pipelines {
namespace {

// Aliases are expanded while converting, so a hostile file (a recursive alias, or a
// "billion laughs" of nested aliases) is cut off by depth and size limits.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 20'000;  // real pipelines have a few hundred

struct TooBig {
  Location at;
  std::string why;
};

class Converter {
 public:
  explicit Converter(std::string file) : file_(std::move(file)) {}

  Location locate(const YAML::Mark& m, const Location& fallback) const {
    if (m.is_null() || m.line < 0) return fallback;
    return Location{file_, m.line + 1, m.column + 1};
  }

  // Throws TooBig past the limits; yaml-cpp exceptions propagate.
  Node convert(const YAML::Node& y, const Location& fallback, int depth) {
    Node n;
    n.loc = locate(y.Mark(), fallback);
    if (depth > kMaxDepth)
      throw TooBig{n.loc, "nesting deeper than " + std::to_string(kMaxDepth) +
                              " levels (a recursive alias?)"};
    if (++count_ > kMaxNodes)
      throw TooBig{n.loc, "document too large: more than " + std::to_string(kMaxNodes) +
                              " nodes once aliases are expanded"};
    switch (y.Type()) {
      case YAML::NodeType::Scalar:
        n.kind = Node::Kind::scalar;
        n.text = y.Scalar();
        // "!" marks a quoted or block scalar; "?" a plain one whose type is inferred.
        n.quoted = y.Tag() == "!" || y.Tag() == "tag:yaml.org,2002:str";
        break;
      case YAML::NodeType::Sequence:
        n.kind = Node::Kind::seq;
        for (const auto& item : y) n.items.push_back(convert(item, n.loc, depth + 1));
        break;
      case YAML::NodeType::Map:
        n.kind = Node::Kind::map;
        for (const auto& kv : y) {
          Entry e{convert(kv.first, n.loc, depth + 1), convert(kv.second, n.loc, depth + 1)};
          // yaml-cpp marks an empty value (`key:` then newline) at the next token; point at
          // the key instead.
          if (e.value.kind == Node::Kind::null && e.value.loc.line != e.key.loc.line)
            e.value.loc = e.key.loc;
          n.entries.push_back(std::move(e));
        }
        break;
      default:  // Null, Undefined
        n.kind = Node::Kind::null;
        break;
    }
    return n;
  }

 private:
  std::string file_;
  size_t count_ = 0;
};

LoadResult single(Location at, std::string message) {
  return LoadResult{std::nullopt, {Diagnostic{std::move(at), std::move(message)}}};
}

}  // namespace

std::string oversize_message(std::uint64_t size) {
  return "file is " + std::to_string(size) + " bytes, over the " +
         std::to_string(kMaxPipelineBytes / 1024) +
         " KiB limit for pipeline files (a pipeline is a page of YAML; nothing was parsed)";
}

ParsedYaml parse_yaml(std::string_view text, std::string_view file) {
  const std::string name(file);
  const Location start{name, 1, 1};
  Converter conv(name);
  std::vector<YAML::Node> docs;
  ParsedYaml out;
  try {
    docs = YAML::LoadAll(std::string(text));
    out.root = docs.empty() ? Node{} : conv.convert(docs[0], start, 0);
  } catch (const YAML::Exception& e) {
    return ParsedYaml{std::nullopt,
                      {Diagnostic{conv.locate(e.mark, start), "YAML syntax error: " + e.msg}}};
  } catch (const TooBig& e) {
    return ParsedYaml{std::nullopt, {Diagnostic{e.at, e.why}}};
  }
  if (docs.size() > 1)
    out.diagnostics.push_back(
        Diagnostic{conv.locate(docs[1].Mark(), start),
                   "expected one YAML document, found " + std::to_string(docs.size())});
  return out;
}

LoadResult load_pipeline(std::string_view text, std::string_view file) {
  const std::string name(file);
  const Location start{name, 1, 1};
  if (text.size() > kMaxPipelineBytes) return single(start, oversize_message(text.size()));
  ParsedYaml parsed = parse_yaml(text, file);
  if (!parsed.root) return LoadResult{std::nullopt, std::move(parsed.diagnostics)};
  const Node& root = *parsed.root;
  if (root.kind == Node::Kind::null)
    return single(start,
                  "empty file: a pipeline needs at least \"version\", \"name\", \"when\" "
                  "and \"steps\"");

  Diags d;
  for (const Diagnostic& extra : parsed.diagnostics) d.error(extra.loc, extra.message);
  Pipeline p;
  p.file = name;
  decode_pipeline(root, p, d);
  LoadResult out;
  out.diagnostics = d.take_sorted();
  if (out.diagnostics.empty()) out.pipeline = std::move(p);
  return out;
}

}  // namespace stackrun::pipelines
