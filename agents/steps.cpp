#include "agents/steps.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "agents/job.hpp"
#include "agents/saved_plan.hpp"
#include "pipelines/classifier_rules.hpp"
#include "pipelines/loader.hpp"
#include "runner/core/classify.hpp"
#include "runner/proc/step_files.hpp"

namespace stackrun::agent {
namespace {

// A step's command as its header line shows it: a block scalar's trailing newlines dropped, so
// the step's first output byte follows the header's own newline.
std::string shown_command(std::string command) {
  while (!command.empty() && (command.back() == '\n' || command.back() == '\r')) command.pop_back();
  return command;
}

// The classifier of a rule set, compiled once per agent process: compiling the built-in RE2
// rules took longer than starting the step itself. A Classifier is immutable and thread-safe;
// the cache is bounded (pipelines with their own rules are few).
Result<core::Classifier> classifier_for(const std::vector<core::RuleSpec>& extra) {
  static std::mutex mu;
  static std::map<std::string, core::Classifier> cache;
  std::string key;
  for (const auto& r : extra)
    key += std::to_string(static_cast<int>(r.cls)) + '\0' + r.id + '\0' + r.pattern + '\0';
  {
    std::lock_guard lk(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  auto made = core::Classifier::create(extra);
  if (!made) return made;
  std::lock_guard lk(mu);
  if (cache.size() >= 64) cache.clear();
  cache.emplace(key, *made);
  return made;
}

// A pipeline snapshot decoded, with its classifier compiled.
struct Compiled {
  pipelines::Pipeline pipeline;
  core::Classifier classifier;
};

std::atomic<std::uint64_t> compiled_count{0};

// The offer's pipeline, loaded, with its classifier; or the fatal outcome saying why not. Every
// attempt and resume of a run carries the same snapshot: it is decoded and compiled once per
// agent process, cached by the SHA-256 of its file name and text (bounded: a full cache starts
// over). A snapshot that does not load is not cached (its error is cheap to find again).
struct Loaded {
  std::shared_ptr<const Compiled> compiled;
  const pipelines::Pipeline* pipeline = nullptr;
  const core::Classifier* classifier = nullptr;
  Outcome failure;
};

Loaded load(const wire::Offer& job) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Compiled>> cache;
  const std::string key = sha256_hex(job.pipeline_file + '\0' + job.pipeline_yaml);
  Loaded l;
  {
    std::lock_guard lk(mu);
    if (auto it = cache.find(key); it != cache.end()) l.compiled = it->second;
  }
  if (!l.compiled) {
    auto loaded = pipelines::load_pipeline(job.pipeline_yaml, job.pipeline_file);
    if (!loaded.pipeline) {
      l.failure = agent_fatal(1, "agent.pipeline",
                              loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].str());
      return l;
    }
    auto classifier = classifier_for(pipelines::rule_specs(*loaded.pipeline));
    if (!classifier) {
      l.failure = agent_fatal(1, "agent.classify-rules", classifier.error());
      return l;
    }
    l.compiled = std::make_shared<const Compiled>(
        Compiled{std::move(*loaded.pipeline), std::move(*classifier)});
    ++compiled_count;
    std::lock_guard lk(mu);
    if (cache.size() >= 64) cache.clear();
    cache.emplace(key, l.compiled);
  }
  l.pipeline = &l.compiled->pipeline;
  l.classifier = &l.compiled->classifier;
  return l;
}

// How a step that ended is judged: the classifier on the end of its output [start, end) of the
// spool, unless the step timed out or was stopped because the lease lapsed.
Outcome judge(const core::Classifier& classifier, const pipelines::Step& step,
              const std::string& spool, std::uint64_t start, std::uint64_t end,
              const proc::ExitInfo& exit, const StepHooks& hooks) {
  Outcome out;
  out.exit_code = exit.exit_code;
  out.stopped = exit.stopped;
  auto tail = read_tail(spool, start, end, kTailBytes);
  out.verdict = classifier.classify(tail ? tail->text : "", exit.exit_code, step.exit_codes);
  if (out.verdict.line_no > 0 && tail)
    out.verdict.line_no =
        tail->lines_before < 0 ? 0 : out.verdict.line_no + static_cast<int>(tail->lines_before);
  if (exit.timed_out) {
    out.verdict = agent_fatal(exit.exit_code, "agent.timeout",
                              "step \"" + step.name + "\" timed out after " +
                                  core::format_duration(step.timeout))
                      .verdict;
  } else if (hooks.self_fenced()) {
    out.verdict = agent_fatal(exit.exit_code, "agent.self-fenced",
                              "stopped: the server did not accept a heartbeat for a whole lease")
                      .verdict;
  }
  return out;
}

}  // namespace

std::uint64_t compiled_snapshots() {
  return compiled_count.load();
}

Outcome agent_fatal(int exit_code, std::string rule, std::string line) {
  return {exit_code, {core::Class::fatal, std::move(rule), std::move(line), 0, {}, {}}, false, {}};
}

Outcome run_steps(const StepsInput& in, proc::ProcessRunner& runner, const StepHooks& hooks) {
  const wire::Offer& job = in.job;
  const Loaded l = load(job);
  if (!l.pipeline) return l.failure;
  const Env ci = ci_variables(job);
  Outcome out;
  const auto& steps = l.pipeline->steps;
  static const SecretSources kNoSecrets;
  auto secrets = resolve_secrets(steps, in.secrets ? *in.secrets : kNoSecrets, read_secret_file);
  if (!secrets) {
    (void)in.spool.note(secrets.error());
    return agent_fatal(1, "agent.secrets", secrets.error());
  }
  if (in.first_step == 0)
    for (const auto& note : secrets->notes) (void)in.spool.note(note);
  const auto stack_dir = std::filesystem::path(in.workspace) / job.stack;
  // The step whose plan a human approved (-1: none).
  const int approved = job.approved_plan ? job.approved_plan->step : -1;
  std::size_t first = in.first_step;
  if (in.previous) out = *in.previous;
  if (job.approved_plan && first == 0) {
    // Exactly the plan a human approved, in the fresh checkout of the same commit; the steps
    // up to the one that saved it do not run again.
    auto next = restore_approved_plan(*l.pipeline, *job.approved_plan, stack_dir.string());
    if (!next) {
      (void)in.spool.note("cannot apply the approved plan: " + next.error());
      return agent_fatal(1, "agent.saved-plan", next.error());
    }
    (void)in.spool.note("applying the plan approved by " + job.approved_by + " (" +
                        job.approved_plan->path + ", sha256 " +
                        job.approved_plan->sha256.substr(0, 12) + ")");
    first = *next;
  }
  for (std::size_t k = first; k < steps.size(); ++k) {
    const auto& step = steps[k];
    // The step before saved a plan and ended well (or a resumed attempt goes on after it): the
    // guard looks at the plan before anything applies it, unless a human approved it already.
    if (k > 0 && steps[k - 1].saved_plan && approved != static_cast<int>(k - 1)) {
      if (auto stop = guard_saved_plan(*l.pipeline, k - 1, stack_dir.string(), out, in.spool))
        return *stop;
    }
    if (hooks.should_stop()) {
      if (hooks.self_fenced())
        return agent_fatal(
            130, "agent.self-fenced",
            "stopped before step \"" + step.name + "\": no heartbeat accepted for a lease");
      return agent_fatal(130, "agent.stopped", "stopped before step \"" + step.name + "\" began");
    }
    Env overrides = ci;
    overrides.insert(overrides.end(), step.env.begin(), step.env.end());
    overrides.insert(overrides.end(), secrets->step_env[k].begin(), secrets->step_env[k].end());
    auto cwd = stack_dir;
    if (!step.dir.empty()) cwd /= step.dir;
    auto launch = proc::make_shell_launch(step.command, in.base_env, overrides, cwd.string(),
                                          step.timeout, in.grace);
    launch.mask = secrets->mask;
    // The step's own lines, then its output: where each begins is recorded first, so that a
    // restarted agent knows which output was the step's.
    const std::string lines = "[stackrun] " + std::string(core::to_string(job.kind)) + " " +
                              job.stack + " @ " + job.commit.substr(0, 12) + " step \"" +
                              step.name + "\"\n$ " + shown_command(step.command) + "\n";
    Status wrote = in.spool.end_line();
    const std::uint64_t header = in.spool.size();
    if (wrote) wrote = in.attempt.write_step(k, {header, header + lines.size()});
    if (wrote) wrote = in.spool.append(lines);
    if (!wrote) return agent_fatal(1, "agent.spool", wrote.error());
    auto r = runner.run(launch, in.attempt.step_files(k), hooks.should_stop);
    if (!r) {
      (void)in.spool.note(r.error());
      return agent_fatal(127, "agent.spawn", r.error());
    }
    const std::uint64_t end = in.spool.size();
    (void)in.spool.end_line();
    out = judge(*l.classifier, step, in.attempt.spool(), header + lines.size(), end, *r, hooks);
    if (out.verdict.cls != core::Class::success || r->stopped) break;
  }
  return out;
}

std::optional<Resumed> resume_step(const wire::Offer& job, const AttemptDir& attempt,
                                   SpoolWriter& spool, proc::ProcessRunner& runner,
                                   const StepHooks& hooks) {
  const auto last = attempt.last_step();
  if (!last) return std::nullopt;
  const auto [k, record] = *last;
  Resumed resumed{k, std::nullopt, true};
  const Loaded l = load(job);
  if (!l.pipeline) {
    resumed.outcome = l.failure;
    return resumed;
  }
  const auto& steps = l.pipeline->steps;
  if (k >= steps.size()) {
    resumed.outcome = agent_fatal(1, "agent.restarted", "the attempt's steps changed on disk");
    return resumed;
  }
  resumed.last = k + 1 == steps.size();
  const proc::StepFiles files = attempt.step_files(k);
  auto r = runner.resume(files, hooks.should_stop);
  if (!r) {
    std::error_code ec;
    if (!std::filesystem::exists(files.dir + "/" + proc::kSupervisorFile, ec) &&
        !std::filesystem::exists(files.dir + "/" + proc::kStatusFile, ec))
      return resumed;  // the agent died before the step started: start it afresh
    (void)spool.note(r.error());
    resumed.outcome =
        agent_fatal(1, "agent.restarted",
                    "step \"" + steps[k].name + "\" after the agent restarted: " + r.error());
    return resumed;
  }
  const std::uint64_t end = spool.size();
  (void)spool.end_line();
  resumed.outcome = judge(*l.classifier, steps[k], attempt.spool(), record.start, end, *r, hooks);
  return resumed;
}

}  // namespace stackrun::agent
