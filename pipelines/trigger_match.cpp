#include "pipelines/trigger_match.hpp"

#include <algorithm>

#include "runner/core/glob.hpp"

namespace stackrun::pipelines {
namespace {

bool any_glob(const std::vector<std::string>& globs, const std::string& s) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return core::glob_match(g, s); });
}

}  // namespace

bool condition_matches(const Condition& c, const EventFacts& f) {
  if (!c.events.empty() && std::find(c.events.begin(), c.events.end(), f.event) == c.events.end())
    return false;
  if (!c.branches.empty() && f.event != Event::cron && !any_glob(c.branches, f.branch))
    return false;
  if (!c.crons.empty() && f.event == Event::cron &&
      std::find(c.crons.begin(), c.crons.end(), f.cron) == c.crons.end())
    return false;
  const bool path_filter = !c.path_include.empty() || !c.path_exclude.empty();
  if (path_filter && f.event == Event::push && f.changed) {
    const bool hit = std::any_of(f.changed->begin(), f.changed->end(), [&](const std::string& p) {
      const bool included = c.path_include.empty() || any_glob(c.path_include, p);
      return included && !any_glob(c.path_exclude, p);
    });
    if (!hit) return false;
  }
  return true;
}

bool pipeline_matches(const Pipeline& p, const EventFacts& facts) {
  return std::any_of(p.when.begin(), p.when.end(),
                     [&](const Condition& c) { return condition_matches(c, facts); });
}

}  // namespace stackrun::pipelines
