// Classifier throughput on a ~64 MB synthetic `terragrunt run-all apply` log: coloured plan and
// apply output of many stacks with boxed warnings, ending in a boxed state-lock error.
// Prints MB/s for a plain scan of the same bytes (memchr line count, the floor), for
// normalisation alone, and for Classifier::classify, then the classify/baseline ratio.
// A second log ends in a transient error instead, decided by terragrunt's dot-all patterns
// (whose wildcards stop at a blank line, so the match lies within the final error box).
// Also the glob matcher on pathological input (ms per round; GlobMatch tests its answers).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "bench/bench_util.hpp"
#include "runner/core/classify.hpp"
#include "runner/core/glob.hpp"
#include "runner/core/normalise.hpp"

namespace {

using stackrun::core::Class;
using stackrun::core::Classifier;

constexpr std::size_t kTargetBytes = std::size_t{64} << 20;

#define Y "\x1b[33m"
#define R "\x1b[31m"
#define B "\x1b[1m"
#define G "\x1b[32m"
#define O "\x1b[0m"
#define TOPY Y "\xE2\x95\xB7" O O "\n"
#define BARY Y "\xE2\x94\x82" O " " O
#define BOTY Y "\xE2\x95\xB5" O O "\n"

void append_stack(std::string& s, int n) {
  char buf[512];
  const auto add = [&s, &buf](int len) { s.append(buf, static_cast<std::size_t>(len)); };
  add(std::snprintf(buf, sizeof buf, "[stacks/app-%03d] Starting apply...\n", n));
  s += O B "Initializing the backend..." O "\n" O G
           "\nSuccessfully configured the backend \"pg\"! Terraform will automatically\n"
           "use this backend unless the backend configuration changes." O "\n" O B
           "Initializing provider plugins..." O
           "\n"
           "- Reusing previous version of hashicorp/kubernetes from the dependency lock file\n"
           "- Reusing previous version of hashicorp/helm from the dependency lock file\n"
           "- Using previously-installed hashicorp/kubernetes v2.31.0\n"
           "- Using previously-installed hashicorp/helm v2.14.0\n\n" O B G
           "Terraform has been successfully initialized!" O G O "\n";
  for (int i = 0; i < 40; ++i)
    add(std::snprintf(buf, sizeof buf,
                      "module.app.kubernetes_config_map.settings[%d]: Refreshing state... "
                      "[id=app-%03d/settings-%d]\n",
                      i, n, i));
  s += "\nTerraform used the selected providers to generate the following execution\n"
       "plan. Resource actions are indicated with the following symbols:\n"
       "  " Y "~" O " update in-place\n\nTerraform will perform the following actions:\n\n";
  for (int i = 0; i < 6; ++i) {
    add(std::snprintf(
        buf, sizeof buf,
        B "  # module.app.kubernetes_deployment.web[%d]" O " will be updated in-place\n" O "  " Y
          "~" O O " resource \"kubernetes_deployment\" \"web\" {\n"
          "        id               = \"app-%03d/web-%d\"\n"
          "        # (1 unchanged attribute hidden)\n\n"
          "      " Y "~" O O " spec {\n"
          "          " Y "~" O O " replicas                  = " O "\"2\" " Y "->" O O " \"3\"\n"
          "            # (5 unchanged attributes hidden)\n\n"
          "            # (3 unchanged blocks hidden)\n"
          "        }\n"
          "        # (1 unchanged block hidden)\n    }\n\n",
        i, n, i));
  }
  s += O B "Plan:" O " 0 to add, 6 to change, 0 to destroy.\n" O "\n";
  for (int i = 0; i < 6; ++i) {
    add(std::snprintf(buf, sizeof buf,
                      O B "module.app.kubernetes_deployment.web[%d]: Modifying... "
                          "[id=app-%03d/web-%d]" O O "\n" O B
                          "module.app.kubernetes_deployment.web[%d]: Still modifying... "
                          "[id=app-%03d/web-%d, 10s elapsed]" O O "\n" O B
                          "module.app.kubernetes_deployment.web[%d]: Modifications complete "
                          "after 14s [id=app-%03d/web-%d]" O "\n",
                      i, n, i, i, n, i, i, n, i));
  }
  s += TOPY BARY O B Y
      "Warning: " O O B "Argument is deprecated" O "\n" BARY "\n" BARY O
      "  with module.app.kubernetes_deployment.web,\n" BARY O
      "  on ../../modules/app/main.tf line 12, in resource \"kubernetes_deployment\" "
      "\"web\":\n" BARY O
      "  12:   "
      "\x1b[4m"
      "metadata" O " {\n" BARY "\n" BARY O
      "The \"metadata.namespace\" attribute is deprecated; use the\n" BARY O
      "kubernetes_namespace_v1 data source instead.\n" BOTY O B G
      "\nApply complete! Resources: 0 added, 6 changed, 0 destroyed.\n" O;
  add(std::snprintf(buf, sizeof buf, "[stacks/app-%03d] OK\n", n));
}

const char kLockError[] =
    "[stacks/pg] Starting apply...\n" O B "Acquiring state lock. This may take a few moments..." O
    "\n" R "\xE2\x95\xB7" O O "\n" R "\xE2\x94\x82" O " " O B R "Error: " O O B
    "Error acquiring the state lock" O "\n" R "\xE2\x94\x82" O " " O "\n" R "\xE2\x94\x82" O " " O O
    "Error message: Workspace is already locked: default\n" R "\xE2\x94\x82" O " " O
    "Lock Info:\n" R "\xE2\x94\x82" O " " O "  ID:        4d3c2b1a-9f8e-7d6c-5b4a-392817160504\n" R
    "\xE2\x94\x82" O " " O "  Path:      \n" R "\xE2\x94\x82" O " " O
    "  Operation: OperationTypePlan\n" R "\xE2\x94\x82" O " " O "  Who:       ci@drift-runner\n" R
    "\xE2\x94\x82" O " " O "  Version:   1.9.8\n" R "\xE2\x94\x82" O " " O
    "  Created:   2026-06-28 03:00:04.118 +0000 UTC\n" R "\xE2\x94\x82" O " " O "  Info:      \n" R
    "\xE2\x94\x82" O " " O "\n" R "\xE2\x94\x82" O " " O
    "Terraform acquires a state lock to protect the state from being "
    "written\n" R "\xE2\x94\x82" O " " O
    "by multiple users at the same time. Please resolve the issue above "
    "and try\n" R "\xE2\x94\x82" O " " O
    "again. For most commands, you can disable locking with the "
    "\"-lock=false\"\n" R "\xE2\x94\x82" O " " O "flag, but this is not recommended.\n" R
    "\xE2\x95\xB5" O O "\n";

// The same tail as the lock case, but the stack fails on a provider-registry reset: a transient
// verdict, decided by terragrunt's dot-all patterns (tg-default-18, within the error box).
const char kTransientError[] =
    "[stacks/pg] Starting apply...\n" R "\xE2\x95\xB7" O O "\n" R "\xE2\x94\x82" O " " O B R
    "Error: " O O B "Failed to query available provider packages" O "\n" R "\xE2\x94\x82" O " " O
    "\n" R "\xE2\x94\x82" O " " O
    "Could not retrieve the list of available versions for provider\n" R "\xE2\x94\x82" O " " O
    "hashicorp/aws: could not connect to registry.terraform.io: read tcp\n" R "\xE2\x94\x82" O " " O
    "10.0.5.12:44122->104.16.0.1:443: read: connection reset by peer\n" R "\xE2\x95\xB5" O O "\n";

std::string build_log(const char* tail, std::size_t tail_size) {
  std::string s;
  s.reserve(kTargetBytes + 4096);
  for (int n = 0; s.size() < kTargetBytes - tail_size; ++n) append_stack(s, n % 1000);
  s.append(tail, tail_size - 1);
  return s;
}

const std::string& big_log() {
  static const std::string log = build_log(kLockError, sizeof kLockError);
  return log;
}

const std::string& transient_log() {
  static const std::string log = build_log(kTransientError, sizeof kTransientError);
  return log;
}

const Classifier& classifier() {
  static const Classifier c = [] {
    auto r = Classifier::create();
    if (!r) {
      std::fprintf(stderr, "classifier: %s\n", r.error().c_str());
      std::abort();
    }
    return *r;
  }();
  return c;
}

void BM_baseline_memchr_lines(benchmark::State& state) {
  const std::string& log = big_log();
  for (auto _ : state) {
    std::size_t lines = 0;
    for (const char *p = log.data(), *end = p + log.size();
         (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p))));
         ++p)
      ++lines;
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * log.size()));
}

