// The two anchor examples load cleanly into the expected model; defaults are filled in.
#include "pipelines/loader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace stackrun::pipelines {
namespace {

using namespace std::chrono_literals;

std::string read_example(const std::string& name) {
  std::ifstream in(std::string(STACKRUN_SOURCE_DIR) + "/examples/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Pipeline load_clean(const std::string& text, const std::string& file) {
  auto r = load_pipeline(text, file);
  std::string all;
  for (const auto& d : r.diagnostics) all += d.str() + "\n";
  EXPECT_TRUE(r.diagnostics.empty()) << all;
  EXPECT_TRUE(r.pipeline.has_value());
  return r.pipeline.value_or(Pipeline{});
}

TEST(LoadExample, Apply) {
  const auto text = read_example("apply.yml");
  ASSERT_FALSE(text.empty());
  const Pipeline p = load_clean(text, "examples/apply.yml");
  EXPECT_EQ(p.file, "examples/apply.yml");
  EXPECT_EQ(p.name, "apply");
  EXPECT_EQ(p.kind, Kind::apply);

  ASSERT_EQ(p.when.size(), 2u);
  EXPECT_EQ(p.when[0].events, std::vector<Event>{Event::push});
  EXPECT_EQ(p.when[0].branches, (std::vector<std::string>{"master", "main"}));
  EXPECT_EQ(p.when[0].path_include, (std::vector<std::string>{"stacks/**", "modules/**"}));
  EXPECT_EQ(p.when[0].path_exclude, std::vector<std::string>{"**/*.md"});
  EXPECT_EQ(p.when[0].loc.line, 8);
  EXPECT_EQ(p.when[1].events, std::vector<Event>{Event::manual});
  EXPECT_TRUE(p.when[1].branches.empty());
  EXPECT_TRUE(p.schedules.empty());

  EXPECT_EQ(p.stacks.root, "stacks");
  EXPECT_EQ(p.stacks.marker, "terragrunt.hcl");
  EXPECT_EQ(p.stacks.select, Discovery::Select::changed);
  EXPECT_EQ(p.stacks.human_only,
            (std::map<std::string, std::string>{{"vault", "Tier-0, human-applied via OIDC"}}));

  ASSERT_EQ(p.tiers.size(), 2u);
  EXPECT_EQ(p.tiers[0].name, "platform");
  EXPECT_EQ(p.tiers[0].stacks,
            (std::vector<std::string>{"infra", "cnpg", "dbaas", "vault", "external-secrets"}));
  EXPECT_EQ(p.tiers[0].parallelism, 1);
  EXPECT_TRUE(p.tiers[0].needs.empty());
  EXPECT_EQ(p.tiers[1].name, "apps");
  EXPECT_TRUE(p.tiers[1].stacks.empty());
  EXPECT_EQ(p.tiers[1].parallelism, 4);
  EXPECT_EQ(p.tiers[1].needs, std::vector<std::string>{"platform"});

  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].name, "plan");
  EXPECT_EQ(p.steps[0].command,
            "terragrunt plan --non-interactive -input=false -lock-timeout=${TG_LOCK_TIMEOUT:-1m} "
            "-out=\"$PWD/tfplan\"\nterragrunt show --non-interactive -json \"$PWD/tfplan\" > "
            "tfplan.json\n");
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(p.steps[0].env,
            (Env{{"VAULT_ADDR", "http://vault-active.vault.svc.cluster.local:8200"}}));
  EXPECT_EQ(p.steps[0].timeout, 30min);
  EXPECT_EQ(p.steps[0].dir, "");
  EXPECT_TRUE(p.steps[0].exit_codes.empty());
  ASSERT_TRUE(p.steps[0].saved_plan);
  EXPECT_EQ(p.steps[0].saved_plan->file, "tfplan");
  EXPECT_EQ(p.steps[0].saved_plan->json, "tfplan.json");
  EXPECT_EQ(saved_plan_step(p.steps), 0u);
  EXPECT_EQ(p.steps[1].name, "apply");
  EXPECT_EQ(p.steps[1].command,
            "terragrunt apply --non-interactive -input=false -lock-timeout=${TG_LOCK_TIMEOUT:-1m} "
            "\"$PWD/tfplan\"");
  EXPECT_FALSE(p.steps[1].saved_plan);
  EXPECT_EQ(p.destroy_guard, core::DestroyGuard::approve);

  EXPECT_EQ(p.on_failure.lock.wait, 5min);
  EXPECT_EQ(p.on_failure.lock.poll, 10s);
  EXPECT_EQ(p.on_failure.lock.then, core::LockPolicy::Then::skip);
  EXPECT_EQ(p.on_failure.transient.attempts, 3);
  EXPECT_EQ(p.on_failure.transient.backoff, 15s);
  EXPECT_EQ(p.on_failure.transient.max_backoff, 2min);
  EXPECT_DOUBLE_EQ(p.on_failure.transient.jitter, 0.2);  // default

  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_EQ(p.rules[0].cls, core::Class::transient);
  EXPECT_EQ(p.rules[0].id, "pipeline.transient[0]");
  EXPECT_EQ(p.rules[0].pattern, "pq: (?:unexpected EOF|connection reset by peer)");
  EXPECT_TRUE(p.labels.empty());
}

