#pragma once
// Parses pipeline YAML text into the model, or explains every problem with its location.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/model.hpp"
#include "pipelines/node.hpp"

namespace stackrun::pipelines {

struct LoadResult {
  std::optional<Pipeline> pipeline;     // set iff diagnostics is empty
  std::vector<Diagnostic> diagnostics;  // in file order
};

// Pipeline files larger than this are refused before any parsing: a pipeline is a page of
// YAML, and a huge one (pushed by mistake or on purpose) must not stall the server or grow it
// by gigabytes. Callers that can see a file's size first (git, the filesystem) check it
// before reading the file at all.
inline constexpr std::size_t kMaxPipelineBytes = 256 * 1024;
// The diagnostic text for a file of `size` bytes over kMaxPipelineBytes.
std::string oversize_message(std::uint64_t size);

// YAML text as a located Node tree, for any stackrun YAML file (pipelines, the server
// configuration); this is the one place yaml-cpp is seen. Aliases are expanded, cut off past 64
// levels or 20,000 nodes. `root` is unset when the text could not be parsed (one diagnostic:
// syntax, limits); a null root is an empty document. A second document gives a diagnostic
// beside the first document's root. Never throws on bad input.
struct ParsedYaml {
  std::optional<Node> root;
  std::vector<Diagnostic> diagnostics;
};
ParsedYaml parse_yaml(std::string_view text, std::string_view file);

// `text` is the file's content; `file` names it in diagnostics. Never throws on bad input.
// Text over kMaxPipelineBytes gives one diagnostic at file:1:1 (oversize_message).
LoadResult load_pipeline(std::string_view text, std::string_view file);

}  // namespace stackrun::pipelines
