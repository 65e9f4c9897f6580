#include "runner/server/coordinator.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>

#include "runner/core/classify.hpp"
#include "runner/core/supersede.hpp"
#include "runner/server/facts.hpp"
#include "runner/server/tokens.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::server {

Millis wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr int kClaimPage = 8;  // claimable jobs read per page in claim()

std::string truncated_line(std::int64_t stored) {
  return "output truncated by the server after " + std::to_string(stored) +
         " bytes; the rest of this attempt's output is not stored";
}

}  // namespace

Coordinator::Coordinator(store::Store& store, CoordinatorOptions options, Clock clock,
                         core::JitterSource jitter)
    : store_(store), options_(options), clock_(std::move(clock)), jitter_(std::move(jitter)) {}

void Coordinator::on_startup() {
  grace_pending_ = true;
  auto tx = store_.begin();
  store_.extend_all_leases(clock_() + std::max(options_.lease_ms, options_.offer_ms));
  tx.commit();
  grace_pending_ = false;
}

std::optional<Claimed> Coordinator::claim(const store::AgentRow& agent) {
  auto tx = store_.begin();
  auto c = claim_in(agent, clock_());
  if (c) tx.commit();  // else nothing was written
  return c;
}

std::optional<Claimed> Coordinator::claim_in(const store::AgentRow& agent, Millis now) {
  // A page of claimable jobs at a time, with only the unfinished jobs pick_job reads for them:
  // the usual claim takes the first candidate, so its cost does not grow with the number of
  // queued jobs (a 500-stack drift run queues them all at once). The pages together give the
  // answer one pick over every claimable job would.
  const auto labels = core::split_csv(agent.labels);
  std::optional<store::JobRow> picked;
  std::vector<store::JobRow> page;
  do {
    page = store_.claimable_page(now, page.empty() ? nullptr : &page.back(), kClaimPage);
    if (page.empty()) return std::nullopt;  // nothing was written
    if (const auto pick =
            core::pick_job(views_of(page), views_of(store_.unfinished_for(page)), labels))
      picked = page[*pick];
  } while (!picked && page.size() == static_cast<std::size_t>(kClaimPage));
  if (!picked) return std::nullopt;
  const store::JobRow& job = *picked;
  const auto epoch = store_.claim_job(job.id);
  if (!epoch) return std::nullopt;  // cannot happen under BEGIN IMMEDIATE; nothing to undo
  const auto previous = store_.attempts_of_job(job.id);
  const int n = previous.empty() ? 1 : previous.back().n + 1;
  const Id attempt_id =
      store_.insert_offer(job.id, n, agent.id, *epoch, now + options_.offer_ms, now);
  store_.touch_agent(agent.id, now);
  Claimed c;
  c.attempt = *store_.attempt(attempt_id);
  c.job = *store_.job(job.id);
  c.run = *store_.run(job.run_id);
  c.repo_url = store_.repo_by_id(job.repo_id)->url;
  if (c.job.approved_attempt) c.approved_plan = store_.saved_plan(*c.job.approved_attempt);
  return c;
}

LeaseResult Coordinator::start(const store::AgentRow& agent, Id attempt_id, std::int64_t epoch) {
  const Millis now = clock_();
  auto tx = store_.begin();
  const auto att = store_.attempt(attempt_id);
  if (!att) return {Outcome::not_found};
  const Outcome o = core::check_start(attempt_facts(*att), agent.id, epoch);
  if (o == Outcome::idempotent) {  // a retried start: answer as a heartbeat would
    const auto run = store_.run(store_.job(att->job_id)->run_id);
    return {o, run->cancel == core::CancelLevel::force, att->lease_expires_at};
  }
  if (o != Outcome::ok) return {o};
  const auto job = store_.job(att->job_id);
  const auto run = store_.run(job->run_id);
  if (run->cancel != core::CancelLevel::none) return {Outcome::stale};  // on_cancel withdraws it
  const auto fx =
      core::on_start(run_facts(*run), attempt_facts(*att), view_of(*job), now, options_.lease_ms);
  if (!apply(fx, run->id, std::nullopt, now)) return {Outcome::stale};
  store_.touch_agent(agent.id, now);
  tx.commit();
  return {Outcome::ok, false, now + options_.lease_ms};
}

