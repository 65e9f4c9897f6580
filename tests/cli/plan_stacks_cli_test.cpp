// Black-box: `stackrun plan-stacks` over real git repositories (the sample infra repo from
// examples/make-sample-repo, and small ones built here): exact text/JSON and exit codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using stackrun::testing::CommandResult;
using stackrun::testing::run_command;
using stackrun::testing::TempDir;
using stackrun::testing::write_file;

const std::string kSrc = STACKRUN_SOURCE_DIR;

class PlanStacksCli : public ::testing::Test {
 protected:
  // Runs git in `repo_` (fixed identity, no user/system config); returns trimmed stdout.
  std::string git(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"git", "-C", repo_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv, "", std::chrono::seconds(60), env_);
    EXPECT_EQ(r.exit_code, 0) << "git " << args[0] << " failed: " << r.err;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  void write(const std::string& rel, const std::string& content) {
    write_file(fs::path(repo_) / rel, content);
  }
  void append(const std::string& rel, const std::string& line) {
    write_file(fs::path(repo_) / rel, read(rel) + line);
  }
  std::string read(const std::string& rel) {
    auto r = run_command({"cat", (fs::path(repo_) / rel).string()});
    return r.out;
  }
  std::string commit(const std::string& message) {
    git({"add", "-A"});
    git({"commit", "-q", "-m", message});
    return git({"rev-parse", "HEAD"});
  }
  void make_sample() {
    auto r = run_command({kSrc + "/examples/make-sample-repo", repo_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void make_empty() {
    fs::create_directories(repo_);
    git({"init", "-q", "-b", "main"});
  }
  CommandResult plan(std::vector<std::string> args) {
    std::vector<std::string> argv{STACKRUN_BIN, "plan-stacks", "--repo", repo_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  TempDir tmp_{"stackrun-plan-stacks"};
  std::string repo_ = (tmp_.path() / "repo").string();
  std::map<std::string, std::string> env_{
      {"GIT_AUTHOR_NAME", "t"},           {"GIT_AUTHOR_EMAIL", "t@example.invalid"},
      {"GIT_COMMITTER_NAME", "t"},        {"GIT_COMMITTER_EMAIL", "t@example.invalid"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
};

TEST_F(PlanStacksCli, SamplePushOfThreeStacksPlatformFirst) {
  make_sample();
  const std::string base = git({"rev-parse", "HEAD"});
  for (const char* s : {"grafana", "dbaas", "immich"})
    append(std::string("stacks/") + s + "/terragrunt.hcl", "# touched\n");
  const std::string three = commit("touch three stacks");

  auto r = plan({"--from", base, "--to", three, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      R"({"stacks":[)"
      R"({"path":"stacks/dbaas","tier":"platform","reason":"changed: stacks/dbaas/terragrunt.hcl"},)"
      R"({"path":"stacks/grafana","tier":"apps","reason":"changed: stacks/grafana/terragrunt.hcl"},)"
      R"({"path":"stacks/immich","tier":"apps","reason":"changed: stacks/immich/terragrunt.hcl"}],)"
      R"("removed":[],"excluded":[]})"
      "\n");
  EXPECT_EQ(r.err, "");

  auto text = plan({"--from", base, "--to", three});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out,
            "platform\tstacks/dbaas\tchanged: stacks/dbaas/terragrunt.hcl\n"
            "apps\tstacks/grafana\tchanged: stacks/grafana/terragrunt.hcl\n"
            "apps\tstacks/immich\tchanged: stacks/immich/terragrunt.hcl\n");
}

TEST_F(PlanStacksCli, SampleRootConfigSelectsEveryStackIncludingItButHumanOnlyVault) {
  make_sample();
  const std::string base = git({"rev-parse", "HEAD"});
  append("stacks/dbaas/terragrunt.hcl", "# touched\n");
  const std::string one = commit("touch dbaas");
  append("stacks/terragrunt.hcl", "# shared\n");
  const std::string shared = commit("touch the root config");

  auto r = plan({"--from", one, "--to", shared, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string why = "via include -> stacks/terragrunt.hcl";
  std::string want = R"({"stacks":[)";
  const std::vector<std::pair<const char*, const char*>> order = {
      {"cnpg", "platform"},  {"dbaas", "platform"},  {"external-secrets", "platform"},
      {"infra", "platform"}, {"authentik", "apps"},  {"grafana", "apps"},
      {"immich", "apps"},    {"monitoring", "apps"}, {"nextcloud", "apps"},
      {"paperless", "apps"}};
  for (size_t i = 0; i < order.size(); ++i) {
    want += std::string(i ? "," : "") + R"({"path":"stacks/)" + order[i].first + R"(","tier":")" +
            order[i].second + R"(","reason":")" + why + R"("})";
  }
  want +=
      R"(],"removed":[],"excluded":[{"path":"stacks/vault","reason":"human-only: Tier-0, human-applied via OIDC"}]})";
  EXPECT_EQ(r.out, want + "\n");

  // Across both commits, dbaas's own change is its reason; the rest come from the root config.
  auto both = plan({"--from", base, "--to", shared, "--json"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  auto j = nlohmann::json::parse(both.out);
  ASSERT_EQ(j["stacks"].size(), 10u);
  EXPECT_EQ(j["stacks"][1]["path"], "stacks/dbaas");
  EXPECT_EQ(j["stacks"][1]["reason"], "changed: stacks/dbaas/terragrunt.hcl");
  EXPECT_EQ(j["stacks"][0]["reason"], why);
}

TEST_F(PlanStacksCli, RemovedAndRenamedStacks) {
  make_sample();
  const std::string base = git({"rev-parse", "HEAD"});
  git({"rm", "-q", "-r", "stacks/paperless"});
  git({"mv", "stacks/grafana", "stacks/dashboards"});
  const std::string to = commit("remove paperless, rename grafana");

  auto r = plan({"--from", base, "--to", to});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "apps\tstacks/dashboards\tchanged: stacks/dashboards/terragrunt.hcl\n"
            "removed\tstacks/grafana\n"
            "removed\tstacks/paperless\n");
  auto j = plan({"--from", base, "--to", to, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out)["removed"],
            nlohmann::json({"stacks/grafana", "stacks/paperless"}));
}

TEST_F(PlanStacksCli, WithoutFromEveryStackHasNoPreviousApply) {
  make_sample();
  auto r = plan({"--to", "master", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["stacks"].size(), 10u);
  for (const auto& s : j["stacks"]) EXPECT_EQ(s["reason"], "no previous apply recorded");
  EXPECT_EQ(j["stacks"][0]["path"], "stacks/cnpg");
  EXPECT_EQ(j["stacks"][4]["path"], "stacks/authentik");
  EXPECT_EQ(j["excluded"][0]["path"], "stacks/vault");
  EXPECT_EQ(j["removed"], nlohmann::json::array());
}

TEST_F(PlanStacksCli, PipelineChosenByName) {
  make_sample();
  auto r = plan({"--to", "master", "--pipeline", "drift"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "all\tstacks/authentik\tselect: all\n"
            "all\tstacks/cnpg\tselect: all\n"
            "all\tstacks/dbaas\tselect: all\n"
            "all\tstacks/external-secrets\tselect: all\n"
            "all\tstacks/grafana\tselect: all\n"
            "all\tstacks/immich\tselect: all\n"
            "all\tstacks/infra\tselect: all\n"
            "all\tstacks/monitoring\tselect: all\n"
            "all\tstacks/nextcloud\tselect: all\n"
            "all\tstacks/paperless\tselect: all\n"
            "excluded\tstacks/vault\thuman-only: Tier-0, human-applied via OIDC\n");
  auto missing = plan({"--to", "master", "--pipeline", "nightly"});
  EXPECT_EQ(missing.exit_code, 2);
  const std::string sha7 = git({"rev-parse", "--short=7", "HEAD"});
  EXPECT_EQ(missing.err, "stackrun plan-stacks: no pipeline named \"nightly\" in .stackrun/ at " +
                             sha7 + " (found: apply, drift)\n");
}

// Exactly what a push changed: the module every sample stack deploys selects them all (with
// the chain), a README beside the stacks selects nothing.
TEST_F(PlanStacksCli, AModuleChangeSelectsItsStacksAndAReadmeNothing) {
  make_sample();
  const std::string base = git({"rev-parse", "HEAD"});
  append("modules/k8s-app/main.tf", "# a module change\n");
  const std::string module = commit("module change");
  write("stacks/README.md", "# stacks\n");
  const std::string readme = commit("a README beside the stacks");

  auto m = plan({"--from", base, "--to", module});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.out.find("platform\tstacks/dbaas\tvia terraform.source -> "
                       "modules/k8s-app/main.tf\n"),
            std::string::npos)
      << m.out;
  EXPECT_NE(m.out.find("apps\tstacks/grafana\tvia terraform.source -> "
                       "modules/k8s-app/main.tf\n"),
            std::string::npos)
      << m.out;
  auto r = plan({"--from", module, "--to", readme, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"stacks":[],"removed":[],"excluded":[]})"
                   "\n");
}

TEST_F(PlanStacksCli, RootAndMarkerWithoutPipeline) {
  make_empty();
  write("live/stack.hcl", "# parent config, not a stack\n");
  write("live/net/stack.hcl", "");
  // db reads the parent config; net does not (it is a stack of its own).
  write("live/db/stack.hcl", "include {\n  path = find_in_parent_folders(\"stack.hcl\")\n}\n");
  write("live/db/terragrunt.hcl", "");
  write("other/x/stack.hcl", "");
  write(".stackrun/apply.yml", "this pipeline is ignored with --root: [\n");
  const std::string from = commit("first");
  write("live/stack.hcl", "# changed parent\n");
  write("other/x/stack.hcl", "changed outside the root\n");
  const std::string to = commit("second");

  auto r = plan({"--from", from, "--to", to, "--root", "live", "--marker", "stack.hcl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "all\tlive/db\tvia include -> live/stack.hcl\n");
  auto fresh = plan({"--to", to, "--root", "./live/", "--marker", "stack.hcl", "--json"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(
      fresh.out,
      R"({"stacks":[{"path":"live/db","tier":"all","reason":"no previous apply recorded"},)"
      R"({"path":"live/net","tier":"all","reason":"no previous apply recorded"}],"removed":[],"excluded":[]})"
      "\n");
  // --root alone: default marker terragrunt.hcl.
  auto tg = plan({"--to", to, "--root", "live"});
  ASSERT_EQ(tg.exit_code, 0) << tg.err;
  EXPECT_EQ(tg.out, "all\tlive/db\tno previous apply recorded\n");
}

TEST_F(PlanStacksCli, NoPipelineFileFallsBackToRepoRoot) {
  make_empty();
  write("terragrunt.hcl", "");
  write("a/terragrunt.hcl", "");
  write("b/terragrunt.hcl", "");
  const std::string from = commit("first");
  write("b/main.tf", "");
  const std::string to = commit("second");
  auto r = plan({"--from", from, "--to", to});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "all\tb\tchanged: b/main.tf\n");
  EXPECT_EQ(r.err, "stackrun plan-stacks: no push apply pipeline in .stackrun/ at " +
                       to.substr(0, 7) + "; using --root . --marker terragrunt.hcl\n");
}

TEST_F(PlanStacksCli, InvalidPipelineExitsOneWithLocatedDiagnostics) {
  make_sample();
  write(".stackrun/apply.yml", read(".stackrun/apply.yml") + "bogus_key: 1\n");
  const std::string to = commit("break the pipeline");
  const std::string text = read(".stackrun/apply.yml");
  const std::string lines = std::to_string(std::count(text.begin(), text.end(), '\n'));
  auto r = plan({"--to", to});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string where = ".stackrun/apply.yml@" + to.substr(0, 7) + ":" + lines + ":1: ";
  EXPECT_EQ(r.err.rfind(where, 0), 0u) << r.err;
  EXPECT_NE(r.err.find("bogus_key"), std::string::npos) << r.err;
}

TEST_F(PlanStacksCli, UsageErrors) {
  make_sample();
  auto bad_rev = plan({"--to", "no-such-branch"});
  EXPECT_EQ(bad_rev.exit_code, 2);
  EXPECT_EQ(bad_rev.out, "");
  EXPECT_EQ(
      bad_rev.err,
      "stackrun plan-stacks: " + repo_ +
          ": cannot resolve revision \"no-such-branch\": revspec 'no-such-branch' not found\n");
  auto bad_from = plan({"--from", "deadbeef", "--to", "master"});
  EXPECT_EQ(bad_from.exit_code, 2);
  EXPECT_NE(bad_from.err.find("cannot resolve revision \"deadbeef\""), std::string::npos)
      << bad_from.err;

  const std::string nowhere = (tmp_.path() / "nowhere").string();
  auto bad_repo = run_command({STACKRUN_BIN, "plan-stacks", "--repo", nowhere, "--to", "HEAD"});
  EXPECT_EQ(bad_repo.exit_code, 2);
  EXPECT_EQ(
      bad_repo.err.rfind("stackrun plan-stacks: cannot open git repository " + nowhere + ": ", 0),
      0u)
      << bad_repo.err;

  EXPECT_EQ(run_command({STACKRUN_BIN, "plan-stacks", "--repo", repo_}).exit_code, 2)
      << "--to is required";
  EXPECT_EQ(plan({"--to", "master", "--pipeline", "apply", "--root", "stacks"}).exit_code, 2);
}

// `lint --repo`: every pipeline of the revision, and whether the stacks of its apply pipelines
// can be ordered. The sample repo is clean; a cycle and a dependency on a later tier are each
// reported once, naming the pipeline file, with exit 1.
TEST_F(PlanStacksCli, LintRepoReportsStacksThatCannotBeOrdered) {
  make_sample();
  auto clean = run_command({STACKRUN_BIN, "lint", "--repo", repo_});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.out, "");

  // infra now depends on dbaas (which depends on cnpg, which depends on infra): a cycle. And
  // cnpg, in the platform tier, depends on grafana of the later apps tier.
  append("stacks/infra/terragrunt.hcl", "dependency \"db\" {\n  config_path = \"../dbaas\"\n}\n");
  append("stacks/cnpg/terragrunt.hcl",
         "dependency \"dash\" {\n  config_path = \"../grafana\"\n}\n");
  commit("tangle the stacks");
  auto r = run_command({STACKRUN_BIN, "lint", "--repo", repo_, "--rev", "master"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find(".stackrun/apply.yml: stacks: dependency cycle: "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(".stackrun/apply.yml: stacks: stacks/cnpg (tier platform) depends on "
                       "stacks/grafana of the later tier apps"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("drift.yml: stacks"), std::string::npos) << "plans are never ordered";
  EXPECT_NE(r.err.find(" in 2 files"), std::string::npos) << r.err;

  auto both = run_command({STACKRUN_BIN, "lint", "--repo", repo_, "x.yml"});
  EXPECT_EQ(both.exit_code, 2) << "files and --repo exclude each other";
  auto bad = run_command({STACKRUN_BIN, "lint", "--repo", repo_, "--rev", "nope"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("cannot resolve revision \"nope\""), std::string::npos) << bad.err;
}

}  // namespace