TEST(LoadExample, Drift) {
  const auto text = read_example("drift.yml");
  ASSERT_FALSE(text.empty());
  const Pipeline p = load_clean(text, "examples/drift.yml");
  EXPECT_EQ(p.name, "drift");
  EXPECT_EQ(p.kind, Kind::plan);

  ASSERT_EQ(p.schedules.size(), 1u);
  EXPECT_EQ(p.schedules[0].name, "nightly");
  EXPECT_EQ(p.schedules[0].cron, "17 3 * * *");
  EXPECT_EQ(p.schedules[0].timezone, "UTC");
  EXPECT_EQ(p.schedules[0].deadman, std::chrono::hours(26));
  EXPECT_EQ(p.schedules[0].loc.line, 7);

  ASSERT_EQ(p.when.size(), 2u);
  EXPECT_EQ(p.when[0].events, std::vector<Event>{Event::cron});
  EXPECT_EQ(p.when[0].crons, std::vector<std::string>{"nightly"});
  EXPECT_EQ(p.when[1].events, std::vector<Event>{Event::manual});

  EXPECT_EQ(p.stacks.root, "stacks");
  EXPECT_EQ(p.stacks.marker, "terragrunt.hcl");  // default
  EXPECT_EQ(p.stacks.select, Discovery::Select::all);
  EXPECT_EQ(p.stacks.human_only.at("vault"), "Tier-0, human-applied via OIDC");

  ASSERT_EQ(p.tiers.size(), 1u);
  EXPECT_EQ(p.tiers[0].name, "all");
  EXPECT_TRUE(p.tiers[0].stacks.empty());
  EXPECT_EQ(p.tiers[0].parallelism, 4);
  EXPECT_TRUE(p.tiers[0].needs.empty());

  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_EQ(p.steps[0].timeout, 20min);
  EXPECT_EQ(p.steps[0].exit_codes, (std::map<int, core::Class>{{2, core::Class::drift}}));

  EXPECT_EQ(p.on_failure.lock.wait, 10min);
  EXPECT_EQ(p.on_failure.lock.poll, 1min);
  EXPECT_EQ(p.on_failure.lock.then, core::LockPolicy::Then::skip);
  EXPECT_EQ(p.on_failure.transient.attempts, 2);
  EXPECT_EQ(p.on_failure.transient.backoff, 30s);
  EXPECT_EQ(p.on_failure.transient.max_backoff, 2min);  // default
  EXPECT_TRUE(p.rules.empty());
}

const char* kMinimal = R"(version: 1
name: min
when: [{event: manual}]
steps: [{name: plan, command: terragrunt plan}]
)";

TEST(LoadDefaults, MinimalPipeline) {
  const Pipeline p = load_clean(kMinimal, "min.yml");
  EXPECT_EQ(p.kind, Kind::apply);
  EXPECT_EQ(p.stacks.root, ".");
  EXPECT_EQ(p.stacks.marker, "terragrunt.hcl");
  EXPECT_EQ(p.stacks.select, Discovery::Select::changed);
  ASSERT_EQ(p.tiers.size(), 1u);  // no tiers: one tier "all" holding every stack
  EXPECT_EQ(p.tiers[0].name, "all");
  EXPECT_TRUE(p.tiers[0].stacks.empty());
  EXPECT_EQ(p.tiers[0].parallelism, 1);
  EXPECT_TRUE(p.tiers[0].needs.empty());
  EXPECT_EQ(p.steps[0].timeout, 1h);
  EXPECT_EQ(p.on_failure.lock.wait, 5min);
  EXPECT_EQ(p.on_failure.transient.attempts, 3);
  EXPECT_EQ(p.destroy_guard, core::DestroyGuard::approve);  // the default, unused without a plan
  EXPECT_EQ(saved_plan_step(p.steps), std::nullopt);
}

TEST(LoadValues, SavedPlanShorthandAndTheGuardsModes) {
  const char* yaml = R"(version: 1
name: p
when: [{event: manual}]
guards: {destroy: refuse}
steps:
  - {name: plan, command: c, dir: live, saved_plan: out/tfplan}
  - {name: apply, command: c}
)";
  const Pipeline p = load_clean(yaml, "p.yml");
  EXPECT_EQ(p.destroy_guard, core::DestroyGuard::refuse);
  ASSERT_TRUE(p.steps[0].saved_plan);
  EXPECT_EQ(p.steps[0].saved_plan->file, "out/tfplan");
  EXPECT_EQ(p.steps[0].saved_plan->json, "");  // the plan summary decides
  EXPECT_EQ(p.steps[0].saved_plan->loc.line, 6);
  std::string allow = yaml;
  allow.replace(allow.find("refuse"), 6, "allow");
  EXPECT_EQ(load_clean(allow, "p.yml").destroy_guard, core::DestroyGuard::allow);
}

