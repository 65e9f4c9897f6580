#include "pipelines/trigger_match.hpp"

#include <gtest/gtest.h>

namespace stackrun::pipelines {
namespace {

Condition push_on(std::vector<std::string> branches, std::vector<std::string> inc = {},
                  std::vector<std::string> exc = {}) {
  Condition c;
  c.events = {Event::push};
  c.branches = std::move(branches);
  c.path_include = std::move(inc);
  c.path_exclude = std::move(exc);
  return c;
}

TEST(ConditionMatches, Table) {
  using V = std::vector<std::string>;
  struct Case {
    const char* name;
    Condition c;
    EventFacts f;
    bool expected;
  };
  Condition cron_nightly;
  cron_nightly.events = {Event::cron};
  cron_nightly.crons = {"nightly"};
  const std::vector<Case> cases = {
      {"branch matches",
       push_on({"master", "main"}),
       {Event::push, "main", V{"stacks/a/x.hcl"}, ""},
       true},
      {"branch glob", push_on({"release/**"}), {Event::push, "release/2026/06", V{}, ""}, true},
      {"other branch",
       push_on({"master"}),
       {Event::push, "wizard/x", V{"stacks/a/x.hcl"}, ""},
       false},
      {"manual event not admitted by push",
       push_on({}),
       {Event::manual, "master", std::nullopt, ""},
       false},
      {"path include hit",
       push_on({}, {"stacks/**"}),
       {Event::push, "m", V{"README.md", "stacks/a/t.hcl"}, ""},
       true},
      {"path include miss",
       push_on({}, {"stacks/**"}),
       {Event::push, "m", V{"docs/x.md"}, ""},
       false},
      {"only excluded paths",
       push_on({}, {"**"}, {"**/*.md"}),
       {Event::push, "m", V{"stacks/a/README.md"}, ""},
       false},
      {"excluded and other",
       push_on({}, {"**"}, {"**/*.md"}),
       {Event::push, "m", V{"a.md", "stacks/a/t.hcl"}, ""},
       true},
      {"unknown change set matches",
       push_on({}, {"stacks/**"}),
       {Event::push, "m", std::nullopt, ""},
       true},
      {"empty change set with filter",
       push_on({}, {"stacks/**"}),
       {Event::push, "m", V{}, ""},
       false},
      {"cron by name", cron_nightly, {Event::cron, "", std::nullopt, "nightly"}, true},
      {"cron other name", cron_nightly, {Event::cron, "", std::nullopt, "weekly"}, false},
  };
  for (const auto& c : cases) EXPECT_EQ(condition_matches(c.c, c.f), c.expected) << c.name;
}

TEST(PipelineMatches, AnyCondition) {
  Pipeline p;
  Condition manual;
  manual.events = {Event::manual};
  p.when = {push_on({"master"}), manual};
  EXPECT_TRUE(pipeline_matches(p, {Event::manual, "", std::nullopt, ""}));
  EXPECT_FALSE(pipeline_matches(p, {Event::push, "dev", std::nullopt, ""}));
  EXPECT_FALSE(pipeline_matches(Pipeline{}, {Event::push, "master", std::nullopt, ""}));
}

}  // namespace
}  // namespace stackrun::pipelines
