#include "runner/core/pattern.hpp"

#include <re2/re2.h>

namespace stackrun::core {

std::optional<std::string> pattern_error(std::string_view pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), opts);
  if (re.ok()) return std::nullopt;
  return re.error();
}

}  // namespace stackrun::core