LeaseResult Coordinator::heartbeat(const store::AgentRow& agent, Id attempt_id,
                                   std::int64_t epoch) {
  const Millis now = clock_();
  auto tx = store_.begin();
  const auto att = store_.attempt(attempt_id);
  if (!att) return {Outcome::not_found};
  const Outcome o = core::check_heartbeat(attempt_facts(*att), agent.id, epoch);
  if (o != Outcome::ok) return {o};
  if (!store_.extend_lease(attempt_id, epoch, now + options_.lease_ms)) return {Outcome::stale};
  store_.touch_agent(agent.id, now);
  const auto run = store_.run(store_.job(att->job_id)->run_id);
  tx.commit();
  return {Outcome::ok, run->cancel == core::CancelLevel::force,
          std::max(att->lease_expires_at, now + options_.lease_ms)};
}

Outcome Coordinator::append_logs(const store::AgentRow& agent, Id attempt_id, std::int64_t epoch,
                                 const std::vector<LogChunk>& chunks) {
  const Millis now = clock_();
  auto tx = store_.begin();
  const auto att = store_.attempt(attempt_id);
  if (!att) return Outcome::not_found;
  const Outcome o = core::check_logs(attempt_facts(*att), agent.id, epoch);
  if (o != Outcome::ok) return o;
  const auto job = store_.job(att->job_id);
  std::int64_t stored = att->out_bytes;
  bool changed = false;
  for (const auto& c : chunks) {
    if (att->out_truncated) break;
    const auto size = static_cast<std::int64_t>(c.data.size());
    if (stored + size > options_.max_attempt_output_bytes) {
      if (store_.has_chunk(attempt_id, c.seq)) continue;  // resent, counted already
      if (store_.mark_output_truncated(attempt_id)) {
        store_.insert_sys_line(job->run_id, job->id, truncated_line(stored), now);
        changed = true;
      }
      break;
    }
    if (store_.insert_chunk(job->run_id, job->id, attempt_id, c.seq, c.data, now)) {
      stored += size;
      changed = true;
    }
  }
  tx.commit();
  if (changed) changes_.log_runs.insert(job->run_id);
  return Outcome::ok;
}

Outcome Coordinator::finish(const store::AgentRow& agent, const FinishReport& rep) {
  return finish_and_claim(agent, rep, false).outcome;
}

FinishAndClaim Coordinator::finish_and_claim(const store::AgentRow& agent, const FinishReport& rep,
                                             bool claim_next) {
  const Millis now = clock_();
  auto tx = store_.begin();
  const Outcome o = finish_in(agent, rep, now);
  // Anything else wrote nothing, or must be undone (stale): rolled back, and no claim.
  if (o != Outcome::ok && o != Outcome::late && o != Outcome::idempotent) return {o, {}};
  // Also after a late or repeated report: the agent's slot is free either way.
  FinishAndClaim out{o, claim_next ? claim_in(agent, now) : std::nullopt};
  tx.commit();
  return out;
}

