#include "runner/client/format_drift.hpp"

#include <algorithm>
#include <map>

#include "runner/client/format_runs.hpp"
#include "runner/client/terminal_text.hpp"
#include "runner/core/duration.hpp"

namespace stackrun::client {
namespace {

void add_line(std::string& out, std::string line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out += line;
  out += '\n';
}

std::string safe(const std::string& s) {
  return terminal_safe(s);
}

std::string cut(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

std::string window(wire::Millis ms) {
  return core::format_duration(core::Duration(ms));
}

std::string when(const std::optional<wire::Millis>& t) {
  return t ? format_utc(*t) : std::string("-");
}

std::string deadman_cell(wire::Millis window_ms, bool breached) {
  if (window_ms <= 0) return "-";
  return window(window_ms) + (breached ? " BREACHED" : " ok");
}

std::string counts(const core::PlanSummary& p) {
  if (p.no_changes) return "no changes";
  return (p.import ? std::to_string(p.import) + " to import, " : "") + std::to_string(p.add) +
         " to add, " + std::to_string(p.change) + " to change, " + std::to_string(p.destroy) +
         " to destroy";
}

int rank(const std::string& state) {
  if (state == "error") return 0;
  if (state == "drift") return 1;
  if (state == "skipped") return 2;
  return 3;
}

void pipeline_lines(std::string& out, const wire::DriftPipelineView& p, wire::Millis now,
                    const Style& st) {
  std::string head = "repo " + safe(p.repo) + ", pipeline " + safe(p.pipeline);
  if (!p.schedules.empty()) {
    head += " (schedule";
    for (std::size_t i = 0; i < p.schedules.size(); ++i)
      head += (i ? ", " : " ") + safe(p.schedules[i]);
    head += ")";
  }
  head += ": ";
  if (p.last_run && p.last_completed)
    head += "last completed run " + std::to_string(*p.last_run) + " (" + p.last_status + ") at " +
            format_utc(*p.last_completed);
  else
    head += "no run has completed yet";
  if (p.deadman_ms > 0 && p.deadman_due) {
    head += p.deadman_breached ? "; dead-man window " + window(p.deadman_ms) + " BREACHED since " +
                                     format_utc(*p.deadman_due) + " (" +
                                     format_duration(now - *p.deadman_due) + " ago)"
                               : "; dead-man window " + window(p.deadman_ms) + " ok until " +
                                     format_utc(*p.deadman_due);
  } else {
    head += "; no dead-man window";
  }
  add_line(out, st.bold(head));
  std::vector<const wire::DriftStackView*> stacks;
  for (const auto& s : p.stacks) stacks.push_back(&s);
  std::stable_sort(stacks.begin(), stacks.end(),
                   [](const auto* a, const auto* b) { return rank(a->state) < rank(b->state); });
  std::map<std::string, int> tally;
  for (const auto* s : stacks) {
    ++tally[s->state];
    std::string line =
        "  " + st.status(s->state, 9) + pad(safe(s->stack), 28) + "run " + std::to_string(s->run);
    const std::string last_clean =
        s->last_clean ? "last clean " + format_utc(*s->last_clean) : "never clean";
    if (s->state == "drift") {
      line += "  " + (s->plan ? counts(*s->plan) : std::string("no plan summary"));
      if (s->drifting_since) line += "; drifting since " + format_utc(*s->drifting_since);
      line += "; " + last_clean;
    } else if (s->state == "error") {
      line += "  " + safe(cut(s->line.empty() ? "(no deciding line)" : s->line, 200));
      if (!s->rule.empty()) line += " [" + safe(s->rule) + "]";
      line += "; " + last_clean;
    } else if (s->state == "skipped") {
      line += "  " + safe(s->reason);
    }
    add_line(out, line);
    if (s->state == "drift" && s->plan) {
      const std::size_t shown = std::min<std::size_t>(s->plan->changes.size(), 10);
      for (std::size_t i = 0; i < shown; ++i)
        add_line(out, "             " + pad(safe(s->plan->changes[i].action), 8) +
                          safe(s->plan->changes[i].address));
      const std::size_t rest = s->plan->changes.size() - shown + s->plan->more;
      if (rest > 0) add_line(out, "             ... and " + std::to_string(rest) + " more");
    }
  }
  std::string total = "  " + std::to_string(stacks.size()) + " stacks";
  const char* order[] = {"drift", "error", "skipped", "clean"};
  std::string parts;
  for (const char* k : order)
    if (tally[k] > 0) parts += (parts.empty() ? ": " : ", ") + std::to_string(tally[k]) + " " + k;
  add_line(out, total + parts);
}

}  // namespace

std::string format_schedule_list(const wire::ScheduleList& list, const Style& st) {
  std::string out;
  add_line(out, pad("ID", 4) + pad("REPO", 12) + pad("PIPELINE", 12) + pad("SCHEDULE", 12) +
                    pad("CRON", 16) + pad("ZONE", 16) + pad("STATE", 10) + pad("NEXT (UTC)", 21) +
                    pad("LAST (UTC)", 21) + pad("DEAD-MAN", 14) + "LAST OUTCOME");
  for (const auto& s : list.schedules) {
    std::string outcome = s.last_outcome;
    if (s.last_run) outcome = "run " + std::to_string(*s.last_run) + " " + s.last_run_status;
    add_line(out, pad(std::to_string(s.id), 4) + pad(safe(s.repo), 12) + pad(safe(s.pipeline), 12) +
                      pad(safe(s.name), 12) + pad(safe(s.cron), 16) + pad(safe(s.timezone), 16) +
                      st.status(s.state, 10) + pad(when(s.next_fire_at), 21) +
                      pad(when(s.last_fire_at), 21) +
                      pad(deadman_cell(s.deadman_ms, s.deadman_breached), 14) +
                      safe(outcome.empty() ? "-" : outcome));
    if (s.state != "enabled" && !s.reason.empty())
      add_line(out, "    " + s.state + ": " + safe(s.reason));
  }
  return out;
}

std::string format_drift_report(const wire::DriftReport& report, const Style& st) {
  std::string out;
  if (report.pipelines.empty()) {
    add_line(out,
             "no drift runs yet: no pipeline of kind plan has run, and no schedule has a dead-man "
             "window (start one with `stackrun trigger run --pipeline drift`)");
    return out;
  }
  for (std::size_t i = 0; i < report.pipelines.size(); ++i) {
    if (i) out += "\n";
    pipeline_lines(out, report.pipelines[i], report.now, st);
  }
  return out;
}

}  // namespace stackrun::client
