#include "runner/server/outbox.hpp"

#include <algorithm>

#include "runner/core/drift.hpp"
#include "runner/server/drift_view.hpp"
#include "runner/wire/outbound.hpp"

namespace stackrun::server {
namespace {

using store::Store;

struct Ctx {
  Store& st;
  const RepoOutbox& to;
  const store::RunRow& run;
  core::RunRef ref;
  store::Millis now;
  int added = 0;

  void status(core::RunStatus s, const std::string& summary) {
    if (!to.forge) return;
    st.insert_outbox(
        {Store::OutboxKind::commit_status, run.id, core::status_url(*to.forge, run.commit_sha),
         to.source, wire::encode(core::commit_status(ref, s, summary))},
        now);
    ++added;
  }
  void notify(const core::ChatMessage& m) {
    for (const auto& url : to.notify) {
      st.insert_outbox({Store::OutboxKind::notify, run.id, url, "", wire::encode(m)}, now);
      ++added;
    }
  }
  // What this drift run changed: stacks newly drifted, stacks that could not be planned, and
  // stacks clean again, each compared with the stack's previous result (core/drift.hpp).
  void drift_alerts() {
    const auto history = drift_jobs(st.drift_history(run.repo_id, kDriftHistoryRuns), run.pipeline);
    const auto alerts = core::drift_alerts(history, run.id);
    if (alerts.empty()) return;
    const auto report = core::drift_report(history);
    auto pick = [&](const std::vector<std::string>& stacks) {
      std::vector<core::StackDrift> out;
      for (const auto& s : report)
        if (std::find(stacks.begin(), stacks.end(), s.stack) != stacks.end()) out.push_back(s);
      return out;
    };
    if (auto m = core::drift_message(ref, pick(alerts.newly_drifted))) notify(*m);
    if (auto m = core::drift_error_message(ref, pick(alerts.errors))) notify(*m);
    if (auto m = core::drift_recovered_message(ref, alerts.recovered)) notify(*m);
  }

  void event(const core::Event& e) {
    if (to.notify.empty()) return;
    if (const auto* ended = std::get_if<core::RunEnded>(&e)) {
      // A drift run tells what it found per stack (drift, errors, recovered) instead.
      if (run.kind == core::JobKind::plan) return drift_alerts();
      if (ended->status == core::RunStatus::failed)
        notify(core::failed_run_message(ref, ended->summary));
    } else if (const auto* fixed = std::get_if<core::RunCorrected>(&e)) {
      if (fixed->to == core::RunStatus::failed)
        notify(core::failed_run_message(ref, fixed->summary));
    } else if (const auto* v = std::get_if<core::VerdictReached>(&e)) {
      if (v->verdict.cls == core::Class::lock && v->status == core::JobStatus::skipped)
        if (const auto job = st.job(v->job_id))
          notify(core::lock_skip_message(ref, job->stack, v->verdict.lock));
    } else if (const auto* j = std::get_if<core::JobEnded>(&e)) {
      if (j->status != core::JobStatus::success) return;
      const auto job = st.job(j->job_id);
      if (job && core::recovers(j->status, job->kind,
                                st.previous_decided_apply(job->repo_id, job->stack, job->id)))
        notify(core::recovered_message(ref, job->stack));
    }
  }
};

}  // namespace

OutboxRules outbox_rules(const config::ServerConfig& config, std::vector<std::string>& warnings) {
  OutboxRules rules;
  for (const auto& repo : config.repos) {
    RepoOutbox r;
    r.notify = repo.notify;
    for (const auto& s : repo.sources) {
      if (s.role != core::SourceRole::canonical || !s.token) continue;
      auto forge = core::forge_repo(s.kind, s.clone_url, s.api_url);
      if (!forge) {
        warnings.push_back("repo " + repo.name + ": no commit statuses: " + forge.error());
        continue;
      }
      r.forge = *forge;
      r.source = s.name;
    }
    if (r.forge || !r.notify.empty()) rules.emplace(repo.name, std::move(r));
  }
  return rules;
}

int enqueue_outbox(Store& st, const OutboxRules& rules, store::Id run_id, const core::Effects* fx,
                   store::Millis now) {
  if (rules.empty()) return 0;
  if (fx && !fx->run && fx->events.empty()) return 0;
  const auto run = st.run(run_id);
  if (!run) return 0;
  const auto it = rules.find(run->repo_name);
  if (it == rules.end()) return 0;
  Ctx c{st, it->second, *run,
        core::RunRef{run->id, run->repo_name, run->pipeline, run->commit_sha, run->ref}, now};
  if (!fx) {
    c.status(run->status, "");
    return c.added;
  }
  if (fx->run) c.status(fx->run->to, fx->run->summary);
  for (const auto& e : fx->events) c.event(e);
  return c.added;
}

int enqueue_notice(Store& st, const OutboxRules& rules, const std::string& repo,
                   const core::ChatMessage& message, store::Millis now) {
  const auto it = rules.find(repo);
  if (it == rules.end()) return 0;
  for (const auto& url : it->second.notify)
    st.insert_outbox({Store::OutboxKind::notify, std::nullopt, url, "", wire::encode(message)},
                     now);
  return static_cast<int>(it->second.notify.size());
}

}  // namespace stackrun::server