Outcome Coordinator::finish_in(const store::AgentRow& agent, const FinishReport& rep, Millis now) {
  const auto att = store_.attempt(rep.attempt_id);
  if (!att) return Outcome::not_found;
  const auto job = store_.job(att->job_id);
  const Outcome o = core::check_finish(attempt_facts(*att), view_of(*job), agent.id, rep.epoch);
  if (o != Outcome::ok && o != Outcome::late) return o;
  const auto run = store_.run(job->run_id);
  std::vector<core::AttemptRecord> prior;
  for (const auto& a : store_.attempts_of_job(job->id))
    if (a.status == core::AttemptStatus::finished && a.cls)
      prior.push_back(
          {*a.cls, core::TimePoint(std::chrono::milliseconds(a.finished_at.value_or(now)))});
  // Capped again here: an old or hostile agent may send any size of verdict.
  core::FinishFacts facts = rep.facts;
  facts.verdict = core::cap_verdict(std::move(facts.verdict));
  // A guard stop is kept only with its plan, whose digest the server checks itself: a stop
  // that cannot be approved (no plan, a corrupt one) fails the job instead.
  if (facts.guard && (!rep.plan || sha256_hex(rep.plan->data) != rep.plan->sha256)) {
    facts.verdict = {core::Class::fatal,
                     "server.saved-plan",
                     rep.plan ? "the saved plan's sha256 does not match its bytes"
                              : "a destroy-guard stop without its saved plan",
                     0,
                     {},
                     facts.verdict.plan};
    facts.guard.reset();
  }
  if (facts.guard)
    facts.guard->destroys.resize(std::min(facts.guard->destroys.size(), core::kMaxPlanChanges));
  const auto fx = o == Outcome::late
                      ? core::on_late_finish(run_facts(*run), views_of(store_.jobs_of_run(run->id)),
                                             attempt_facts(*att), facts, prior, now, jitter_)
                      : core::on_finish(run_facts(*run), views_of(store_.jobs_of_run(run->id)),
                                        attempt_facts(*att), facts, prior, now, jitter_);
  store::Store::Finish f;
  f.exit_code = facts.exit_code;
  f.cls = facts.verdict.cls;
  f.rule = facts.verdict.rule;
  f.line = facts.verdict.line;
  f.line_no = facts.verdict.line_no;
  if (facts.verdict.lock) f.lock_json = wire::encode_lock(*facts.verdict.lock);
  if (facts.verdict.plan) f.plan_json = wire::encode_plan(*facts.verdict.plan);
  if (facts.guard && o == Outcome::ok) {
    store::SavedPlanRow row;
    row.attempt_id = att->id;
    row.job_id = job->id;
    row.step = rep.plan->step;
    row.path = rep.plan->path;
    row.sha256 = rep.plan->sha256;
    row.data = rep.plan->data;
    row.guard = std::string(core::to_string(facts.guard->guard));
    row.destroys = facts.guard->destroys;
    row.unlisted = facts.guard->unlisted;
    row.source = facts.guard->source;
    row.created_at = now;
    store_.insert_saved_plan(row);
  }
  if (!apply(fx, run->id, f, now)) return Outcome::stale;
  return o;
}

int Coordinator::reap() {
  const Millis now = clock_();
  auto tx = store_.begin();
  // The start-up grace could not be written (the store was not writable then): give it now,
  // before anything can expire, so agents that kept running meanwhile are not interrupted.
  if (grace_pending_)
    store_.extend_all_leases(now + std::max(options_.lease_ms, options_.offer_ms));
  int reaped = 0;
  for (const auto& att : store_.expired_attempts(now)) {
    const auto job = store_.job(att.job_id);
    const auto run = store_.run(job->run_id);
    int lost_before = 0;
    for (const auto& a : store_.attempts_of_job(job->id))
      if (a.id != att.id && a.status == core::AttemptStatus::lost) ++lost_before;
    const auto fx = core::on_expired(run_facts(*run), views_of(store_.jobs_of_run(run->id)),
                                     attempt_facts(att), lost_before);
    if (apply(fx, run->id, std::nullopt, now)) ++reaped;
  }
  tx.commit();
  grace_pending_ = false;
  return reaped;
}

Outcome Coordinator::cancel(Id run_id, core::CancelLevel level) {
  const Millis now = clock_();
  auto tx = store_.begin();
  const auto run = store_.run(run_id);
  if (!run) return Outcome::not_found;
  if (core::is_terminal(run->status)) return Outcome::idempotent;
  std::vector<core::AttemptFacts> offers;
  for (const auto& a : store_.offers_of_run(run_id)) offers.push_back(attempt_facts(a));
  const auto fx =
      core::on_cancel(run_facts(*run), views_of(store_.jobs_of_run(run_id)), offers, level);
  apply(fx, run_id, std::nullopt, now);
  tx.commit();
  return Outcome::ok;
}

