// Every diagnostic kind, as exact text: the messages are interface (`stackrun lint` prints
// them and editors jump to file:line:col).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipelines/loader.hpp"

namespace stackrun::pipelines {
namespace {

struct Row {
  const char* name;
  const char* yaml;
  std::vector<std::string> want;  // Diagnostic::str() in order
};

// Valid tails so that each row only differs where it means to.
#define HEAD "version: 1\nname: p\n"
#define WHEN "when: [{event: manual}]\n"
#define STEPS "steps: [{name: s, command: c}]\n"

const Row kRows[] = {
    // unknown keys
    {"unknown key, close",
     HEAD WHEN "steps:\n  - name: s\n    command: c\n    tiemout: 5m\n",
     {"p.yml:7:5: unknown key \"tiemout\" in step (did you mean \"timeout\"?)"}},
    {"unknown key, far",
     HEAD WHEN "steps:\n  - {name: s, command: c, shell: bash}\n",
     {"p.yml:5:27: unknown key \"shell\" in step (allowed: name, command, env, secrets, "
      "timeout, dir, exit_codes, saved_plan)"}},
    {"unknown top-level key",
     HEAD WHEN STEPS "step: []\n",
     {"p.yml:5:1: unknown key \"step\" in pipeline (did you mean \"steps\"?)"}},
    {"unknown key in when",
     HEAD "when: [{events: push}]\n" STEPS,
     {"p.yml:3:9: unknown key \"events\" in when condition (did you mean \"event\"?)"}},
    {"non-string key",
     HEAD WHEN STEPS "? [a]\n: 1\n",
     {"p.yml:5:3: mapping keys must be strings, got list"}},
    // wrong types
    {"wrong type int",
     HEAD WHEN STEPS "tiers: [{name: a, parallelism: four}]\n",
     {"p.yml:5:32: \"parallelism\" must be an integer, got string \"four\""}},
    {"quoted number is a string",
     HEAD WHEN STEPS "tiers: [{name: a, parallelism: \"4\"}]\n",
     {"p.yml:5:32: \"parallelism\" must be an integer, got string \"4\""}},
    {"wrong type string",
     HEAD WHEN "steps: [{name: s, command: true}]\n",
     {"p.yml:4:28: \"command\" must be a string, got boolean true"}},
    {"wrong type list item",
     HEAD WHEN STEPS "labels: [gpu, 5]\n",
     {"p.yml:5:15: \"labels[1]\" must be a string, got integer 5"}},
    {"wrong type mapping",
     HEAD WHEN STEPS "stacks: [a]\n",
     {"p.yml:5:9: \"stacks\" must be a mapping, got list"}},
    {"empty value points at its key",
     HEAD WHEN "steps:\n  - name: s\n    command:\n",
     {"p.yml:6:5: \"command\" must be a string, got null"}},
    {"top level not a mapping",
     "- a\n- b\n",
     {"p.yml:1:1: \"pipeline\" must be a mapping, got list"}},
    {"parallelism below 1",
     HEAD WHEN STEPS "tiers: [{name: a, parallelism: 0}]\n",
     {"p.yml:5:32: \"parallelism\" must be at least 1, got 0"}},
    {"version", "version: 2\nname: p\n" WHEN STEPS, {"p.yml:1:10: \"version\" must be 1, got 2"}},
    {"pipeline name",
     "version: 1\nname: Apply\n" WHEN STEPS,
     {"p.yml:2:7: \"name\" must match [a-z0-9][a-z0-9_-]*, got \"Apply\""}},
    // globs
    {"bad glob",
     HEAD WHEN STEPS "tiers: [{name: a, stacks: [\"stacks/[abc\"]}]\n",
     {"p.yml:5:28: invalid glob \"stacks/[abc\": unclosed '['"}},
    {"bad branch glob",
     HEAD "when: [{event: push, branch: \"{main\"}]\n" STEPS,
     {"p.yml:3:30: invalid glob \"{main\": unclosed '{'"}},
    {"bad path glob",
     HEAD "when: [{path: {exclude: [\"a\\\\\"]}}]\n" STEPS,
     {"p.yml:3:26: invalid glob \"a\\\": trailing '\\'"}},
    {"bad human_only glob",
     HEAD WHEN STEPS "stacks: {human_only: {\"[x\": why}}\n",
     {"p.yml:5:23: invalid glob \"[x\": unclosed '['"}},
    // regexes
    {"bad regex",
     HEAD WHEN STEPS "classify:\n  transient: [\"(abc\"]\n",
     {"p.yml:6:15: invalid regex: missing ): (abc"}},
    {"bad regex in a rule map",
     HEAD WHEN STEPS "classify: {lock: [{id: x, match: \"a**\"}]}\n",
     {"p.yml:5:34: invalid regex: bad repetition operator: **"}},
    {"rule map without match",
     HEAD WHEN STEPS "classify: {lock: [{id: x}]}\n",
     {"p.yml:5:19: classify rule is missing required key \"match\""}},
    {"unknown class",
     HEAD WHEN STEPS "classify: {drift: [x]}\n",
     {"p.yml:5:12: unknown key \"drift\" in classify (allowed: lock, transient, fatal)"}},
    {"duplicate rule id",
     HEAD WHEN STEPS "classify: {lock: [{id: x, match: a}, {id: x, match: b}]}\n",
     {"p.yml:5:38: duplicate rule id \"x\" (first at line 5)"}},
    // cron and schedules
    {"bad cron",
     HEAD "schedules:\n  nightly: {cron: \"61 * * * *\"}\n"
          "when: [{event: cron}]\n" STEPS,
     {"p.yml:4:19: cron \"61 * * * *\": minute 61 out of range 0-59"}},
    {"unknown schedule",
     HEAD "schedules: {nightly: {cron: \"@daily\"}}\n"
          "when: [{event: cron, cron: [nightly2]}]\n" STEPS,
     {"p.yml:4:29: unknown schedule \"nightly2\" (declared: nightly)"}},
    {"schedule used before it is declared",
     HEAD "when: [{event: cron, cron: nightly}]\n"
          "schedules: {nightly: {cron: \"@daily\"}}\n" STEPS,
     {}},
    {"cron without event cron",
     HEAD "schedules: {n: {cron: \"@daily\"}}\n"
          "when: [{event: push, cron: n}]\n" STEPS,
     {"p.yml:4:22: \"cron\" is only valid when \"event\" includes cron"}},
    {"event cron without schedules",
     HEAD "when: [{event: cron}]\n" STEPS,
     {"p.yml:3:16: event \"cron\" never fires: \"schedules\" declares none"}},
    {"bad timezone",
     HEAD "schedules: {n: {cron: \"@daily\", timezone: CET+1}}\n"
          "when: [{event: cron}]\n" STEPS,
     {"p.yml:3:43: \"timezone\": unknown time zone \"CET+1\" (an IANA name such as "
      "Europe/Berlin, or UTC)"}},
    {"unknown timezone of the right shape",
     HEAD "schedules: {n: {cron: \"@daily\", timezone: Europe/Atlantis}}\n"
          "when: [{event: cron}]\n" STEPS,
     {"p.yml:3:43: \"timezone\": unknown time zone \"Europe/Atlantis\" (an IANA name such as "
      "Europe/Berlin, or UTC)"}},
    {"dead-man window shorter than a minute",
     HEAD "schedules: {n: {cron: \"@daily\", deadman: 30s}}\n"
          "when: [{event: cron}]\n" STEPS,
     {"p.yml:3:42: \"deadman\": must be at least 1m (a window shorter than a cron minute "
      "would always be breached)"}},
    {"dead-man window that is not a duration",
     HEAD "schedules: {n: {cron: \"@daily\", deadman: 1d}}\n"
          "when: [{event: cron}]\n" STEPS,
     {"p.yml:3:42: \"deadman\": invalid duration \"1d\" (expected e.g. 30s, 5m, 1h30m, 250ms)"}},
    {"cron that never fires",
     HEAD "schedules: {n: {cron: \"0 0 31 2 *\"}}\n"
          "when: [{event: cron}]\n" STEPS,
     {"p.yml:3:23: cron \"0 0 31 2 *\": never fires (no day matches its day-of-month, month and "
      "day-of-week)"}},
    // tiers
    {"tier cycle",
     HEAD WHEN STEPS "tiers:\n  - {name: a, needs: [b]}\n  - {name: b, stacks: [x]}\n",
     {"p.yml:6:22: tier cycle: a -> b -> a"}},
    {"tier needs itself",
     HEAD WHEN STEPS "tiers: [{name: a, needs: [a]}]\n",
     {"p.yml:5:26: tier cycle: a -> a"}},
    {"unknown tier in needs",
     HEAD WHEN STEPS "tiers:\n  - {name: apps, stacks: [x]}\n"
                     "  - {name: db, needs: [appz]}\n",
     {"p.yml:7:24: unknown tier \"appz\" in \"needs\" (declared: apps, db)"}},
    {"two catch-all tiers",
     HEAD WHEN STEPS "tiers: [{name: a}, {name: b, needs: []}]\n",
     {"p.yml:5:20: only one tier may omit \"stacks\"; tier \"a\" already takes every stack no "
      "other tier claims"}},
    {"empty tiers",
     HEAD WHEN STEPS "tiers: []\n",
     {"p.yml:5:8: \"tiers\" must not be empty (omit it for one tier holding every stack)"}},
    // required keys and empty lists
    {"missing required key",
     HEAD WHEN "steps:\n  - name: plan\n",
     {"p.yml:5:5: step is missing required key \"command\""}},
    {"missing top-level keys",
     "name: p\n",
     {"p.yml:1:1: pipeline is missing required key \"version\"",
      "p.yml:1:1: pipeline is missing required key \"when\"",
      "p.yml:1:1: pipeline is missing required key \"steps\""}},
    {"empty when",
     HEAD "when: []\n" STEPS,
     {"p.yml:3:7: \"when\" must not be empty: a pipeline with no condition never runs"}},
    {"empty condition",
     HEAD "when: [{}]\n" STEPS,
     {"p.yml:3:8: empty \"when\" condition: give at least one of event, branch, path, cron"}},
    {"empty steps",
     HEAD WHEN "steps: []\n",
     {"p.yml:4:8: \"steps\" must not be empty: give at least one step with a command"}},
    // durations and numbers
    {"bad duration",
     HEAD WHEN "steps: [{name: s, command: c, timeout: 5 minutes}]\n",
     {"p.yml:4:40: \"timeout\": invalid duration \"5 minutes\" (expected e.g. 30s, 5m, 1h30m, "
      "250ms)"}},
    {"bare number duration",
     HEAD WHEN STEPS "on_failure: {lock: {wait: 300}}\n",
     {"p.yml:5:27: \"wait\": invalid duration \"300\" (expected e.g. 30s, 5m, 1h30m, 250ms)"}},
    {"zero timeout",
     HEAD WHEN "steps: [{name: s, command: c, timeout: 0}]\n",
     {"p.yml:4:40: \"timeout\" must be greater than 0s"}},
    {"attempts range",
     HEAD WHEN STEPS "on_failure: {transient: {attempts: 11}}\n",
     {"p.yml:5:36: \"attempts\" must be between 1 and 10, got 11"}},
    {"jitter range",
     HEAD WHEN STEPS "on_failure: {transient: {jitter: 1.5}}\n",
     {"p.yml:5:34: \"jitter\" must be between 0 and 1, got 1.5"}},
    // enums
    {"bad enum",
     HEAD WHEN STEPS "stacks: {select: some}\n",
     {"p.yml:5:18: \"select\" must be one of: changed, all; got \"some\""}},
    {"bad event",
     HEAD "when: [{event: [push, pull_request]}]\n" STEPS,
     {"p.yml:3:23: \"event[1]\" must be one of: push, cron, manual; got \"pull_request\""}},
    {"bad kind",
     "version: 1\nname: p\nkind: destroy\n" WHEN STEPS,
     {"p.yml:3:7: \"kind\" must be one of: apply, plan; got \"destroy\""}},
    {"bad lock",
     HEAD WHEN STEPS "on_failure: {lock: wait}\n",
     {"p.yml:5:20: \"lock\" must be one of: skip, fail; got \"wait\""}},
    {"fatal must fail",
     HEAD WHEN STEPS "on_failure: {fatal: retry}\n",
     {"p.yml:5:21: \"fatal\" must be one of: fail; got \"retry\""}},
    {"bad exit code class",
     HEAD WHEN "steps: [{name: s, command: c, exit_codes: {2: drfit}}]\n",
     {"p.yml:4:47: \"exit_codes.2\" must be one of: success, drift, lock, transient, fatal; got "
      "\"drfit\""}},
    {"bad exit code",
     HEAD WHEN "steps: [{name: s, command: c, exit_codes: {256: drift}}]\n",
     {"p.yml:4:44: \"exit_codes\" keys must be integers between 0 and 255, got integer 256"}},
    // paths and names
    {"absolute dir",
     HEAD WHEN "steps: [{name: s, command: c, dir: /etc}]\n",
     {"p.yml:4:36: \"dir\" must be a relative path without \"..\", got \"/etc\""}},
    {"dotdot dir",
     HEAD WHEN "steps: [{name: s, command: c, dir: a/../..}]\n",
     {"p.yml:4:36: \"dir\" must be a relative path without \"..\", got \"a/../..\""}},
    {"marker with slash",
     HEAD WHEN STEPS "stacks: {marker: a/b.hcl}\n",
     {"p.yml:5:18: \"marker\" must be a plain file name such as terragrunt.hcl, got \"a/b.hcl\""}},
    {"env name",
     HEAD WHEN "steps: [{name: s, command: c, env: {1X: a}}]\n",
     {"p.yml:4:37: env name \"1X\" must match [A-Za-z_][A-Za-z0-9_]*"}},
    {"env value",
     HEAD WHEN "steps: [{name: s, command: c, env: {X: [a]}}]\n",
     {"p.yml:4:40: \"env.X\" must be a string, got list"}},
    {"secrets not a list or mapping",
     HEAD WHEN "steps: [{name: s, command: c, secrets: pg}]\n",
     {"p.yml:4:40: \"secrets\" must be a list of secret names or a mapping of variable to "
      "secret name, got string \"pg\""}},
    {"secret name in a list",
     HEAD WHEN "steps: [{name: s, command: c, secrets: [PG, pg-password]}]\n",
     {"p.yml:4:45: secret name \"pg-password\" must match [A-Za-z_][A-Za-z0-9_]*"}},
    {"secret list item not a string",
     HEAD WHEN "steps: [{name: s, command: c, secrets: [[a]]}]\n",
     {"p.yml:4:41: \"secrets[0]\" must be a string, got list"}},
    {"secret variable in a mapping",
     HEAD WHEN "steps: [{name: s, command: c, secrets: {1PG: pg}}]\n",
     {"p.yml:4:41: env name \"1PG\" must match [A-Za-z_][A-Za-z0-9_]*"}},
    {"secret name in a mapping",
     HEAD WHEN "steps: [{name: s, command: c, secrets: {PG: pg/password}}]\n",
     {"p.yml:4:45: secret name \"pg/password\" must match [A-Za-z_][A-Za-z0-9_]*"}},
    {"secret name in a mapping not a string",
     HEAD WHEN "steps: [{name: s, command: c, secrets: {PG: 5}}]\n",
     {"p.yml:4:45: \"secrets.PG\" must be a string, got integer 5"}},
    {"a variable both in env and secrets",
     HEAD WHEN "steps:\n  - name: s\n    command: c\n    env: {PG: x}\n    secrets: {PG: pg}\n",
     {"p.yml:8:15: \"PG\" is set by both \"env\" and \"secrets\""}},
    // duplicates
    {"duplicate secret in a list",
     HEAD WHEN "steps:\n  - name: s\n    command: c\n    secrets:\n      - PG\n      - PG\n",
     {"p.yml:9:9: duplicate secret \"PG\" (first at line 8)"}},
    {"duplicate secret variable in a mapping",
     HEAD WHEN "steps: [{name: s, command: c, secrets: {PG: a, PG: b}}]\n",
     {"p.yml:4:48: duplicate key \"PG\" (first at line 4)"}},
    {"duplicate step name",
     HEAD WHEN "steps:\n  - {name: s, command: a}\n  - {name: s, command: b}\n",
     {"p.yml:6:12: duplicate step name \"s\" (first at line 5)"}},
    {"duplicate tier name",
     HEAD WHEN STEPS "tiers:\n  - {name: a, stacks: [x]}\n  - {name: a}\n",
     {"p.yml:7:12: duplicate tier name \"a\" (first at line 6)"}},
    {"duplicate key",
     HEAD WHEN STEPS "name: q\n",
     {"p.yml:5:1: duplicate key \"name\" (first at line 2)"}},
    // more shapes
    {"step not a mapping",
     HEAD WHEN "steps: [plan]\n",
     {"p.yml:4:9: \"steps[0]\" must be a mapping, got string \"plan\""}},
    {"three-tier cycle",
     HEAD WHEN STEPS
     "tiers:\n  - {name: a, stacks: [x], needs: [c]}\n  - {name: b, stacks: [y]}\n  - {name: c}\n",
     {"p.yml:6:35: tier cycle: a -> c -> b -> a"}},
    {"lock as a list",
     HEAD WHEN STEPS "on_failure: {lock: [skip]}\n",
     {"p.yml:5:20: \"lock\" must be skip, fail or a mapping with wait/poll/then, got list"}},
    {"unknown lock key",
     HEAD WHEN STEPS "on_failure: {lock: {wiat: 5m}}\n",
     {"p.yml:5:21: unknown key \"wiat\" in on_failure.lock (did you mean \"wait\"?)"}},
    {"zero poll",
     HEAD WHEN STEPS "on_failure: {lock: {poll: 0s}}\n",
     {"p.yml:5:27: \"poll\" must be greater than 0s"}},
    {"classify class not a list",
     HEAD WHEN STEPS "classify: {lock: \"held\"}\n",
     {"p.yml:5:18: \"classify.lock\" must be a list of regexes, got string \"held\""}},
    {"human_only wrong type",
     HEAD WHEN STEPS "stacks: {human_only: vault}\n",
     {"p.yml:5:22: \"human_only\" must be a mapping of stack glob to reason or a list of globs, "
      "got string \"vault\""}},
    {"exit code not a number",
     HEAD WHEN "steps: [{name: s, command: c, exit_codes: {two: drift}}]\n",
     {"p.yml:4:44: \"exit_codes\" keys must be integers between 0 and 255, got string \"two\""}},
    {"path null",
     HEAD "when: [{event: push, path: }]\n" STEPS,
     {"p.yml:3:28: \"path\" must be a glob, a list of globs or a mapping with "
      "\"include\"/\"exclude\", got null"}},
    // saved plans and the destroy guard
    {"saved plan on the last step",
     HEAD WHEN "steps: [{name: plan, command: c, saved_plan: tfplan}]\n",
     {"p.yml:4:46: step \"plan\" saves a plan but no step follows to apply it (put the apply "
      "of the saved plan after it)"}},
    {"two saved plans",
     HEAD WHEN
     "steps:\n  - {name: a, command: c, saved_plan: p1}\n  - {name: b, command: c, saved_plan: "
     "p2}\n  - {name: c, command: c}\n",
     {"p.yml:6:39: only one step may have \"saved_plan\" (step \"a\" has one, line 5)"}},
    {"saved plan json is its file",
     HEAD WHEN "steps:\n  - {name: a, command: c, saved_plan: {file: p, json: p}}\n  - {name: b, "
               "command: c}\n",
     {"p.yml:5:39: \"saved_plan\": \"json\" must name another file than \"file\""}},
    {"saved plan outside the stack",
     HEAD WHEN "steps:\n  - {name: a, command: c, saved_plan: /tmp/p}\n  - {name: b, command: c}\n",
     {"p.yml:5:39: \"saved_plan\" must be a relative path without \"..\", got \"/tmp/p\""}},
    {"saved plan in a plan pipeline",
     HEAD "kind: plan\n" WHEN
          "steps:\n  - {name: a, command: c, saved_plan: p}\n  - {name: b, command: c}\n",
     {"p.yml:6:39: \"saved_plan\" is for apply pipelines (kind: apply): a plan pipeline applies "
      "nothing"}},
    {"unknown destroy guard",
     HEAD WHEN STEPS "guards: {destroy: ask}\n",
     {"p.yml:5:19: \"guards.destroy\" must be one of: refuse, approve, allow; got \"ask\""}},
    {"guards in a plan pipeline",
     HEAD "kind: plan\n" WHEN STEPS "guards: {destroy: allow}\n",
     {"p.yml:6:9: \"guards\" is for apply pipelines (kind: apply): a plan pipeline applies "
      "nothing"}},
    // whole-file problems
    {"empty file",
     "",
     {"p.yml:1:1: empty file: a pipeline needs at least \"version\", \"name\", \"when\" and "
      "\"steps\""}},
    {"only comments",
     "# nothing yet\n",
     {"p.yml:1:1: empty file: a pipeline needs at least \"version\", \"name\", \"when\" and "
      "\"steps\""}},
    {"syntax error",
     HEAD "when: [{event: manual}\n" STEPS,
     {"p.yml:4:1: YAML syntax error: end of sequence flow not found"}},
    {"syntax error stops everything",
     "version: 9\nname: p\n  bad: indent\n",
     {"p.yml:3:6: YAML syntax error: illegal map value"}},
    {"two documents",
     HEAD WHEN STEPS "---\nname: q\n",
     {"p.yml:6:1: expected one YAML document, found 2"}},
    {"recursive alias",
     HEAD WHEN STEPS "labels: &x [*x]\n",
     {"p.yml:5:9: nesting deeper than 64 levels (a recursive alias?)"}},
};

TEST(LoadErrors, ExactMessages) {
  for (const auto& row : kRows) {
    const auto r = load_pipeline(row.yaml, "p.yml");
    std::vector<std::string> got;
    for (const auto& d : r.diagnostics) got.push_back(d.str());
    EXPECT_EQ(got, row.want) << "row: " << row.name;
    EXPECT_EQ(r.pipeline.has_value(), row.want.empty()) << "row: " << row.name;
  }
}

TEST(LoadErrors, SeveralProblemsInFileOrder) {
  const char* yaml = R"(version: 1
name: multi
when:
  - event: cron
    cron: [nightly2]
schedules:
  nightly: {cron: "0 25 * * *"}
stacks:
  select: some
tiers:
  - name: a
    needs: [b]
  - name: b
    parallelism: four
steps:
  - name: plan
    tiemout: 5m
  - name: plan
    command: terragrunt plan
    timeout: soon
classify:
  fatal: ["(x"]
)";
  const auto r = load_pipeline(yaml, "multi.yml");
  std::vector<std::string> got;
  for (const auto& d : r.diagnostics) got.push_back(d.str());
  const std::vector<std::string> want = {
      "multi.yml:5:12: unknown schedule \"nightly2\" (declared: nightly)",
      "multi.yml:7:19: cron \"0 25 * * *\": hour 25 out of range 0-23",
      "multi.yml:9:11: \"select\" must be one of: changed, all; got \"some\"",
      "multi.yml:12:12: tier cycle: a -> b -> a",
      "multi.yml:13:5: only one tier may omit \"stacks\"; tier \"a\" already takes every stack "
      "no other tier claims",
      "multi.yml:14:18: \"parallelism\" must be an integer, got string \"four\"",
      "multi.yml:16:5: step is missing required key \"command\"",
      "multi.yml:17:5: unknown key \"tiemout\" in step (did you mean \"timeout\"?)",
      "multi.yml:18:11: duplicate step name \"plan\" (first at line 16)",
      "multi.yml:20:14: \"timeout\": invalid duration \"soon\" (expected e.g. 30s, 5m, 1h30m, "
      "250ms)",
      "multi.yml:22:11: invalid regex: missing ): (x",
  };
  EXPECT_EQ(got, want);
  EXPECT_FALSE(r.pipeline.has_value());
}

TEST(LoadErrors, HostileInputDoesNotThrow) {
  // A "billion laughs": each level doubles the expansion.
  std::string yaml = HEAD WHEN STEPS "x0: &a0 [a, a]\n";
  for (int i = 1; i < 30; ++i)
    yaml += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  const auto r = load_pipeline(yaml, "p.yml");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_NE(r.diagnostics[0].message.find("document too large"), std::string::npos);
  for (const char* text : {"{", "[", ":", "- - -", "\t", "\"", "&a", "*", "!!map x"})
    EXPECT_NO_THROW((void)load_pipeline(text, "p.yml")) << text;
}

}  // namespace
}  // namespace stackrun::pipelines
