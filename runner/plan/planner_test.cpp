#include "runner/plan/planner.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace stackrun::plan {
namespace {

using pipelines::Discovery;
using pipelines::Pipeline;
using pipelines::Tier;
using Lines = std::vector<std::string>;

// ── discover_stacks ─────────────────────────────────────────────────────────────────────────

struct DiscoverRow {
  const char* name;
  Lines files;
  std::string root, marker;
  Lines want;
};

const DiscoverRow kDiscoverRows[] = {
    {"repo root: a root marker is a parent config",
     {"terragrunt.hcl", "a/terragrunt.hcl", "a/b/terragrunt.hcl", "README.md"},
     ".",
     "terragrunt.hcl",
     {"a", "a/b"}},
    {"under stacks/: parent config, modules and shared files are not stacks",
     {"modules/m/terragrunt.hcl", "stacks/a/terragrunt.hcl", "stacks/apps/common.hcl",
      "stacks/apps/x/terragrunt.hcl", "stacks/terragrunt.hcl"},
     "stacks",
     "terragrunt.hcl",
     {"stacks/a", "stacks/apps/x"}},
    {"root written ./stacks/",
     {"stacks/a/terragrunt.hcl", "stacks/terragrunt.hcl"},
     "./stacks/",
     "terragrunt.hcl",
     {"stacks/a"}},
    {"root written ./", {"a/terragrunt.hcl", "terragrunt.hcl"}, "./", "terragrunt.hcl", {"a"}},
    {"root empty string", {"a/terragrunt.hcl", "terragrunt.hcl"}, "", "terragrunt.hcl", {"a"}},
    {"another marker",
     {"stacks/a/stack.hcl", "stacks/b/terragrunt.hcl"},
     "stacks",
     "stack.hcl",
     {"stacks/a"}},
    {"marker must be the whole file name",
     {"stacks/a/xterragrunt.hcl", "stacks/b/terragrunt.hcl.bak", "stacks/c/terragrunt.hcl"},
     "stacks",
     "terragrunt.hcl",
     {"stacks/c"}},
    {"root is a directory, not a prefix",
     {"stacks2/a/terragrunt.hcl", "stacksa/terragrunt.hcl"},
     "stacks",
     "terragrunt.hcl",
     {}},
    {"nested root",
     {"infra/stacks/a/terragrunt.hcl", "infra/b/terragrunt.hcl"},
     "infra/stacks",
     "terragrunt.hcl",
     {"infra/stacks/a"}},
    {"unsorted and duplicate input",
     {"z/terragrunt.hcl", "a/terragrunt.hcl", "z/terragrunt.hcl"},
     ".",
     "terragrunt.hcl",
     {"a", "z"}},
    {"nested stacks are both stacks",
     {"s/a/terragrunt.hcl", "s/a/b/terragrunt.hcl"},
     "s",
     "terragrunt.hcl",
     {"s/a", "s/a/b"}},
    {"no files", {}, ".", "terragrunt.hcl", {}},
};

TEST(DiscoverStacks, Table) {
  for (const auto& row : kDiscoverRows) {
    Discovery d;
    d.root = row.root;
    d.marker = row.marker;
    EXPECT_EQ(discover_stacks(row.files, d), row.want) << row.name;
  }
}

// ── plan_stacks ─────────────────────────────────────────────────────────────────────────────

// The sample repo's apply pipeline: root stacks/, platform tier by name, apps catch-all,
// vault human-only.
Pipeline sample() {
  Pipeline p;
  p.stacks.root = "stacks";
  p.stacks.human_only = {{"vault", "Tier-0, human-applied via OIDC"}};
  p.tiers = {Tier{"platform", {"infra", "cnpg", "dbaas", "vault", "external-secrets"}, 1, {}, {}},
             Tier{"apps", {}, 4, {"platform"}, {}}};
  return p;
}

const Lines kSampleStacks = {
    "stacks/authentik", "stacks/cnpg",   "stacks/dbaas", "stacks/external-secrets",
    "stacks/grafana",   "stacks/immich", "stacks/infra", "stacks/vault"};

struct PlanRow {
  const char* name;
  std::function<Pipeline()> pipeline;
  Lines stacks_at_to;
  Lines changed;                                // changed_since["B"]; every stack's base is "B"
  std::function<void(PlanInput&)> adjust = {};  // per-row tweaks of the input
  Lines want;                                   // "tier\tpath\treason" in execution order
  Lines want_excluded = {};                     // "path\treason\ttier"
  Lines want_removed = {};
};

const PlanRow kPlanRows[] = {
    {"one changed file selects its stack",
     sample,
     kSampleStacks,
     {"stacks/grafana/terragrunt.hcl"},
     {},
     {"apps\tstacks/grafana\tchanged: stacks/grafana/terragrunt.hcl"}},
    {"platform before apps, paths sorted within a tier",
     sample,
     kSampleStacks,
     {"stacks/dbaas/x.tf", "stacks/grafana/terragrunt.hcl", "stacks/authentik/terragrunt.hcl",
      "stacks/cnpg/terragrunt.hcl"},
     {},
     {"platform\tstacks/cnpg\tchanged: stacks/cnpg/terragrunt.hcl",
      "platform\tstacks/dbaas\tchanged: stacks/dbaas/x.tf",
      "apps\tstacks/authentik\tchanged: stacks/authentik/terragrunt.hcl",
      "apps\tstacks/grafana\tchanged: stacks/grafana/terragrunt.hcl"}},
    {"reason names the first changed path of the stack",
     sample,
     kSampleStacks,
     {"stacks/dbaas/a.tf", "stacks/dbaas/b.tf"},
     {},
     {"platform\tstacks/dbaas\tchanged: stacks/dbaas/a.tf"}},
    {"nothing changed, nothing runs", sample, kSampleStacks, {}, {}, {}},
    {"paths outside the root select nothing",
     sample,
     kSampleStacks,
     {"README.md", "modules/k8s-app/main.tf", ".stackrun/apply.yml", "stacksx/a.hcl"},
     {},
     {}},
    {"a stack directory prefix is not the stack",
     sample,
     {"stacks/graf", "stacks/grafana"},
     {"stacks/grafana/x.tf"},
     {},
     {"apps\tstacks/grafana\tchanged: stacks/grafana/x.tf"}},
    {"shared root file selects every stack; human-only reported",
     sample,
     kSampleStacks,
     {"stacks/terragrunt.hcl"},
     {},
     {"platform\tstacks/cnpg\tshared file changed: stacks/terragrunt.hcl",
      "platform\tstacks/dbaas\tshared file changed: stacks/terragrunt.hcl",
      "platform\tstacks/external-secrets\tshared file changed: stacks/terragrunt.hcl",
      "platform\tstacks/infra\tshared file changed: stacks/terragrunt.hcl",
      "apps\tstacks/authentik\tshared file changed: stacks/terragrunt.hcl",
      "apps\tstacks/grafana\tshared file changed: stacks/terragrunt.hcl",
      "apps\tstacks/immich\tshared file changed: stacks/terragrunt.hcl"},
     {"stacks/vault\thuman-only: Tier-0, human-applied via OIDC\tplatform"}},
    {"shared file in a subdirectory selects only stacks below it",
     sample,
     {"stacks/apps/api", "stacks/apps/web", "stacks/dbaas", "stacks/appsx"},
     {"stacks/apps/common.hcl"},
     {},
     {"apps\tstacks/apps/api\tshared file changed: stacks/apps/common.hcl",
      "apps\tstacks/apps/web\tshared file changed: stacks/apps/common.hcl"}},
    {"a direct change wins over a shared file",
     sample,
     {"stacks/apps/api", "stacks/apps/web"},
     {"stacks/apps/common.hcl", "stacks/apps/web/main.tf"},
     {},
     {"apps\tstacks/apps/api\tshared file changed: stacks/apps/common.hcl",
      "apps\tstacks/apps/web\tchanged: stacks/apps/web/main.tf"}},
    {"a file inside a stack is not shared with stacks below its directory",
     sample,
     {"stacks/a", "stacks/a/b", "stacks/c"},
     {"stacks/a/x.hcl"},
     {},
     {"apps\tstacks/a\tchanged: stacks/a/x.hcl"}},
    {"nested stacks: a change in the inner one is inside both directories",
     sample,
     {"stacks/a", "stacks/a/b"},
     {"stacks/a/b/main.tf"},
     {},
     {"apps\tstacks/a\tchanged: stacks/a/b/main.tf",
      "apps\tstacks/a/b\tchanged: stacks/a/b/main.tf"}},
    {"shared file at the repo root with root '.' selects everything",
     [] {
       Pipeline p = synthetic_pipeline(Discovery{});
       return p;
     },
     {"a", "b/c"},
     {"terragrunt.hcl"},
     {},
     {"all\ta\tshared file changed: terragrunt.hcl",
      "all\tb/c\tshared file changed: terragrunt.hcl"}},
    {"root '.': a shared file in a directory selects stacks below it only",
     [] { return synthetic_pipeline(Discovery{}); },
     {"envs/prod/a", "envs/stage/a", "other"},
     {"envs/prod/env.hcl"},
     {},
     {"all\tenvs/prod/a\tshared file changed: envs/prod/env.hcl"}},
    {"rename: both old and new paths count",
     sample,
     {"stacks/a", "stacks/b"},
     {"stacks/a/moved.tf", "stacks/b/moved.tf"},
     {},
     {"apps\tstacks/a\tchanged: stacks/a/moved.tf", "apps\tstacks/b\tchanged: stacks/b/moved.tf"}},
    {"no base commit: selected",
     sample,
     {"stacks/dbaas", "stacks/grafana"},
     {},
     [](PlanInput& in) { in.base_of.erase("stacks/grafana"); },
     {"apps\tstacks/grafana\tno previous apply recorded"}},
    {"empty base commit counts as none",
     sample,
     {"stacks/grafana"},
     {},
     [](PlanInput& in) { in.base_of["stacks/grafana"] = ""; },
     {"apps\tstacks/grafana\tno previous apply recorded"}},
    {"each stack diffs from its own base",
     sample,
     {"stacks/dbaas", "stacks/grafana"},
     {"stacks/grafana/x.tf"},
     [](PlanInput& in) {
       in.base_of["stacks/dbaas"] = "OLD";
       in.changed_since["OLD"] = {"stacks/dbaas/x.tf", "stacks/grafana/x.tf"};
     },
     {"platform\tstacks/dbaas\tchanged: stacks/dbaas/x.tf",
      "apps\tstacks/grafana\tchanged: stacks/grafana/x.tf"}},
    {"a base whose diff is missing is selected",
     sample,
     {"stacks/grafana"},
     {},
     [](PlanInput& in) { in.base_of["stacks/grafana"] = "GONE"; },
     {"apps\tstacks/grafana\tno diff available from GONE"}},
    {"select all from the input",
     sample,
     {"stacks/dbaas", "stacks/grafana", "stacks/vault"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"platform\tstacks/dbaas\tselect: all", "apps\tstacks/grafana\tselect: all"},
     {"stacks/vault\thuman-only: Tier-0, human-applied via OIDC\tplatform"}},
    {"select all from the pipeline",
     [] {
       Pipeline p = sample();
       p.stacks.select = Discovery::Select::all;
       return p;
     },
     {"stacks/grafana", "stacks/infra"},
     {},
     {},
     {"platform\tstacks/infra\tselect: all", "apps\tstacks/grafana\tselect: all"}},
    {"unchanged excluded stacks are not reported",
     sample,
     kSampleStacks,
     {"stacks/grafana/a.tf"},
     {},
     {"apps\tstacks/grafana\tchanged: stacks/grafana/a.tf"}},
    {"stacks.exclude wins over human_only and names its glob",
     [] {
       Pipeline p = sample();
       p.stacks.exclude = {"legacy/*", "vau*"};
       return p;
     },
     {"stacks/legacy/old", "stacks/legacy", "stacks/vault"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"apps\tstacks/legacy\tselect: all"},
     {"stacks/legacy/old\texcluded by stacks.exclude (legacy/*)\tapps",
      "stacks/vault\texcluded by stacks.exclude (vau*)\tplatform"}},
    {"human_only globs see the path relative to the root",
     [] {
       Pipeline p = sample();
       p.stacks.human_only = {{"secrets/**", "break-glass"}};
       return p;
     },
     {"stacks/secrets/a", "stacks/secretsx"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"apps\tstacks/secretsx\tselect: all"},
     {"stacks/secrets/a\thuman-only: break-glass\tapps"}},
    {"no catch-all tier: unmatched stacks are in no tier",
     [] {
       Pipeline p = sample();
       p.tiers.pop_back();
       return p;
     },
     {"stacks/dbaas", "stacks/grafana"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"platform\tstacks/dbaas\tselect: all"},
     {"stacks/grafana\tin no tier\t"}},
    {"first tier in list order with a matching glob wins",
     [] {
       Pipeline p = sample();
       p.tiers = {Tier{"data", {"db*"}, 1, {}, {}}, Tier{"exact", {"dbaas"}, 1, {"data"}, {}}};
       return p;
     },
     {"stacks/dbaas"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"data\tstacks/dbaas\tselect: all"}},
    {"a catch-all listed first takes only what no other tier claims",
     [] {
       Pipeline p = sample();
       p.tiers = {Tier{"rest", {}, 1, {}, {}}, Tier{"late", {"z*"}, 1, {"rest"}, {}}};
       return p;
     },
     {"stacks/a", "stacks/zed"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"rest\tstacks/a\tselect: all", "late\tstacks/zed\tselect: all"}},
    {"tier order follows needs, not list order",
     [] {
       Pipeline p = sample();
       p.tiers = {Tier{"apps", {}, 4, {"platform"}, {}}, Tier{"platform", {"dbaas"}, 1, {}, {}}};
       return p;
     },
     {"stacks/dbaas", "stacks/grafana"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"platform\tstacks/dbaas\tselect: all", "apps\tstacks/grafana\tselect: all"}},
    {"tier globs with ** and braces",
     [] {
       Pipeline p = sample();
       p.tiers = {Tier{"core", {"{infra,net}/**"}, 1, {}, {}}, Tier{"rest", {}, 1, {"core"}, {}}};
       return p;
     },
     {"stacks/infra/dns", "stacks/net", "stacks/web"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"core\tstacks/infra/dns\tselect: all", "core\tstacks/net\tselect: all",
      "rest\tstacks/web\tselect: all"}},
    {"root '.': globs see the repo-relative path",
     [] {
       Pipeline p = synthetic_pipeline(Discovery{});
       p.tiers = {Tier{"platform", {"stacks/dbaas"}, 1, {}, {}},
                  Tier{"apps", {}, 1, {"platform"}, {}}};
       return p;
     },
     {"stacks/dbaas", "stacks/grafana"},
     {},
     [](PlanInput& in) { in.select_all = true; },
     {"platform\tstacks/dbaas\tselect: all", "apps\tstacks/grafana\tselect: all"}},
    {"removed stacks are reported, never planned",
     sample,
     {"stacks/grafana"},
     {"stacks/old/terragrunt.hcl", "stacks/grafana/x.tf"},
     [](PlanInput& in) {
       in.previously_known = {"stacks/old", "stacks/grafana", "stacks/gone"};
     },
     {"apps\tstacks/grafana\tchanged: stacks/grafana/x.tf"},
     {},
     {"stacks/gone", "stacks/old"}},
    {"a file of a removed stack is not a shared file for its siblings",
     sample,
     {"stacks/a", "stacks/b"},
     {"stacks/old/terragrunt.hcl"},
     [](PlanInput& in) {
       in.previously_known = {"stacks/a", "stacks/b", "stacks/old"};
     },
     {},
     {},
     {"stacks/old"}},
};

std::string show(const PlannedStack& s) {
  return s.tier + "\t" + s.path + "\t" + s.reason;
}
std::string show(const ExcludedStack& s) {
  return s.path + "\t" + s.reason + "\t" + s.tier;
}

TEST(PlanStacks, Table) {
  for (const auto& row : kPlanRows) {
    const Pipeline p = row.pipeline();
    PlanInput in;
    in.pipeline = &p;
    in.stacks_at_to = row.stacks_at_to;
    for (const auto& s : row.stacks_at_to) in.base_of[s] = "B";
    in.changed_since["B"] = row.changed;
    if (row.adjust) row.adjust(in);
    const Plan plan = plan_stacks(in);
    Lines got, got_excluded;
    for (const auto& s : plan.stacks) got.push_back(show(s));
    for (const auto& s : plan.excluded) got_excluded.push_back(show(s));
    EXPECT_EQ(got, row.want) << row.name;
    EXPECT_EQ(got_excluded, row.want_excluded) << row.name;
    EXPECT_EQ(plan.removed, row.want_removed) << row.name;
  }
}

TEST(PlanStacks, TierIndexIsExecutionPosition) {
  Pipeline p = sample();
  p.tiers = {Tier{"apps", {}, 4, {"platform"}, {}}, Tier{"late", {"z*"}, 1, {"apps"}, {}},
             Tier{"platform", {"dbaas"}, 1, {}, {}}};
  PlanInput in;
  in.pipeline = &p;
  in.stacks_at_to = {"stacks/dbaas", "stacks/grafana", "stacks/zz"};
  in.select_all = true;
  const Plan plan = plan_stacks(in);
  ASSERT_EQ(plan.stacks.size(), 3u);
  EXPECT_EQ(plan.stacks[0].tier, "platform");
  EXPECT_EQ(plan.stacks[0].tier_index, 0);
  EXPECT_EQ(plan.stacks[1].tier, "apps");
  EXPECT_EQ(plan.stacks[1].tier_index, 1);
  EXPECT_EQ(plan.stacks[2].tier, "late");
  EXPECT_EQ(plan.stacks[2].tier_index, 2);
}

TEST(PlanStacks, WithoutPipelineUsesOneCatchAllTier) {
  PlanInput in;
  in.stacks_at_to = {"b", "a"};
  const Plan plan = plan_stacks(in);
  ASSERT_EQ(plan.stacks.size(), 2u);
  EXPECT_EQ(show(plan.stacks[0]), "all\ta\tno previous apply recorded");
  EXPECT_EQ(show(plan.stacks[1]), "all\tb\tno previous apply recorded");
}

// With each stack's configuration read: a change selects exactly the stacks that read it.
TEST(PlanStacks, WhatEachStackReadsDecidesWithTheChainThatSelectedIt) {
  Discovery d;
  d.root = "stacks";
  Pipeline p = synthetic_pipeline(d);
  std::map<std::string, hcl::StackConfig> configs;
  configs["stacks/db"].reads = {{"stacks/terragrunt.hcl", false, "include"},
                                {"_envcommon/mysql.hcl", false, "include"},
                                {"modules/k8s-app", true, "terraform.source"}};
  configs["stacks/web"].reads = {{"stacks/terragrunt.hcl", false, "include"},
                                 {"modules/web", true,
                                  "include -> _envcommon/web.hcl -> "
                                  "terraform.source"}};
  configs["stacks/odd"].unresolved = {
      "stacks/odd/terragrunt.hcl:5:12: get_env(): the "
      "environment is not known statically"};
  struct Row {
    const char* name;
    Lines changed;
    Lines want;
  } rows[] = {
      {"a module change: the stacks deploying it",
       {"modules/k8s-app/main.tf"},
       {"stacks/db via terraform.source -> modules/k8s-app/main.tf",
        "stacks/odd configuration not fully resolved, selected to be safe: "
        "stacks/odd/terragrunt.hcl:5:12: get_env(): the environment is not known statically"}},
      {"an _envcommon change",
       {"_envcommon/mysql.hcl"},
       {"stacks/db via include -> _envcommon/mysql.hcl",
        "stacks/odd configuration not fully "
        "resolved, selected to be safe: "
        "stacks/odd/terragrunt.hcl:5:12: "
        "get_env(): the environment is not "
        "known statically"}},
      {"the root config: every stack including it",
       {"stacks/terragrunt.hcl"},
       {"stacks/db via include -> stacks/terragrunt.hcl",
        "stacks/odd configuration not fully resolved, selected to be safe: "
        "stacks/odd/terragrunt.hcl:5:12: get_env(): the environment is not known statically",
        "stacks/web via include -> stacks/terragrunt.hcl"}},
      {"a README nobody reads selects nothing but the unresolved",
       {"stacks/README.md"},
       {"stacks/odd configuration not fully resolved, selected to be safe: "
        "stacks/odd/terragrunt.hcl:5:12: get_env(): the environment is not known statically"}},
      {"a direct change wins, and a module dir matches by directory, not prefix",
       {"stacks/web/terragrunt.hcl", "modules/web2/main.tf"},
       {"stacks/odd configuration not fully resolved, selected to be safe: "
        "stacks/odd/terragrunt.hcl:5:12: get_env(): the environment is not known statically",
        "stacks/web changed: stacks/web/terragrunt.hcl"}},
      {"a chain through an included file", {"modules/web/x/y.tf"}, {}},
      {"nothing changed: nothing, the unresolved included", {}, {}},
  };
  rows[5].want = {
      "stacks/odd configuration not fully resolved, selected to be safe: "
      "stacks/odd/terragrunt.hcl:5:12: get_env(): the environment is not known "
      "statically",
      "stacks/web via include -> _envcommon/web.hcl -> terraform.source -> "
      "modules/web/x/y.tf"};
  for (const auto& r : rows) {
    PlanInput in;
    in.pipeline = &p;
    in.stacks_at_to = {"stacks/db", "stacks/odd", "stacks/web"};
    for (const auto& s : in.stacks_at_to) in.base_of[s] = "base";
    in.changed_since["base"] = r.changed;
    in.configs = &configs;
    Lines got;
    for (const auto& s : plan_stacks(in).stacks) got.push_back(s.path + " " + s.reason);
    EXPECT_EQ(got, r.want) << r.name;
  }
}

// Dependencies: planned stacks wait for the planned stacks they depend on; dependents are
// selected only with include_dependents; cycles and later-tier dependencies are errors.
TEST(PlanStacks, DependenciesOrderSelectAndRefuse) {
  Pipeline p;
  p.stacks.root = "stacks";
  p.tiers = {Tier{"data", {"db*"}, 1, {}, {}}, Tier{"apps", {}, 2, {}, {}}};
  std::map<std::string, hcl::StackConfig> configs;
  configs["stacks/app"].dependencies = {"stacks/db", "stacks/vpc"};
  configs["stacks/web"].dependencies = {"stacks/app"};
  configs["stacks/db"].dependencies = {};
  auto plan_of = [&](const Lines& changed, bool dependents) {
    p.stacks.include_dependents = dependents;
    PlanInput in;
    in.pipeline = &p;
    in.stacks_at_to = {"stacks/app", "stacks/db", "stacks/vpc", "stacks/web"};
    for (const auto& s : in.stacks_at_to) in.base_of[s] = "base";
    in.changed_since["base"] = changed;
    in.configs = &configs;
    return plan_stacks(in);
  };
  auto lines = [](const Plan& plan) {
    Lines out;
    for (const auto& s : plan.stacks) {
      std::string needs;
      for (const auto& n : s.needs) needs += " " + n;
      out.push_back(s.tier + " " + s.path + " [" + s.reason + "] after:" + needs);
    }
    return out;
  };
  // Only what changed, ordered inside the apps tier; db is in an earlier tier (no wait).
  EXPECT_EQ(lines(plan_of({"stacks/app/x.tf", "stacks/web/x.tf", "stacks/vpc/x.tf"}, false)),
            (Lines{"apps stacks/app [changed: stacks/app/x.tf] after: stacks/vpc",
                   "apps stacks/vpc [changed: stacks/vpc/x.tf] after:",
                   "apps stacks/web [changed: stacks/web/x.tf] after: stacks/app"}));
  // db changed: its dependents are not selected by default...
  EXPECT_EQ(lines(plan_of({"stacks/db/x.tf"}, false)),
            (Lines{"data stacks/db [changed: stacks/db/x.tf] after:"}));
  // ...and are, transitively, with include_dependents.
  EXPECT_EQ(lines(plan_of({"stacks/db/x.tf"}, true)),
            (Lines{"data stacks/db [changed: stacks/db/x.tf] after:",
                   "apps stacks/app [depends on stacks/db] after: stacks/db",
                   "apps stacks/web [depends on stacks/app] after: stacks/app"}));
  EXPECT_TRUE(plan_of({"stacks/db/x.tf"}, true).errors.empty());

  // A cycle among selected stacks is named.
  configs["stacks/vpc"].dependencies = {"stacks/web"};
  const auto cyclic = plan_of({"stacks/app/x.tf", "stacks/web/x.tf", "stacks/vpc/x.tf"}, false);
  EXPECT_EQ(cyclic.errors,
            Lines{"dependency cycle: stacks/app -> stacks/vpc -> stacks/web -> stacks/app"});
  configs["stacks/vpc"].dependencies.clear();
  // A stack of an earlier tier depending on one of a later tier.
  configs["stacks/db"].dependencies = {"stacks/vpc"};
  EXPECT_EQ(plan_of({"stacks/db/x.tf", "stacks/vpc/x.tf"}, false).errors,
            Lines{"stacks/db (tier data) depends on stacks/vpc of the later tier apps"});
}

TEST(SyntheticPipeline, OneCatchAllTierAndTheGivenDiscovery) {
  Discovery d;
  d.root = "live";
  d.marker = "stack.hcl";
  const Pipeline p = synthetic_pipeline(d);
  EXPECT_EQ(p.stacks.root, "live");
  EXPECT_EQ(p.stacks.marker, "stack.hcl");
  EXPECT_EQ(p.stacks.select, Discovery::Select::changed);
  ASSERT_EQ(p.tiers.size(), 1u);
  EXPECT_EQ(p.tiers[0].name, "all");
  EXPECT_TRUE(p.tiers[0].stacks.empty());
  EXPECT_EQ(p.kind, pipelines::Kind::apply);
}

}  // namespace
}  // namespace stackrun::plan
