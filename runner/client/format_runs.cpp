#include "runner/client/format_runs.hpp"

#include <cstdio>
#include <ctime>
#include <optional>

#include "runner/client/terminal_text.hpp"

namespace stackrun::client {
namespace {

using core::to_string;

// Appends `line` and "\n", without the trailing spaces that padding left on the last column.
void add_line(std::string& out, std::string line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out += line;
  out += '\n';
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// Text that came from a repository or a step (commit messages, stack names, deciding lines,
// lock holders): shown, never interpreted by the terminal.
std::string safe(const std::string& s) {
  return terminal_safe(s);
}

// At most `n` bytes of `s`, never ending inside a UTF-8 sequence.
std::string cut(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// "plan: 1 to add, 2 to change, 0 to destroy" (or "plan: no changes"), then up to 10 of its
// changed addresses, one per line, and how many more.
std::string plan_lines(const core::PlanSummary& p) {
  std::string out;
  if (p.no_changes) {
    add_line(out, "         plan: no changes");
    return out;
  }
  add_line(out, "         plan: " + (p.import ? std::to_string(p.import) + " to import, " : "") +
                    std::to_string(p.add) + " to add, " + std::to_string(p.change) +
                    " to change, " + std::to_string(p.destroy) + " to destroy");
  constexpr std::size_t kShown = 10;
  for (std::size_t i = 0; i < p.changes.size() && i < kShown; ++i)
    add_line(out, "           " + pad(safe(p.changes[i].action), 8) + safe(p.changes[i].address));
  const std::size_t rest = (p.changes.size() > kShown ? p.changes.size() - kShown : 0) +
                           static_cast<std::size_t>(p.more);
  if (rest > 0) add_line(out, "           ... and " + std::to_string(rest) + " more");
  return out;
}

std::string attempt_lines(const wire::AttemptDetail& a, const Style& st) {
  std::string out;
  const std::string n = "      #" + std::to_string(a.n) + " ";
  if (a.status == core::AttemptStatus::offered) {
    add_line(out, n + st.status("offered", 0) + (a.agent.empty() ? "" : " to " + safe(a.agent)) +
                      ", not started");
    return out;
  }
  const std::string exit = a.exit_code ? std::to_string(*a.exit_code) : "-";
  const std::string_view word = a.cls ? to_string(*a.cls) : to_string(a.status);
  const std::string took = a.finished_at ? format_duration(*a.finished_at - a.started_at) : "";
  add_line(out, n + pad(safe(a.agent), 11) + "exit " + pad(exit, 4) + st.status(word, 10) +
                    pad(took, 9) + safe(a.rule));
  if (!a.line.empty())
    add_line(out, "         line " + std::to_string(a.line_no) + ": " + safe(cut(a.line, 200)));
  if (a.lock) {
    add_line(out, "         lock held by " + safe(a.lock->who) + " (ID " + safe(a.lock->id) + ", " +
                      safe(a.lock->operation) + ", since " + safe(a.lock->created) + ")");
  }
  if (a.plan) out += plan_lines(*a.plan);
  return out;
}

}  // namespace

std::string format_utc(wire::Millis ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string format_duration(wire::Millis ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 60'000) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    return buf;
  }
  return std::to_string(ms / 60'000) + "m" + std::to_string((ms / 1000) % 60) + "s";
}

std::string format_run_list(const wire::RunList& list, const Style& st) {
  std::string out;
  add_line(out, pad("RUN", 6) + pad("STATUS", 11) + pad("PIPELINE", 10) + pad("EVENT", 8) +
                    pad("COMMIT", 14) + pad("CREATED (UTC)", 21) + "SUMMARY");
  for (const auto& r : list.runs) {
    add_line(out, pad(std::to_string(r.id), 6) + st.status(to_string(r.status), 11) +
                      pad(safe(r.pipeline), 10) + pad(safe(r.event), 8) +
                      pad(r.commit.substr(0, 12), 14) + pad(format_utc(r.created_at), 21) +
                      (r.superseded_by ? "by run " + std::to_string(*r.superseded_by) + "; " : "") +
                      first_line(r.summary));
  }
  return out;
}

std::string format_delivery_list(const wire::DeliveryList& list, const Style& st) {
  std::string out;
  add_line(out, pad("ID", 6) + pad("RECEIVED (UTC)", 21) + pad("SOURCE", 12) + pad("OUTCOME", 10) +
                    pad("EVENT", 8) + pad("REF", 16) + pad("COMMIT", 14) + pad("SENDER", 12) +
                    pad("RUN", 6) + "REASON");
  for (const auto& d : list.deliveries) {
    std::string ref = d.ref.rfind("refs/heads/", 0) == 0 ? d.ref.substr(11) : d.ref;
    std::string why = d.error.empty() ? d.reason : "no run: " + d.error;
    add_line(out, pad(std::to_string(d.id), 6) + pad(format_utc(d.received_at), 21) +
                      pad(safe(d.source), 12) + st.status(d.outcome, 10) +
                      pad(d.event.empty() ? "-" : safe(d.event), 8) +
                      pad(ref.empty() ? "-" : safe(ref), 16) +
                      pad(d.after.empty() ? "-" : d.after.substr(0, 12), 14) +
                      pad(d.sender_login.empty() ? "-" : safe(d.sender_login), 12) +
                      pad(d.run ? std::to_string(*d.run) : "-", 6) + safe(first_line(why)));
  }
  return out;
}

std::string format_run_detail(const wire::RunDetail& d, const Style& st) {
  const wire::RunSummary& r = d.run;
  std::string out;
  add_line(out, "run " + std::to_string(r.id) + "  " + st.status(to_string(r.status), 0) + "  " +
                    safe(r.pipeline) + " (" + std::string(to_string(r.kind)) + ", " +
                    safe(r.event) + ")  " + r.commit.substr(0, 12) + " " + safe(r.ref));
  if (!r.message.empty()) add_line(out, "  " + safe(first_line(r.message)));
  if (!r.summary.empty()) add_line(out, "  " + r.summary);
  if (r.superseded_by)
    add_line(out, "  superseded by run " + std::to_string(*r.superseded_by) +
                      ": it applies the stacks that had not started here at its newer commit");
  std::optional<std::string> tier;
  for (const auto& j : d.jobs) {
    if (j.tier != tier) {
      tier = j.tier;
      out += "\n";
      add_line(out, st.bold("tier " + (j.tier.empty() ? std::string("(none)") : safe(j.tier))));
    }
    add_line(out,
             "  " + st.status(to_string(j.status), 12) + pad(safe(j.label), 28) + safe(j.reason));
    if (!j.result_reason.empty()) add_line(out, "      " + safe(j.result_reason));
    // The destroy guard: what the saved plan deletes, one per line, and who approved it.
    constexpr std::size_t kShown = 20;
    for (std::size_t i = 0; i < j.destroys.size() && i < kShown; ++i)
      add_line(out, "      - " + pad(safe(j.destroys[i].action), 9) + safe(j.destroys[i].address));
    if (j.destroys.size() > kShown)
      add_line(out, "      (and " + std::to_string(j.destroys.size() - kShown) + " more)");
    if (!j.approved_by.empty()) add_line(out, "      approved by " + safe(j.approved_by));
    for (const auto& a : j.attempts) out += attempt_lines(a, st);
  }
  return out;
}

Printed format_trigger(const wire::TriggerAnswer& answer) {
  Printed p;
  if (answer.runs.empty()) p.err = "no pipeline matched: nothing to run\n";
  for (const wire::Id id : answer.runs) p.out += std::to_string(id) + "\n";
  return p;
}

std::string format_cancel(wire::Id run, bool force, const wire::CancelAnswer& answer) {
  if (answer.already_finished)
    return "run " + std::to_string(run) +
           " already finished: " + std::string(to_string(answer.status)) + "\n";
  return "run " + std::to_string(run) + ": cancel requested" + (force ? " (force)" : "") + "\n";
}

}  // namespace stackrun::client
