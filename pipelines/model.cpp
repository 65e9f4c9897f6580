#include "pipelines/model.hpp"

namespace stackrun::pipelines {

std::string_view to_string(Event e) {
  switch (e) {
    case Event::push:
      return "push";
    case Event::cron:
      return "cron";
    case Event::manual:
      return "manual";
  }
  return "manual";
}

std::string Diagnostic::str() const {
  return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) + ": " + message;
}

}  // namespace stackrun::pipelines
