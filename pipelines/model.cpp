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

namespace stackrun::pipelines {

std::optional<std::size_t> saved_plan_step(const std::vector<Step>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].saved_plan) return i;
  return std::nullopt;
}

}  // namespace stackrun::pipelines
