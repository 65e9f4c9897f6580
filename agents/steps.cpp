#include "agents/steps.hpp"

#include <filesystem>
#include <map>
#include <mutex>

#include "agents/job.hpp"
#include "pipelines/classifier_rules.hpp"
#include "pipelines/loader.hpp"
#include "runner/core/classify.hpp"

namespace stackrun::agent {
namespace {

Outcome fatal(int exit_code, std::string rule, std::string line) {
  return {exit_code, {core::Class::fatal, std::move(rule), std::move(line), 0, {}}};
}

// The classifier sees at most this much of a step's output (the end of it): enough for any
// error block, bounded against a step that prints gigabytes.
constexpr std::size_t kKeepBytes = 64u << 20;

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

}  // namespace

Outcome run_steps(const StepsInput& in, proc::ProcessRunner& runner, const StepHooks& hooks) {
  const wire::Offer& job = in.job;
  auto loaded = pipelines::load_pipeline(job.pipeline_yaml, job.pipeline_file);
  if (!loaded.pipeline)
    return fatal(1, "agent.pipeline",
                 loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].str());
  auto classifier = classifier_for(pipelines::rule_specs(*loaded.pipeline));
  if (!classifier) return fatal(1, "agent.classify-rules", classifier.error());
  const Env ci = ci_variables(job);
  Outcome out;
  for (const auto& step : loaded.pipeline->steps) {
    if (hooks.should_stop()) {
      if (hooks.self_fenced())
        return fatal(
            130, "agent.self-fenced",
            "stopped before step \"" + step.name + "\": no heartbeat accepted for a lease");
      return fatal(130, "agent.stopped", "stopped before step \"" + step.name + "\" began");
    }
    Env overrides = ci;
    overrides.insert(overrides.end(), step.env.begin(), step.env.end());
    auto cwd = std::filesystem::path(in.workspace) / job.stack;
    if (!step.dir.empty()) cwd /= step.dir;
    auto launch = proc::make_shell_launch(step.command, in.base_env, overrides, cwd.string(),
                                          step.timeout, in.grace);
    hooks.note(std::string(core::to_string(job.kind)) + " " + job.stack + " @ " +
               job.commit.substr(0, 12) + " step \"" + step.name + "\"");
    hooks.output("$ " + step.command + "\n");
    std::string captured;
    auto r = runner.run(
        launch,
        [&](std::string_view bytes) {
          hooks.output(bytes);
          captured.append(bytes);
          if (captured.size() > kKeepBytes) captured.erase(0, captured.size() - kKeepBytes);
        },
        hooks.should_stop);
    if (!r) {
      hooks.note(r.error());
      return fatal(127, "agent.spawn", r.error());
    }
    out.exit_code = r->exit_code;
    out.verdict = classifier->classify(captured, r->exit_code, step.exit_codes);
    if (r->timed_out) {
      out.verdict =
          fatal(r->exit_code, "agent.timeout",
                "step \"" + step.name + "\" timed out after " + core::format_duration(step.timeout))
              .verdict;
    } else if (hooks.self_fenced()) {
      out.verdict = fatal(r->exit_code, "agent.self-fenced",
                          "stopped: the server did not accept a heartbeat for a whole lease")
                        .verdict;
    }
    if (out.verdict.cls != core::Class::success || r->stopped) break;
  }
  return out;
}

}  // namespace stackrun::agent