ApproveResult Coordinator::approve(Id run_id, const std::string& stack,
                                   const std::string& approver) {
  const Millis now = clock_();
  const auto refuse = [](int status, std::string why) {
    ApproveResult r;
    r.status = status;
    r.error = std::move(why);
    return r;
  };
  auto tx = store_.begin();
  const auto run = store_.run(run_id);
  if (!run) return refuse(404, "no run " + std::to_string(run_id));
  const auto jobs = store_.jobs_of_run(run_id);
  const auto job = std::find_if(jobs.begin(), jobs.end(), [&](const store::JobRow& j) {
    return j.stack == stack || j.label == stack;
  });
  if (job == jobs.end())
    return refuse(404, "run " + std::to_string(run_id) + " has no job for stack " + stack);
  if (job->status != core::JobStatus::needs_approval)
    return refuse(409, job->stack + " in run " + std::to_string(run_id) + " is " +
                           std::string(core::to_string(job->status)) +
                           ": only a stack whose saved plan waits for approval can be approved");
  if (run->cancel != core::CancelLevel::none)
    return refuse(409, "run " + std::to_string(run_id) + " is being cancelled");
  const auto plan = store_.latest_saved_plan(job->id);
  if (!plan) return refuse(409, "no saved plan is recorded for " + stack);
  store_.set_approval(job->id, plan->attempt_id, approver, now);
  const auto fx = core::on_approve(run_facts(*run), views_of(jobs), job->id, approver,
                                   plan->attempt_id, plan->sha256);
  if (!apply(fx, run_id, std::nullopt, now))
    return refuse(409, stack + " changed while approving; look again");
  tx.commit();
  return {200, "", job->id, plan->attempt_id, plan->sha256};
}

std::vector<Id> Coordinator::create_runs(const std::vector<store::NewRun>& runs) {
  const Millis now = clock_();
  auto tx = store_.begin();
  std::vector<Id> ids;
  for (const auto& r : runs) {
    // A cron run claims its due time in this transaction: a lost claim (another firing got
    // there first) creates nothing, and a crash anywhere before the commit leaves the due time
    // unclaimed and the run absent, so it fires once when the server is back.
    if (r.schedule_id) {
      if (!store_.claim_schedule(*r.schedule_id, r.scheduled_for, r.next_fire_at, "", now))
        continue;
      if (options_.crash_after_schedule_claim) std::raise(SIGKILL);
    }
    const Id id = insert_and_settle(r, now);
    if (r.schedule_id) store_.set_schedule_run(*r.schedule_id, id, "run " + std::to_string(id));
    ids.push_back(id);
  }
  tx.commit();
  for (Id id : ids) changes_.log_runs.insert(id);
  return ids;
}

namespace {

// The job an older run had not started, added to the new run as it was planned there.
store::NewJob inherited_job(const store::JobRow& j) {
  store::NewJob nj;
  nj.stack = j.stack;
  nj.label = j.label;
  nj.tier = j.tier;
  nj.tier_needs = j.tier_needs;
  nj.tier_index = j.tier_index;
  nj.parallelism = j.parallelism;
  nj.kind = j.kind;
  nj.status = core::JobStatus::pending;
  nj.reason = "not started in run " + std::to_string(j.run_id) + "; applied here at this commit";
  nj.labels = j.labels;
  nj.needs = j.needs;
  return nj;
}

}  // namespace

