#include "pipelines/model.hpp"

namespace stackrun::pipelines {

std::string Diagnostic::str() const {
  return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) + ": " + message;
}

}  // namespace stackrun::pipelines
