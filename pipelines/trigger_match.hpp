#pragma once
// Does an event admit a pipeline? Pure: the caller supplies the event's facts.
#include <optional>
#include <string>
#include <vector>

#include "pipelines/model.hpp"

namespace stackrun::pipelines {

struct EventFacts {
  Event event = Event::push;
  std::string branch;                               // "" when not a branch event
  std::optional<std::vector<std::string>> changed;  // nullopt: unknown (no base) = matches
  std::string cron;                                 // schedule name for cron events
};

// A condition matches when every filter it sets matches (AND). Paths: at least one changed
// path matches an include glob (if any) and is not excluded; an unknown change set matches.
bool condition_matches(const Condition& c, const EventFacts& facts);

// The pipeline runs when any of its `when` conditions matches (OR).
bool pipeline_matches(const Pipeline& p, const EventFacts& facts);

}  // namespace stackrun::pipelines
