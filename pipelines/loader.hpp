#pragma once
// Parses pipeline YAML text into the model, or explains every problem with its location.
#include <optional>
#include <string_view>
#include <vector>

#include "pipelines/model.hpp"

namespace stackrun::pipelines {

struct LoadResult {
  std::optional<Pipeline> pipeline;        // set iff diagnostics is empty
  std::vector<Diagnostic> diagnostics;     // in file order
};

// `text` is the file's content; `file` names it in diagnostics. Never throws on bad input.
LoadResult load_pipeline(std::string_view text, std::string_view file);

}  // namespace stackrun::pipelines
