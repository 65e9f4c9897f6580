// `stackrun classify [--pipeline F [--step S]] [--exit N] [--json] < LOG`: print the verdict
// the runner would give a step that printed LOG and exited N.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <vector>

#include "pipelines/classifier_rules.hpp"
#include "pipelines/loader.hpp"
#include "runner/cli/commands.hpp"
#include "runner/cli/io.hpp"
#include "runner/core/classify.hpp"
#include "runner/wire/cli_formats.hpp"

namespace stackrun::cli {
namespace {

struct ClassifyArgs {
  std::string pipeline, step;
  int exit = 1;
  bool json = false;
};

void print_text(const core::Verdict& v) {
  std::cout << "class: " << core::to_string(v.cls) << "\n"
            << "rule:  " << v.rule << "\n";
  if (!v.line.empty()) std::cout << "line:  " << v.line_no << ": " << v.line << "\n";
  if (v.lock) {
    std::cout << "lock:  ID=" << v.lock->id << " Who=" << v.lock->who
              << " Operation=" << v.lock->operation << " Created=" << v.lock->created
              << " Path=" << v.lock->path << "\n";
  }
}

int run_classify(const ClassifyArgs& a) {
  std::vector<core::RuleSpec> extra;
  std::map<int, core::Class> exit_codes;
  if (!a.pipeline.empty()) {
    auto text = read_file(a.pipeline);
    if (!text) {
      std::cerr << "stackrun classify: " << text.error() << "\n";
      return 2;
    }
    auto loaded = pipelines::load_pipeline(*text, a.pipeline);
    if (!loaded.pipeline) {
      for (const auto& d : loaded.diagnostics) std::cerr << d.str() << "\n";
      return 2;
    }
    extra = pipelines::rule_specs(*loaded.pipeline);
    const auto& steps = loaded.pipeline->steps;
    const pipelines::Step* chosen = steps.empty() ? nullptr : &steps.front();
    if (!a.step.empty()) {
      chosen = nullptr;
      for (const auto& s : steps)
        if (s.name == a.step) chosen = &s;
      if (!chosen) {
        std::cerr << "stackrun classify: " << a.pipeline << ": no step named \"" << a.step
                  << "\"\n";
        return 2;
      }
    }
    if (chosen) exit_codes = chosen->exit_codes;
  } else if (!a.step.empty()) {
    std::cerr << "stackrun classify: --step needs --pipeline\n";
    return 2;
  }
  auto classifier = core::Classifier::create(extra);
  if (!classifier) {
    std::cerr << "stackrun classify: " << classifier.error() << "\n";
    return 2;
  }
  const std::string log = read_all(std::cin);
  const core::Verdict v = classifier->classify(log, a.exit, exit_codes);
  if (a.json)
    std::cout << wire::encode(v) << "\n";
  else
    print_text(v);
  return 0;
}

}  // namespace

void add_classify(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("classify", "Classify a step's output read from stdin");
  cmd->footer(
      "Prints class (success, drift, lock, transient, fatal), the rule and the deciding line.\n"
      "Exit status: 0 whatever the class; 2 usage error or invalid pipeline.");
  auto a = std::make_shared<ClassifyArgs>();
  cmd->add_option("--pipeline", a->pipeline,
                  "Pipeline file whose classify rules and exit codes apply");
  cmd->add_option("--step", a->step, "Step whose exit_codes apply (default: the first step)");
  cmd->add_option("--exit", a->exit, "The step's exit code (default 1)")->check(CLI::Range(0, 255));
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->callback([a, &exit_code] { exit_code = run_classify(*a); });
}

}  // namespace stackrun::cli
