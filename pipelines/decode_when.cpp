// `when:` conditions. A run is admitted if any condition matches; within one condition every
// given filter must match (see model.hpp).
#include <algorithm>

#include "pipelines/decode.hpp"

namespace stackrun::pipelines {
namespace {

std::optional<Event> event_from(std::string_view s) {
  for (Event e : {Event::push, Event::cron, Event::manual})
    if (to_string(e) == s) return e;
  return std::nullopt;
}

// One event name or a list of them; duplicates collapse.
void decode_events(const Node& v, std::vector<Event>& out, Diags& d) {
  const std::vector<std::string_view> names{"push", "cron", "manual"};
  auto add = [&](const Node& item, const std::string& label) {
    if (auto name = read_choice(item, label, names, d)) {
      const Event e = *event_from(*name);
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    }
  };
  if (v.kind != Node::Kind::seq) return add(v, "event");
  for (size_t i = 0; i < v.items.size(); ++i) add(v.items[i], "event[" + std::to_string(i) + "]");
}

void decode_path(const Node& v, Condition& c, Diags& d) {
  if (v.kind != Node::Kind::map) {
    if (v.kind == Node::Kind::scalar || v.kind == Node::Kind::seq) {
      c.path_include = read_globs(v, "path", true, d);
    } else {
      d.error(v.loc,
              "\"path\" must be a glob, a list of globs or a mapping with "
              "\"include\"/\"exclude\", got " +
                  describe(v));
    }
    return;
  }
  MapView m(v, "path", {"include", "exclude"}, d);
  if (const Node* inc = m.get("include")) c.path_include = read_globs(*inc, "include", true, d);
  if (const Node* exc = m.get("exclude")) c.path_exclude = read_globs(*exc, "exclude", true, d);
}

void decode_cron_names(const Node& key, const Node& v, const std::vector<Schedule>& schedules,
                       Condition& c, Diags& d) {
  if (std::find(c.events.begin(), c.events.end(), Event::cron) == c.events.end())
    d.error(key.loc, "\"cron\" is only valid when \"event\" includes cron");
  std::vector<std::string_view> declared;
  for (const auto& s : schedules) declared.push_back(s.name);
  for (const Node* item : read_string_items(v, "cron", true, d)) {
    if (std::find(declared.begin(), declared.end(), item->text) == declared.end()) {
      d.error(item->loc, "unknown schedule " + quote(item->text) +
                             (declared.empty() ? " (no schedules declared)"
                                               : " (declared: " + join(declared) + ")"));
      continue;
    }
    c.crons.push_back(item->text);
  }
}

void decode_condition(const Node& v, size_t index, const std::vector<Schedule>& schedules,
                      Condition& c, Diags& d) {
  c.loc = v.loc;
  if (!expect_map(v, "when[" + std::to_string(index) + "]", d)) return;
  MapView m(v, "when condition", {"event", "branch", "path", "cron"}, d);
  if (m.empty()) {
    d.error(v.loc, "empty \"when\" condition: give at least one of event, branch, path, cron");
    return;
  }
  if (const Node* e = m.get("event")) decode_events(*e, c.events, d);
  if (const Node* b = m.get("branch")) c.branches = read_globs(*b, "branch", true, d);
  if (const Node* p = m.get("path")) decode_path(*p, c, d);
  if (const Node* cr = m.get("cron")) decode_cron_names(*m.key("cron"), *cr, schedules, c, d);
  if (std::find(c.events.begin(), c.events.end(), Event::cron) != c.events.end() &&
      schedules.empty()) {
    d.error(m.get("event")->loc, "event \"cron\" never fires: \"schedules\" declares none");
  }
}

}  // namespace

void decode_when(const Node& v, const std::vector<Schedule>& schedules, std::vector<Condition>& out,
                 Diags& d) {
  if (v.kind != Node::Kind::seq) {
    d.error(v.loc, "\"when\" must be a list of conditions, got " + describe(v));
    return;
  }
  if (v.items.empty()) {
    d.error(v.loc, "\"when\" must not be empty: a pipeline with no condition never runs");
    return;
  }
  for (size_t i = 0; i < v.items.size(); ++i)
    decode_condition(v.items[i], i, schedules, out.emplace_back(), d);
}

}  // namespace stackrun::pipelines