void BM_normalise(benchmark::State& state) {
  const std::string& log = big_log();
  for (auto _ : state) benchmark::DoNotOptimize(stackrun::core::normalise(log));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * log.size()));
}

void run_classify(benchmark::State& state, const std::string& log, Class want) {
  const stackrun::core::Verdict v = classifier().classify(log, 1);
  if (v.cls != want) {
    state.SkipWithError(("unexpected verdict " + v.rule + ": " + v.line).c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(classifier().classify(log, 1));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * log.size()));
  state.SetLabel(v.rule + " at line " + std::to_string(v.line_no) + ": " + v.line);
}

void BM_classify(benchmark::State& state) {
  run_classify(state, big_log(), Class::lock);
}

void BM_classify_transient_end(benchmark::State& state) {
  run_classify(state, transient_log(), Class::transient);
}

// The glob matcher on inputs that make a backtracking matcher exponential (the same as
// GlobMatch.AnswersPathologicalInput): time per round of the four matches.
void BM_glob_pathological(benchmark::State& state) {
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "d/";
  deep += "y";
  const std::string long_segment(5000, 'a');
  const std::string deep_long = deep + "/" + long_segment;
  auto round = [&] {
    return !stackrun::core::glob_match("**/**/**/**/**/**/**/**/x", deep) &&
           stackrun::core::glob_match("**/**/**/**/**/**/**/**/y", deep) &&
           !stackrun::core::glob_match("*a*a*a*a*a*a*a*a*b", long_segment) &&
           !stackrun::core::glob_match("**/*a*a*a*a*b", deep_long);
  };
  if (!round()) {
    state.SkipWithError("a pathological glob gave a wrong answer");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(round());
}

BENCHMARK(BM_baseline_memchr_lines)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_normalise)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_classify)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_classify_transient_end)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_glob_pathological)->Unit(benchmark::kMillisecond)->Iterations(5);