Id Coordinator::insert_and_settle(const store::NewRun& run, Millis now) {
  store::NewRun bare = run;
  bare.lines.clear();
  // Older runs of the same line still going: this run takes over what they have not started
  // (core/supersede.hpp), in this transaction, so none of those jobs can start meanwhile.
  std::vector<store::RunRow> older;
  std::vector<store::JobRow> older_jobs;  // run by run, each in tier order
  if (core::takes_part_in_supersede(run.event)) {
    for (auto& o : store_.active_runs_of_line(run.repo_id, run.pipeline, run.ref)) {
      if (!core::takes_part_in_supersede(o.event)) continue;
      for (auto& j : store_.jobs_of_run(o.id)) older_jobs.push_back(std::move(j));
      older.push_back(std::move(o));
    }
  }
  std::map<Id, std::size_t> index_of;  // job id -> its place in older_jobs
  for (std::size_t i = 0; i < older_jobs.size(); ++i) index_of[older_jobs[i].id] = i;
  std::vector<std::string> stacks;
  for (const auto& j : run.jobs) stacks.push_back(j.stack);
  std::vector<std::string> lines = run.lines;
  std::map<Id, std::vector<std::string>> inherited_from;
  for (const auto& v : core::to_inherit(stacks, views_of(older_jobs))) {
    const store::JobRow& j = older_jobs[index_of.at(v.id)];
    bare.jobs.push_back(inherited_job(j));
    inherited_from[j.run_id].push_back(j.stack);
  }
  for (const auto& [from, taken] : inherited_from) {
    std::string line = "takes over " + std::to_string(taken.size()) + " stack(s) run " +
                       std::to_string(from) + " had not started:";
    for (const auto& s : taken) line += " " + s;
    lines.push_back(line);
  }
  const Id run_id = store_.insert_run(bare, now);
  // The run's first lines, the first one naming the run (its id exists only now).
  for (std::size_t i = 0; i < lines.size(); ++i)
    store_.insert_sys_line(run_id, std::nullopt,
                           (i == 0 ? "run " + std::to_string(run_id) + ": " : "") + lines[i], now);
  if (options_.on_change) options_.on_change(store_, run_id, nullptr, now);
  const auto row = store_.run(run_id);
  apply(core::settle(run_facts(*row), views_of(store_.jobs_of_run(run_id))), run_id, std::nullopt,
        now);
  for (const auto& o : older)
    apply(core::on_superseded(run_facts(o), views_of(store_.jobs_of_run(o.id)), run_id,
                              run.commit_sha),
          o.id, std::nullopt, now);
  return run_id;
}

std::optional<Millis> Coordinator::next_deadline() {
  auto tx = store_.begin_read();
  auto expiry = store_.next_expiry();
  auto ready = store_.next_not_before(clock_());
  if (expiry && ready) return std::min(*expiry, *ready);
  return expiry ? expiry : ready;
}

Changes Coordinator::take_changes() {
  return std::exchange(changes_, Changes{});
}

bool Coordinator::apply(const core::Effects& fx, Id run_id,
                        const std::optional<store::Store::Finish>& finish, Millis now) {
  for (const auto& a : fx.attempts) {
    bool won = false;
    if (!a.to)
      won = store_.withdraw_offer(a.attempt_id, a.epoch);
    else if (*a.to == core::AttemptStatus::running)
      won = store_.start_attempt(a.attempt_id, a.epoch, a.lease_expires_at, now);
    else
      won = store_.end_attempt(a.attempt_id, a.epoch, a.from, *a.to,
                               *a.to == core::AttemptStatus::finished ? finish : std::nullopt, now);
    if (!won) return false;
  }
  if (fx.cancel) store_.raise_cancel(run_id, *fx.cancel);
  if (fx.superseded_by) store_.set_superseded_by(run_id, *fx.superseded_by);
  for (const auto& j : fx.jobs)
    store_.transition_job(j.job_id, j.from, j.to, j.reason,
                          core::is_terminal(j.to) ? std::optional<Millis>(now) : std::nullopt,
                          j.not_before);
  for (const auto& a : fx.applied)
    store_.record_applied(a.repo_id, a.stack, a.commit, a.run_id, now);
  if (fx.run) {
    store_.set_run_status(run_id, fx.run->from, fx.run->to, now);
    if (core::is_terminal(fx.run->to)) store_.set_run_summary(run_id, fx.run->summary);
  }
  for (const auto& e : fx.events) {
    const auto line = core::describe(e);
    if (!line.text.empty()) store_.insert_sys_line(run_id, line.job_id, line.text, now);
  }
  if (options_.on_change) options_.on_change(store_, run_id, &fx, now);
  changes_.claims |= fx.wakes_claims();
  if (!fx.events.empty() || fx.run) changes_.log_runs.insert(run_id);
  return true;
}

}  // namespace stackrun::server
