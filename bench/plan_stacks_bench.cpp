// `stackrun plan-stacks` on a generated Terragrunt live repo (500 stacks, 20,000 files, one
// real git repo in a temp dir), beside floors measured in the same invocation: the spawn of
// /bin/true, `stackrun --version` (start-up), `git diff --name-only` over the same commits and
// `git ls-tree -r` (listing every file, as plan-stacks does at both ends).
// Two changes are planned BENCH_RUNS (20) times each: 5 stacks' own terragrunt.hcl edited, and
// one _envcommon/<svc>.hcl edited (selects the 25 stacks of that service). Every answer is
// checked; a wrong one exits 1. Target: well under a second (issue 10). BENCH_KEEP keeps the repo.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using stackrun::bench::Clock;
using stackrun::bench::env_int;
using stackrun::bench::git;
using stackrun::bench::ms_since;
using stackrun::testing::run_command;
using stackrun::testing::write_file;
const std::string kBin = STACKRUN_BIN;
constexpr int kStacks = 500, kFiles = 20'000;

const std::vector<std::string> kServices = {
    "vpc",     "eks", "rds", "redis",  "s3-logs", "iam-roles",  "kms",
    "alb",     "dns", "ecr", "sqs",    "sns",     "lambda-api", "monitoring",
    "bastion", "waf", "cdn", "backup", "secrets", "opensearch"};
const std::vector<std::string> kAccounts = {"dev", "stage", "prod", "shared", "sandbox"};
// (region, env) under each account: 5 x 5 x 20 services = 500 stacks, 25 per service.
const std::vector<std::pair<std::string, std::string>> kLocations = {{"us-east-1", "blue"},
                                                                     {"us-east-1", "green"},
                                                                     {"eu-west-1", "blue"},
                                                                     {"eu-west-1", "green"},
                                                                     {"ap-southeast-2", "main"}};

std::string commit(const std::string& repo, const std::string& message) {
  git(repo, {"add", "-A"});
  git(repo,
      {"-c", "user.name=b", "-c", "user.email=b@example.invalid", "commit", "-q", "-m", message});
  const std::string sha = git(repo, {"rev-parse", "HEAD"});
  return sha.substr(0, sha.find('\n'));
}

const char* kRootHcl = R"H(locals {
  account_vars = read_terragrunt_config(find_in_parent_folders("account.hcl"))
  region_vars  = read_terragrunt_config(find_in_parent_folders("region.hcl"))
  env_vars     = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  account_name = local.account_vars.locals.account_name
  account_id   = local.account_vars.locals.aws_account_id
  aws_region   = local.region_vars.locals.aws_region
}

remote_state {
  backend = "s3"
  config = {
    encrypt        = true
    bucket         = "acme-tfstate-${local.account_name}-${local.aws_region}"
    key            = "${path_relative_to_include()}/terraform.tfstate"
    region         = local.aws_region
    dynamodb_table = "terraform-locks"
  }
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
}

inputs = merge(local.account_vars.locals, local.region_vars.locals, local.env_vars.locals)
)H";

std::string envcommon_hcl(const std::string& svc) {
  return "locals {\n"
         "  env_vars = read_terragrunt_config(find_in_parent_folders(\"env.hcl\"))\n"
         "  env      = local.env_vars.locals.environment\n}\n\n"
         "terraform {\n  source = \"${get_repo_root()}/modules/" +
         svc + "//\"\n}\n\ninputs = {\n  name = \"" + svc + "-${local.env}\"\n}\n";
}

std::string stack_hcl(const std::string& svc, int i) {
  std::string s =
      "include \"root\" {\n  path = find_in_parent_folders()\n}\n\n"
      "include \"envcommon\" {\n"
      "  path   = \"${dirname(find_in_parent_folders())}/_envcommon/" +
      svc + ".hcl\"\n  expose = true\n}\n";
  const bool needs_vpc = svc != "vpc" && i % 2 == 0;
  if (needs_vpc)
    s += "\ndependency \"vpc\" {\n  config_path = \"../vpc\"\n"
         "  mock_outputs = { vpc_id = \"vpc-00000000\" }\n}\n";
  s += "\ninputs = {\n  instance_count = " + std::to_string(1 + i % 3) + "\n";
  if (needs_vpc) s += "  vpc_id         = dependency.vpc.outputs.vpc_id\n";
  return s + "}\n";
}

// Filler that no stack reads: runbooks, policies, module examples and tests, 100 per directory.
void write_filler(const fs::path& root, int count) {
  for (int i = 0; i < count; ++i) {
    const int d = i / 100;
    const std::string svc = kServices[static_cast<size_t>(d) % kServices.size()];
    const std::string n = std::to_string(i);
    switch (d % 4) {
      case 0:
        write_file(root / "docs/runbooks" / std::to_string(d) / (n + ".md"),
                   "# Runbook " + n + "\n\nSteps for " + svc + ".\n");
        break;
      case 1:
        write_file(root / "policies" / svc / std::to_string(d) / (n + ".json"),
                   "{\"Version\": \"2012-10-17\", \"Statement\": []}\n");
        break;
      case 2:
        write_file(root / "test" / svc / std::to_string(d) / (n + "_test.go"),
                   "package test\n\n// case " + n + "\n");
        break;
      default:
        write_file(root / "tools" / std::to_string(d) / (n + ".tf"),
                   "variable \"v" + n + "\" {}\n");
    }
  }
}