// Console output plus a closing summary: MB/s (10^6 bytes) by CPU time and by wall time (the
// host is shared, so wall time includes waiting for a core), and the classify/baseline ratio.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.iterations == 0) continue;
      const std::string& name = r.run_name.function_name;
      if (name == "BM_glob_pathological") continue;  // not a log scan: its time is printed above
      const std::size_t size =
          name == "BM_classify_transient_end" ? transient_log().size() : big_log().size();
      const double bytes = static_cast<double>(r.iterations) * static_cast<double>(size);
      rates_[name] = {bytes / r.cpu_accumulated_time / 1e6, bytes / r.real_accumulated_time / 1e6};
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nlog size: %.1f MB\n%-28s %14s %14s\n",
                static_cast<double>(big_log().size()) / 1e6, "", "MB/s (cpu)", "MB/s (wall)");
    for (const auto& [name, r] : rates_)
      std::printf("%-28s %14.1f %14.1f\n", name.c_str(), r.cpu, r.wall);
    const auto base = rates_.find("BM_baseline_memchr_lines");
    const auto cls = rates_.find("BM_classify");
    if (base != rates_.end() && cls != rates_.end()) {
      std::printf("classify / baseline (cpu): %.3f   target: classify >= 200 MB/s\n",
                  cls->second.cpu / base->second.cpu);
      stackrun::bench::table_row("classifier throughput (CPU)", "MB/s", {cls->second.cpu}, ">= 200",
                                 base->second.cpu, "memchr line scan");
    }
  }

 private:
  struct Rate {
    double cpu, wall;
  };
  std::map<std::string, Rate> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  big_log();  // build the inputs outside the timed runs
  transient_log();
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