TEST(LoadValues, SecretsListNamesTheVariableAsTheSecret) {
  const Pipeline p = load_clean(R"(version: 1
name: p
when: [{event: manual}]
steps:
  - {name: plan, command: c}
  - {name: apply, command: c, secrets: [PG_PASSWORD, vault_token]}
)",
                                "s.yml");
  EXPECT_TRUE(p.steps[0].secrets.empty());
  ASSERT_EQ(p.steps[1].secrets.size(), 2u);
  EXPECT_EQ(p.steps[1].secrets[0].env, "PG_PASSWORD");
  EXPECT_EQ(p.steps[1].secrets[0].name, "PG_PASSWORD");
  EXPECT_EQ(p.steps[1].secrets[0].loc.line, 6);
  EXPECT_EQ(p.steps[1].secrets[1].env, "vault_token");
  EXPECT_EQ(p.steps[1].secrets[1].name, "vault_token");
}

TEST(LoadValues, ShorthandsAndFullForms) {
  const Pipeline p = load_clean(R"(version: 1
name: full_form-2
when:
  - event: [push, cron]
    branch: main
    path: ["stacks/**"]
    cron: nightly
schedules:
  nightly: {cron: "@daily", timezone: America/Argentina/Buenos_Aires}
stacks:
  exclude: ["legacy/**"]
  human_only: [vault, "iam/*"]
tiers:
  - {name: a, stacks: [x]}
  - {name: b, stacks: [y], needs: []}
  - {name: c, needs: [a, b], parallelism: 8}
steps:
  - name: s
    command: |
      echo hi
    env: {B: 2, A: true, C: "x", D: 1.50}
    secrets: {PGPASSWORD: pg_password, TOKEN: vault_token}
    dir: sub/dir
    exit_codes: {0: success, 3: lock, 255: transient}
on_failure:
  lock: fail
  transient: fail
  fatal: fail
classify:
  lock: [{id: my.lock, match: "lease held"}]
  fatal: ["a", "b"]
labels: [gpu, "region=eu"]
)",
                                "f.yml");
  EXPECT_EQ(p.when[0].events, (std::vector<Event>{Event::push, Event::cron}));
  EXPECT_EQ(p.when[0].branches, std::vector<std::string>{"main"});
  EXPECT_EQ(p.when[0].path_include, std::vector<std::string>{"stacks/**"});
  EXPECT_EQ(p.when[0].crons, std::vector<std::string>{"nightly"});
  EXPECT_EQ(p.schedules[0].timezone, "America/Argentina/Buenos_Aires");
  EXPECT_EQ(p.stacks.exclude, std::vector<std::string>{"legacy/**"});
  EXPECT_EQ(p.stacks.human_only,
            (std::map<std::string, std::string>{{"vault", "human-only stack"},
                                                {"iam/*", "human-only stack"}}));
  EXPECT_TRUE(p.tiers[1].needs.empty());
  EXPECT_EQ(p.tiers[2].needs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.tiers[2].parallelism, 8);
  EXPECT_EQ(p.steps[0].command, "echo hi\n");
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(p.steps[0].env, (Env{{"B", "2"}, {"A", "true"}, {"C", "x"}, {"D", "1.50"}}));
  ASSERT_EQ(p.steps[0].secrets.size(), 2u);
  EXPECT_EQ(p.steps[0].secrets[0].env, "PGPASSWORD");
  EXPECT_EQ(p.steps[0].secrets[0].name, "pg_password");
  EXPECT_EQ(p.steps[0].secrets[1].env, "TOKEN");
  EXPECT_EQ(p.steps[0].secrets[1].name, "vault_token");
  EXPECT_EQ(p.steps[0].dir, "sub/dir");
  EXPECT_EQ(p.steps[0].exit_codes,
            (std::map<int, core::Class>{
                {0, core::Class::success}, {3, core::Class::lock}, {255, core::Class::transient}}));
  EXPECT_EQ(p.on_failure.lock.wait, 0ms);
  EXPECT_EQ(p.on_failure.lock.then, core::LockPolicy::Then::fail);
  EXPECT_EQ(p.on_failure.transient.attempts, 1);
  ASSERT_EQ(p.rules.size(), 3u);
  EXPECT_EQ(p.rules[0].id, "my.lock");
  EXPECT_EQ(p.rules[0].cls, core::Class::lock);
  EXPECT_EQ(p.rules[0].pattern, "lease held");
  EXPECT_EQ(p.rules[1].id, "pipeline.fatal[0]");
  EXPECT_EQ(p.rules[2].id, "pipeline.fatal[1]");
  EXPECT_EQ(p.rules[2].pattern, "b");
  EXPECT_EQ(p.labels, (std::vector<std::string>{"gpu", "region=eu"}));
}

TEST(Diagnostic, Str) {
  EXPECT_EQ((Diagnostic{{"a.yml", 3, 7}, "boom"}.str()), "a.yml:3:7: boom");
}

}  // namespace
}  // namespace stackrun::pipelines