struct Generated {
  std::vector<std::string> stacks;             // live/<account>/<region>/<env>/<svc>
  std::map<std::string, std::string> service;  // stack -> its service
};

Generated generate(const fs::path& root) {
  Generated g;
  int files = 0;
  auto put = [&](const fs::path& p, const std::string& text) {
    write_file(root / p, text);
    ++files;
  };
  put("README.md", "# acme infrastructure-live\n");
  put(".gitignore", ".terragrunt-cache/\n.terraform/\n");
  put("terragrunt.hcl", kRootHcl);
  for (const auto& svc : kServices) {
    put("_envcommon/" + svc + ".hcl", envcommon_hcl(svc));
    for (const char* f : {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"})
      put("modules/" + svc + "/" + f, "# " + svc + " " + f + "\n");
  }
  int i = 0;
  for (size_t a = 0; a < kAccounts.size(); ++a) {
    const std::string acc = "live/" + kAccounts[a];
    put(acc + "/account.hcl", "locals {\n  account_name   = \"" + kAccounts[a] +
                                  "\"\n  aws_account_id = \"10000000000" + std::to_string(a) +
                                  "\"\n}\n");
    for (const auto& [region, env] : kLocations) {
      if (!fs::exists(root / acc / region / "region.hcl"))
        put(acc + "/" + region + "/region.hcl", "locals {\n  aws_region = \"" + region + "\"\n}\n");
      const std::string dir = acc + "/" + region + "/" + env;
      put(dir + "/env.hcl", "locals {\n  environment = \"" + env + "\"\n}\n");
      for (const auto& svc : kServices) {
        const std::string stack = dir + "/" + svc;
        put(stack + "/terragrunt.hcl", stack_hcl(svc, i++));
        put(stack + "/README.md", "# " + stack + "\n");
        g.stacks.push_back(stack);
        g.service[stack] = svc;
      }
    }
  }
  write_filler(root, kFiles - files);
  return g;
}

struct Series {
  std::vector<double> ms;
  double median() const {
    std::vector<double> v = ms;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }
};

// One figure: a command and a check of its stdout (returns an error, or "" when right).
struct Probe {
  std::string figure, target;
  std::vector<std::string> argv;
  std::function<std::string(const std::string&)> check;
  Series series;
};

// Runs each probe once untimed (warm caches, check answers), then `runs` rounds of every
// probe in turn, so that load changes during the run hit every figure alike. Each command is
// bounded by 60 s; a failure or a wrong answer throws.
void measure(std::vector<Probe>& probes, int runs) {
  for (int round = -1; round < runs; ++round) {
    for (auto& p : probes) {
      const auto t0 = Clock::now();
      auto r = run_command(p.argv, "", std::chrono::seconds(60));
      const double ms = ms_since(t0);
      if (r.exit_code != 0)
        throw std::runtime_error(p.figure + ": exit " + std::to_string(r.exit_code) + ": " + r.err);
      if (const std::string e = p.check(r.out); !e.empty())
        throw std::runtime_error(p.figure + ": " + e);
      if (round >= 0) p.series.ms.push_back(ms);
    }
  }
}

// The stacks of `stackrun plan-stacks` text output must be exactly `want`, each reason
// starting with `reason`, and nothing excluded or removed.
std::string check_plan(const std::string& out, const std::set<std::string>& want,
                       const std::string& reason) {
  std::set<std::string> got;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos || line.rfind("excluded", 0) == 0 ||
        line.rfind("removed", 0) == 0)
      return "unexpected plan-stacks line: " + line;
    const std::string path = line.substr(t1 + 1, t2 - t1 - 1);
    if (line.compare(t2 + 1, reason.size(), reason) != 0)
      return "plan-stacks gave " + path + " the reason \"" + line.substr(t2 + 1) +
             "\", want one starting \"" + reason + "\"";
    got.insert(path);
  }
  if (got != want)
    return "plan-stacks selected " + std::to_string(got.size()) + " stacks, want exactly " +
           std::to_string(want.size()) + "; output:\n" + out;
  return "";
}

void print_row(const Probe& p, double floor) {
  const Series& s = p.series;
  char range[64];
  std::snprintf(range, sizeof range, "%.1f-%.1f ms", *std::min_element(s.ms.begin(), s.ms.end()),
                *std::max_element(s.ms.begin(), s.ms.end()));
  std::printf("%-38s %9.1f ms  %-18s %4zu   %-10s %7.1f\n", p.figure.c_str(), s.median(), range,
              s.ms.size(), p.target.c_str(), s.median() / floor);
}

