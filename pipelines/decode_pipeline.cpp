// Top-level keys, `schedules:` and `labels:`.
#include <cctype>

#include "pipelines/decode.hpp"
#include "runner/core/cron.hpp"

namespace stackrun::pipelines {
namespace {

// [a-z0-9][a-z0-9_-]*
bool valid_pipeline_name(std::string_view s) {
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !lower_or_digit(s[0])) return false;
  for (char c : s)
    if (!lower_or_digit(c) && c != '_' && c != '-') return false;
  return true;
}

void decode_schedule(const Entry& e, Schedule& s, Diags& d) {
  s.name = e.key.text;
  s.loc = e.key.loc;
  if (!expect_map(e.value, "schedules." + s.name, d)) return;
  MapView m(e.value, "schedule", {"cron", "timezone", "deadman"}, d);
  if (const Node* v = m.require("cron")) {
    if (auto text = read_string(*v, "cron", d)) {
      s.cron = *text;
      if (auto spec = core::parse_cron(*text); !spec) d.error(v->loc, spec.error());
    }
  }
  if (const Node* v = m.get("timezone")) {
    if (auto tz = read_string(*v, "timezone", d)) {
      s.timezone = *tz;
      // Resolved against the system's IANA database (tzdata), as the server will resolve it.
      if (!core::load_zone(*tz))
        d.error(v->loc, "\"timezone\": unknown time zone " + quote(*tz) +
                            " (an IANA name such as Europe/Berlin, or UTC)");
    }
  }
  if (const Node* v = m.get("deadman")) {
    if (auto dur = read_duration(*v, "deadman", d)) {
      if (dur->count() < 60'000)
        d.error(v->loc,
                "\"deadman\": must be at least 1m (a window shorter than a cron minute "
                "would always be breached)");
      else
        s.deadman = *dur;
    }
  }
}

void decode_labels(const Node& v, std::vector<std::string>& out, Diags& d) {
  for (const Node* item : read_string_items(v, "labels", false, d)) {
    if (item->text.empty())
      d.error(item->loc, "\"labels\" entries must not be empty");
    else
      out.push_back(item->text);
  }
}

}  // namespace

void decode_schedules(const Node& v, std::vector<Schedule>& out, Diags& d) {
  if (!expect_map(v, "schedules", d)) return;
  for (const Entry* e : unique_entries(v, d)) decode_schedule(*e, out.emplace_back(), d);
}

// `guards: {destroy: refuse | approve | allow}`; apply pipelines only.
void decode_guards(const Node& v, Pipeline& out, Diags& d) {
  if (!expect_map(v, "guards", d)) return;
  MapView m(v, "guards", {"destroy"}, d);
  if (const Node* g = m.get("destroy")) {
    if (auto mode = read_choice(*g, "guards.destroy", {"refuse", "approve", "allow"}, d))
      out.destroy_guard = *core::parse_destroy_guard(*mode);
  }
  if (out.kind == Kind::plan)
    d.error(v.loc,
            "\"guards\" is for apply pipelines (kind: apply): a plan pipeline applies "
            "nothing");
}

void decode_pipeline(const Node& root, Pipeline& out, Diags& d) {
  if (!expect_map(root, "pipeline", d)) return;
  MapView m(root, "pipeline",
            {"version", "name", "kind", "when", "schedules", "stacks", "tiers", "steps",
             "on_failure", "classify", "labels", "guards"},
            d);
  if (const Node* v = m.require("version")) {
    if (auto n = read_int(*v, "version", d); n && *n != 1)
      d.error(v->loc, "\"version\" must be 1, got " + v->text);
  }
  if (const Node* v = m.require("name")) {
    if (auto name = read_string(*v, "name", d)) {
      out.name = *name;
      if (!valid_pipeline_name(*name))
        d.error(v->loc, "\"name\" must match [a-z0-9][a-z0-9_-]*, got " + quote(*name));
    }
  }
  if (const Node* v = m.get("kind")) {
    if (auto k = read_choice(*v, "kind", {"apply", "plan"}, d))
      out.kind = *k == "plan" ? Kind::plan : Kind::apply;
  }
  if (const Node* v = m.get("schedules")) decode_schedules(*v, out.schedules, d);
  if (const Node* v = m.require("when")) decode_when(*v, out.schedules, out.when, d);
  if (const Node* v = m.get("stacks")) decode_stacks(*v, out.stacks, d);
  decode_tiers(m.get("tiers"), out.tiers, d);
  if (const Node* v = m.require("steps")) decode_steps(*v, out.steps, d);
  if (const Node* v = m.get("on_failure")) decode_on_failure(*v, out.on_failure, d);
  if (const Node* v = m.get("classify")) decode_classify(*v, out.rules, d);
  if (const Node* v = m.get("labels")) decode_labels(*v, out.labels, d);
  if (const Node* v = m.get("guards")) decode_guards(*v, out, d);
  if (out.kind == Kind::plan) {
    for (const Step& s : out.steps)
      if (s.saved_plan)
        d.error(s.saved_plan->loc,
                "\"saved_plan\" is for apply pipelines (kind: apply): a plan pipeline applies "
                "nothing");
  }
}

}  // namespace stackrun::pipelines
