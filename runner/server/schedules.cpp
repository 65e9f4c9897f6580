#include "runner/server/schedules.hpp"

#include <algorithm>
#include <filesystem>

#include "runner/core/schedule.hpp"
#include "runner/git/credentials.hpp"

namespace stackrun::server {
namespace {

using store::Millis;

core::KnownSchedule known_of(const store::ScheduleRow& r) {
  core::KnownSchedule k;
  k.id = r.id;
  k.pipeline = r.pipeline;
  k.name = r.name;
  k.cron = r.cron;
  k.timezone = r.timezone;
  k.file = r.pipeline_file;
  k.commit = r.read_at_commit;
  k.deadman_ms = r.deadman_ms;
  k.state = r.state;
  k.reason = r.state_reason;
  k.next_fire_at = r.next_fire_at;
  k.watching_since = r.watching_since;
  return k;
}

store::ScheduleRow row_of(const core::KnownSchedule& k, store::Id repo_id) {
  store::ScheduleRow r;
  r.id = k.id;
  r.repo_id = repo_id;
  r.pipeline = k.pipeline;
  r.name = k.name;
  r.cron = k.cron;
  r.timezone = k.timezone;
  r.deadman_ms = k.deadman_ms;
  r.pipeline_file = k.file;
  r.read_at_commit = k.commit;
  r.state = k.state;
  r.state_reason = k.reason;
  r.next_fire_at = k.next_fire_at;
  r.watching_since = k.watching_since;
  return r;
}

// The first line of an error, cut to a size a table cell can show.
std::string outcome_line(const std::string& error) {
  std::string s = error.substr(0, error.find('\n'));
  if (s.size() > 300) s = s.substr(0, 297) + "...";
  return "no run: " + s;
}

// What sync learnt about one repo: its declared schedules, or that the repo itself is gone.
struct SyncResult {
  store::RepoRow repo;
  std::string commit;
  std::vector<core::DeclaredSchedule> declared;
  std::string repo_gone;  // non-empty: every schedule of the repo is gone for this reason
};

}  // namespace

Schedules::Schedules(http::Server& http, store::Store& store, RunWorker& worker,
                     SchedulesOptions options)
    : http_(http), store_(store), worker_(worker), options_(std::move(options)) {}

void Schedules::store_sync(const std::function<void(store::Store&)>& fn) {
  try {
    fn(store_);
  } catch (const store::DbError& e) {
    options_.log(std::string("schedules: store error (looking again in 1s): ") + e.what());
    auto weak = weak_from_this();
    http_.after(std::chrono::milliseconds(1000), [weak] {
      if (auto self = weak.lock()) self->tick();
    });
  }
}

void Schedules::sync(const std::string& repo) {
  std::vector<std::string> names;
  if (!repo.empty()) {
    names.push_back(repo);
  } else {
    store_sync([&](store::Store& st) {
      for (const auto& r : st.repos()) names.push_back(r.name);
    });
  }
  for (const auto& name : names) {
    auto weak = weak_from_this();
    worker_.submit_task([weak, name](store::Store& reader, const git::RepoOpener& open,
                                     const RepoFetch& fetch) -> std::function<void()> {
      SyncResult result;
      auto read = read_schedules(reader, open, name, fetch);
      std::string error;
      if (read) {
        result.repo = read->repo;
        result.commit = read->commit;
        result.declared = std::move(read->schedules);
      } else if (auto row = reader.repo_by_name(name);
                 row && !git::is_remote_url(row->url) && !std::filesystem::exists(row->url)) {
        // A local repo whose directory is gone: its schedules cannot fire any more.
        result.repo = *row;
        result.repo_gone = "repo " + name + " is gone: " + row->url + " does not exist";
      } else {
        error = read.error();
      }
      return [weak, name, result = std::move(result), error] {
        auto self = weak.lock();
        if (!self) return;
        if (!error.empty()) {
          // Kept as they were: a fetch that failed or a pipeline broken at the head must not
          // stop the nightly run (its firing records the error instead).
          self->options_.log("schedules of repo " + name + " not read: " + error);
          return;
        }
        self->store_sync([&](store::Store& st) {
          const Millis now = self->options_.clock();
          auto tx = st.begin();
          std::vector<core::KnownSchedule> known;
          for (const auto& r : st.schedules(result.repo.id)) known.push_back(known_of(r));
          auto changed = core::sync_schedules(result.declared, known, result.commit, now);
          for (auto& k : changed) {
            if (!result.repo_gone.empty() && k.state == core::ScheduleState::gone)
              k.reason = result.repo_gone;
            const auto row = row_of(k, result.repo.id);
            if (row.id == 0) {
              st.insert_schedule(row, now);
            } else {
              st.update_schedule(row, now);
            }
            self->options_.log("schedule " + name + "/" + k.pipeline + "/" + k.name + ": " +
                               (k.state == core::ScheduleState::gone
                                    ? "gone (" + k.reason + ")"
                                    : std::string(core::to_string(row.state)) + ", cron \"" +
                                          k.cron + "\" " + k.timezone));
          }
          tx.commit();
        });
        self->tick();
      };
    });
  }
}

void Schedules::tick() {
  store_sync([&](store::Store& st) {
    const Millis now = options_.clock();
    for (const auto& s : st.due_schedules(now))
      if (!in_flight_.count(s.id)) fire(s);
    arm(now);
  });
}

void Schedules::fire(const store::ScheduleRow& s) {
  in_flight_.insert(s.id);
  TriggerRequest t;
  t.repo = s.repo_name;
  t.event = "cron";
  t.pipeline = s.pipeline;
  t.fire = TriggerRequest::Fire{s.id, s.name, s.cron, s.timezone, *s.next_fire_at};
  const Millis due = *s.next_fire_at;
  auto weak = weak_from_this();
  worker_.submit(std::move(t), [weak, id = s.id, due](const RunsOutcome& o) {
    if (auto self = weak.lock()) self->fired(id, due, o);
  });
}

void Schedules::fired(store::Id id, Millis due, const RunsOutcome& o) {
  if (o.unavailable) {
    // The store failed: the due time stays unclaimed. It stays in flight for a while so that
    // a store still failing is not asked again at once, in a loop.
    options_.log("schedule " + std::to_string(id) + " not fired yet (again in 5s): " + o.error);
    auto weak = weak_from_this();
    http_.after(std::chrono::milliseconds(5000), [weak, id] {
      if (auto self = weak.lock()) {
        self->in_flight_.erase(id);
        self->tick();
      }
    });
    return;
  }
  in_flight_.erase(id);
  if (!o.runs.empty()) {
    options_.log("schedule " + std::to_string(id) + " fired: run " + std::to_string(o.runs[0]));
  } else if (!o.error.empty()) {
    // Recorded as this due time's outcome: the schedule moves on (a red firing is reported by
    // `stackrun schedules` and the dead-man window, not retried every second).
    store_sync([&](store::Store& st) {
      const Millis now = options_.clock();
      auto tx = st.begin();
      const auto s = st.schedule(id);
      if (s && s->state == store::ScheduleState::enabled && s->next_fire_at == due) {
        auto next = core::next_after_claim(s->cron, s->timezone, due, now);
        if (next && st.claim_schedule(id, due, *next, outcome_line(o.error), now))
          options_.log("schedule " + s->repo_name + "/" + s->pipeline + "/" + s->name +
                       " fired without a run: " + o.error);
      }
      tx.commit();
    });
    std::string repo;
    store_sync([&](store::Store& st) {
      if (const auto s = st.schedule(id)) repo = s->repo_name;
    });
    if (!repo.empty()) sync(repo);  // the pipeline may be gone: read the schedules again
  }
  tick();
}

void Schedules::check_deadman(Millis now, std::optional<Millis>& next) {
  int wrote = 0;
  auto tx = store_.begin();
  for (const auto& s : store_.schedules()) {
    if (s.deadman_ms <= 0 || s.state == store::ScheduleState::gone) continue;
    core::Deadman d;
    d.window = s.deadman_ms;
    d.watching_since = s.watching_since;
    if (auto last = store_.last_completed_run(s.repo_id, s.pipeline)) {
      d.last_completed = last->first;
      d.last_run_id = last->second;
    }
    const Millis since = d.last_completed.value_or(d.watching_since);
    const bool alerted = s.deadman_alerted_at && *s.deadman_alerted_at > since;
    if (!core::deadman_breached(d, now)) {
      const Millis due = core::deadman_due(d) + 1;  // breached once now is past the due time
      next = next ? std::min(*next, due) : due;
      continue;
    }
    if (alerted) continue;  // once per breach; a completed run starts a new window
    options_.log("schedule " + s.repo_name + "/" + s.pipeline + "/" + s.name +
                 ": dead-man window breached: " +
                 core::deadman_message(s.repo_name, s.pipeline, s.name, d).text);
    if (options_.deadman_alert) wrote += options_.deadman_alert(store_, s, d, now);
    store_.set_deadman_alerted(s.id, now);
  }
  tx.commit();
  if (wrote > 0 && options_.wrote_alerts) options_.wrote_alerts();
}

void Schedules::arm(Millis now) {
  std::optional<Millis> next;
  for (const auto& s : store_.schedules()) {
    if (s.state != store::ScheduleState::enabled || !s.next_fire_at || in_flight_.count(s.id))
      continue;
    next = next ? std::min(*next, *s.next_fire_at) : *s.next_fire_at;
  }
  check_deadman(now, next);
  if (!next) return;
  const Millis at = std::min(*next, now + options_.max_sleep_ms);
  if (armed_for_ && *armed_for_ <= at && *armed_for_ > now) return;
  armed_for_ = at;
  auto weak = weak_from_this();
  http_.after(std::chrono::milliseconds(std::max<Millis>(0, at - now)), [weak, at] {
    if (auto self = weak.lock()) self->on_timer(at);
  });
}

void Schedules::on_timer(Millis armed_for) {
  if (armed_for_ != armed_for) return;  // an earlier deadline re-armed since
  armed_for_.reset();
  tick();
}

Result<store::ScheduleRow> Schedules::set_enabled(store::Id id, bool enabled,
                                                  const std::string& reason) {
  const Millis now = options_.clock();
  auto tx = store_.begin();
  auto s = store_.schedule(id);
  if (!s) return Error{"no schedule " + std::to_string(id)};
  if (s->state == store::ScheduleState::gone)
    return Error{"schedule " + std::to_string(id) + " is gone (" + s->state_reason +
                 "); it comes back when its pipeline declares it again"};
  if (!enabled && reason.empty()) return Error{"disabling a schedule needs a reason"};
  const bool was = s->state == store::ScheduleState::enabled;
  if (enabled && !was) {
    auto next = core::next_due(s->cron, s->timezone, now);
    if (!next) return Error{next.error()};
    s->state = store::ScheduleState::enabled;
    s->state_reason.clear();
    s->next_fire_at = *next;
  } else if (!enabled) {
    s->state = store::ScheduleState::disabled;
    s->state_reason = reason;
    s->next_fire_at.reset();
  }
  store_.update_schedule(*s, now);
  tx.commit();
  tick();
  return *store_.schedule(id);
}

}  // namespace stackrun::server