// The generated repo and its three commits: A (initial), B (five stacks edited), C (one
// _envcommon file edited), with the stacks each change must select.
struct Fixture {
  Generated gen;
  std::string a, b, c, service = "rds";
  std::set<std::string> five, of_service;
  long files = 0;
};

Fixture make_fixture(const std::string& repo) {
  Fixture f;
  f.gen = generate(repo);
  git(repo, {"init", "-q"});
  f.a = commit(repo, "initial");
  for (int i : {3, 107, 211, 318, 444}) {  // B: five stacks edit their own terragrunt.hcl
    const std::string& stack = f.gen.stacks[static_cast<size_t>(i)];
    write_file(fs::path(repo) / stack / "terragrunt.hcl",
               stack_hcl(f.gen.service.at(stack), i) + "# bench edit\n");
    f.five.insert(stack);
  }
  f.b = commit(repo, "five stacks");
  // C: one _envcommon file, read (through an include) by every stack of its service.
  write_file(fs::path(repo) / "_envcommon" / (f.service + ".hcl"),
             envcommon_hcl(f.service) + "# bench edit\n");
  f.c = commit(repo, "envcommon");
  for (const auto& [stack, svc] : f.gen.service)
    if (svc == f.service) f.of_service.insert(stack);
  git(repo, {"gc", "-q"});  // packed, as a CI clone is
  const std::string listed = git(repo, {"ls-files"});
  f.files = static_cast<long>(std::count(listed.begin(), listed.end(), '\n'));
  if (f.gen.stacks.size() != kStacks || f.files != kFiles)
    throw std::runtime_error("generated " + std::to_string(f.gen.stacks.size()) + " stacks and " +
                             std::to_string(f.files) + " files, want 500 and 20000");
  return f;
}

}  // namespace

int main() try {
  const int runs = std::clamp(env_int("BENCH_RUNS", 20), 1, 1000);
  stackrun::testing::TempDir dir("stackrun-bench-plan");
  if (std::getenv("BENCH_KEEP")) dir.keep();
  const std::string repo = (dir.path() / "live-repo").string();
  const auto g0 = Clock::now();
  const Fixture f = make_fixture(repo);
  const double gen_s = ms_since(g0) / 1000;

  auto any = [](const std::string&) { return std::string(); };
  auto plan = [&](const std::string& from, const std::string& to) {
    return std::vector<std::string>{kBin, "plan-stacks", "--repo", repo,     "--from",
                                    from, "--to",        to,       "--root", "live"};
  };
  const std::string target = "<= 20 ms";  // issue 11 (issue 10 asked < 1000 ms)
  std::vector<Probe> probes = {
      {"spawn /bin/true", "floor", {"/bin/true"}, any, {}},
      {"stackrun --version (start-up)", "-", {kBin, "--version"}, any, {}},
      {"git diff --name-only (5 stacks)",
       "-",
       {"git", "-C", repo, "diff", "--name-only", f.a, f.b},
       [](const std::string& out) {
         return std::count(out.begin(), out.end(), '\n') == 5 ? "" : "listed:\n" + out;
       },
       {}},
      {"git ls-tree -r --name-only (all files)",
       "-",
       {"git", "-C", repo, "ls-tree", "-r", "--name-only", f.b},
       [](const std::string& out) {
         return std::count(out.begin(), out.end(), '\n') == kFiles ? "" : "wrong file count";
       },
       {}},
      {"plan-stacks, 5 stacks changed",
       target,
       plan(f.a, f.b),
       [&](const std::string& out) { return check_plan(out, f.five, "changed: "); },
       {}},
      {"plan-stacks, _envcommon change (" + std::to_string(f.of_service.size()) + ")",
       target,
       plan(f.b, f.c),
       [&](const std::string& out) {
         return check_plan(out, f.of_service, "via include -> _envcommon/");
       },
       {}}};
  measure(probes, runs);

  std::printf("plan-stacks benchmark: %zu stacks, %ld files (generated in %.1f s)\n",
              f.gen.stacks.size(), f.files, gen_s);
  std::printf("%-38s %12s  %-18s %4s   %-10s %7s\n", "figure", "median", "min-max", "N", "target",
              "x floor");
  const double floor = probes.front().series.median();
  for (const auto& p : probes) print_row(p, floor);
  for (const auto& p : probes)
    if (p.target != "floor" && p.figure.rfind("git ", 0) != 0)
      stackrun::bench::table_row(p.figure + (p.target == "-" ? "" : ", 500 stacks / 20k files"),
                                 "ms", p.series.ms, p.target == "-" ? "a few ms" : p.target, floor,
                                 "spawn /bin/true");
  std::printf("answers checked on every run: the %zu edited stacks; the %zu stacks of %s\n",
              f.five.size(), f.of_service.size(), f.service.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "plan-stacks bench: %s\n", e.what());
  return 1;
}
