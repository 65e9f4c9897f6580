// What a stack reads, on a real Terragrunt layout in the shape of Gruntwork's
// infrastructure-live example: a root terragrunt.hcl reading account/region/env files through
// find_in_parent_folders, _envcommon files included with dirname(find_in_parent_folders()),
// local modules with `//`, remote sources, file(), dependency blocks; and the located errors of
// what cannot be resolved.
#include "runner/hcl/reads.hpp"

#include <gtest/gtest.h>

#include <map>

namespace stackrun::hcl {
namespace {

using Files = std::map<std::string, std::string>;

const Files kLive = {
    {"README.md", "# live\n"},
    {"terragrunt.hcl",
     "locals {\n"
     "  account_vars = read_terragrunt_config(find_in_parent_folders(\"account.hcl\"))\n"
     "  region_vars  = read_terragrunt_config(find_in_parent_folders(\"region.hcl\"))\n"
     "  env_vars     = read_terragrunt_config(find_in_parent_folders(\"env.hcl\"))\n"
     "  account_name = local.account_vars.locals.account_name\n"
     "  aws_region   = local.region_vars.locals.aws_region\n"
     "}\n"
     "remote_state {\n"
     "  backend = \"s3\"\n"
     "  config = {\n"
     "    bucket = \"tfstate-${local.account_name}-${local.aws_region}\"\n"
     "    key    = \"${path_relative_to_include()}/terraform.tfstate\"\n"
     "  }\n"
     "}\n"
     "inputs = merge(local.account_vars.locals, local.region_vars.locals, "
     "local.env_vars.locals)\n"},
    {"_envcommon/mysql.hcl",
     "locals {\n"
     "  env_vars        = read_terragrunt_config(find_in_parent_folders(\"env.hcl\"))\n"
     "  env             = local.env_vars.locals.environment\n"
     "  base_source_url = \"git::git@github.com:acme/modules.git//mysql\"\n"
     "}\n"
     "terraform {\n"
     "  source = \"${local.base_source_url}?ref=v0.8.0\"\n"
     "}\n"
     "inputs = { name = \"mysql_${local.env}\" }\n"},
    {"_envcommon/webserver.hcl",
     "terraform {\n"
     "  source = \"${get_repo_root()}/modules/webserver//cluster\"\n"
     "}\n"},
    {"modules/webserver/cluster/main.tf", "resource \"x\" \"y\" {}\n"},
    {"modules/webserver/README.md", "# module\n"},
    {"modules/unused/main.tf", "\n"},
    {"non-prod/account.hcl", "locals { account_name = \"non-prod\" }\n"},
    {"non-prod/us-east-1/region.hcl", "locals { aws_region = \"us-east-1\" }\n"},
    {"non-prod/us-east-1/qa/env.hcl", "locals {\n  environment = \"qa\"\n}\n"},
    {"non-prod/us-east-1/qa/mysql/terragrunt.hcl",
     "include \"root\" {\n  path = find_in_parent_folders()\n}\n"
     "include \"envcommon\" {\n"
     "  path   = \"${dirname(find_in_parent_folders())}/_envcommon/mysql.hcl\"\n"
     "  expose = true\n"
     "}\n"
     "inputs = { instance_class = \"db.t2.micro\" }\n"},
    {"non-prod/us-east-1/qa/webserver-cluster/terragrunt.hcl",
     "include \"root\" {\n  path = find_in_parent_folders()\n}\n"
     "include \"envcommon\" {\n"
     "  path = \"${get_parent_terragrunt_dir()}/_envcommon/webserver.hcl\"\n"
     "}\n"
     "dependency \"mysql\" {\n  config_path = \"../mysql\"\n"
     "  mock_outputs = { address = \"x\" }\n}\n"
     "dependencies {\n  paths = [\"${get_terragrunt_dir()}/../vpc\"]\n}\n"
     "inputs = {\n"
     "  db     = dependency.mysql.outputs.address\n"
     "  policy = file(\"policy.json\")\n"
     "  tpl    = templatefile(\"${get_repo_root()}/templates/user-data.sh\", {})\n"
     "}\n"},
    {"non-prod/us-east-1/qa/webserver-cluster/policy.json", "{}\n"},
    {"templates/user-data.sh", "#!/bin/sh\n"},
    {"non-prod/us-east-1/qa/vpc/terragrunt.hcl",
     "include \"root\" {\n  path = find_in_parent_folders()\n}\n"
     "terraform {\n  source = \"../../../../modules//vpc\"\n}\n"},
    {"non-prod/us-east-1/qa/app/terragrunt.hcl",
     "include \"root\" {\n  path = find_in_parent_folders()\n}\n"
     "locals {\n  module = get_env(\"APP_MODULE\", \"app\")\n}\n"
     "terraform {\n  source = \"${get_repo_root()}/modules/${local.module}\"\n}\n"},
    {"non-prod/us-east-1/qa/broken/terragrunt.hcl", "include \"root\" {\n  path = \n}\n"},
};

StackConfig analyse(const Files& files, const std::string& stack) {
  std::vector<std::string> paths;
  for (const auto& [p, text] : files) paths.push_back(p);
  RepoTree repo{&paths, [&](const std::string& p) -> std::optional<std::string> {
                  auto it = files.find(p);
                  if (it == files.end()) return std::nullopt;
                  return it->second;
                }};
  ParseCache cache;
  return analyse_stack(stack + "/terragrunt.hcl", repo, cache);
}

std::vector<std::string> lines(const StackConfig& c) {
  std::vector<std::string> out;
  for (const auto& r : c.reads)
    out.push_back((r.dir ? "dir  " : "file ") + r.path + "  via " + r.via);
  return out;
}

TEST(StackReads, IncludesAndTheConfigsTheyReadThroughFindInParentFolders) {
  const auto c = analyse(kLive, "non-prod/us-east-1/qa/mysql");
  EXPECT_EQ(
      lines(c),
      (std::vector<std::string>{
          "file terragrunt.hcl  via include",
          "file non-prod/account.hcl  via include -> terragrunt.hcl -> read_terragrunt_config",
          "file non-prod/us-east-1/region.hcl  via include -> terragrunt.hcl -> "
          "read_terragrunt_config",
          "file non-prod/us-east-1/qa/env.hcl  via include -> terragrunt.hcl -> "
          "read_terragrunt_config",
          "file _envcommon/mysql.hcl  via include",
      }));
  EXPECT_TRUE(c.dependencies.empty());
  EXPECT_TRUE(c.unresolved.empty()) << c.unresolved[0];  // the source is remote: no files
}

TEST(StackReads, ModulesFilesAndDependencies) {
  const auto c = analyse(kLive, "non-prod/us-east-1/qa/webserver-cluster");
  EXPECT_EQ(
      lines(c),
      (std::vector<std::string>{
          "file terragrunt.hcl  via include",
          "file non-prod/account.hcl  via include -> terragrunt.hcl -> read_terragrunt_config",
          "file non-prod/us-east-1/region.hcl  via include -> terragrunt.hcl -> "
          "read_terragrunt_config",
          "file non-prod/us-east-1/qa/env.hcl  via include -> terragrunt.hcl -> "
          "read_terragrunt_config",
          "file _envcommon/webserver.hcl  via include",
          "file non-prod/us-east-1/qa/webserver-cluster/policy.json  via file",
          "file templates/user-data.sh  via templatefile",
          "dir  modules/webserver  via include -> _envcommon/webserver.hcl -> "
          "terraform.source",
      }));
  EXPECT_EQ(c.dependencies,
            (std::vector<std::string>{"non-prod/us-east-1/qa/mysql", "non-prod/us-east-1/qa/vpc"}));
  EXPECT_TRUE(c.unresolved.empty()) << c.unresolved[0];
}

TEST(StackReads, ARelativeSourceWithDoubleSlashReadsTheWholeModuleRoot) {
  const auto c = analyse(kLive, "non-prod/us-east-1/qa/vpc");
  ASSERT_FALSE(c.reads.empty());
  EXPECT_EQ(lines(c).back(), "dir  modules  via terraform.source");
}

TEST(StackReads, WhatCannotBeEvaluatedIsReportedWithItsPosition) {
  const auto app = analyse(kLive, "non-prod/us-east-1/qa/app");
  ASSERT_EQ(app.unresolved.size(), 1u);
  EXPECT_EQ(app.unresolved[0],
            "non-prod/us-east-1/qa/app/terragrunt.hcl:5:12: get_env(): the environment is not "
            "known statically");
  const auto broken = analyse(kLive, "non-prod/us-east-1/qa/broken");
  ASSERT_EQ(broken.unresolved.size(), 1u);
  EXPECT_TRUE(broken.unresolved[0].starts_with("non-prod/us-east-1/qa/broken/terragrunt.hcl:2:"))
      << broken.unresolved[0];
  // A file that is not there cannot be read: its include is reported.
  Files missing = {{"live/a/terragrunt.hcl", "include {\n  path = \"../../root.hcl\"\n}\n"}};
  const auto m = analyse(missing, "live/a");
  ASSERT_EQ(m.unresolved.size(), 1u);
  EXPECT_EQ(m.unresolved[0], "root.hcl:1:1: cannot read this file at this commit");
  EXPECT_EQ(lines(m), std::vector<std::string>{"file root.hcl  via include"});
}

// Each Terragrunt path function, evaluated in a stack's context.
TEST(StackReads, PathFunctions) {
  struct Row {
    const char* expr;
    const char* want;  // the file read through file(<expr>)
  } rows[] = {
      {"\"${get_terragrunt_dir()}/a.json\"", "live/prod/app/a.json"},
      {"\"${get_parent_terragrunt_dir()}/b.json\"", "live/b.json"},
      {"\"${get_repo_root()}/c.json\"", "c.json"},
      {"\"${get_path_to_repo_root()}/d.json\"", "d.json"},
      {"\"${get_repo_root()}/${get_path_from_repo_root()}/e.json\"", "live/prod/app/e.json"},
      {"\"${get_repo_root()}/${path_relative_to_include()}/f.json\"", "prod/app/f.json"},
      {"\"/etc/${path_relative_to_include()}.json\"", nullptr},  // outside: not followed
      {"\"${path_relative_from_include()}/g.json\"", "live/g.json"},
      {"find_in_parent_folders(\"env.hcl\")", "live/prod/env.hcl"},
      {"find_in_parent_folders()", "live/terragrunt.hcl"},
      {"find_in_parent_folders(\"nope.hcl\", \"fallback.hcl\")", "live/prod/app/fallback.hcl"},
      {"\"${dirname(find_in_parent_folders())}/h.json\"", "live/h.json"},
      {"\"x/${basename(get_terragrunt_dir())}.json\"", "live/prod/app/x/app.json"},
      {"\"${local.dir}/${local.name}\"", "live/prod/app/conf/i.json"},
      {"format(\"%s/j-%s.json\", local.dir, lower(\"QA\"))", "live/prod/app/conf/j-qa.json"},
      {"\"${get_repo_root()}/${join(\"/\", [\"k\", \"l.json\"])}\"", "k/l.json"},
      {"\"${get_repo_root()}/${replace(\"m_n.json\", \"_\", \"/\")}\"", "m/n.json"},
      {"true ? \"o.json\" : get_env(\"X\")", "live/prod/app/o.json"},
      {"try(get_env(\"X\"), \"p.json\")", "live/prod/app/p.json"},
      {"\"${trimsuffix(local.name, \".json\")}.yaml\"", "live/prod/app/i.yaml"},
  };
  for (const auto& r : rows) {
    Files f = {{"live/root.hcl", "\n"},
               {"live/terragrunt.hcl", "\n"},
               {"live/prod/env.hcl", "\n"},
               {"live/prod/app/terragrunt.hcl",
                std::string("include {\n  path = find_in_parent_folders(\"root.hcl\")\n}\n"
                            "locals {\n  dir = \"conf\"\n  name = \"i.json\"\n}\n"
                            "inputs = { x = file(") +
                    r.expr + ") }\n"}};
    const auto c = analyse(f, "live/prod/app");
    ASSERT_TRUE(c.unresolved.empty()) << r.expr << ": " << c.unresolved[0];
    if (!r.want) {
      EXPECT_EQ(c.reads.size(), 1u) << r.expr;  // the include only
      continue;
    }
    ASSERT_EQ(c.reads.size(), 2u) << r.expr;
    EXPECT_EQ(c.reads[1].path, r.want) << r.expr;
    EXPECT_EQ(c.reads[1].via, "file") << r.expr;
  }
}

TEST(StackReads, ExposedIncludeLocalsAndLocalChainsEvaluate) {
  Files f = {{"root.hcl", "locals {\n  modules = \"mods\"\n}\n"},
             {"live/app/terragrunt.hcl",
              "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n"
              "  expose = true\n}\n"
              "locals {\n  a = include.root.locals.modules\n  b = \"${local.a}/app\"\n}\n"
              "terraform {\n  source = \"${get_repo_root()}/${local.b}\"\n}\n"}};
  const auto c = analyse(f, "live/app");
  ASSERT_TRUE(c.unresolved.empty()) << c.unresolved[0];
  EXPECT_EQ(lines(c), (std::vector<std::string>{"file root.hcl  via include",
                                                "dir  mods/app  via terraform.source"}));
}

TEST(StackReads, ALocalThatRefersToItselfIsReportedNotLooped) {
  Files f = {{"a/terragrunt.hcl",
              "locals {\n  x = local.y\n  y = local.x\n}\n"
              "terraform {\n  source = \"../${local.x}\"\n}\n"}};
  const auto c = analyse(f, "a");
  ASSERT_EQ(c.unresolved.size(), 1u);
  EXPECT_NE(c.unresolved[0].find("refers to itself"), std::string::npos) << c.unresolved[0];
}

TEST(Normalise, StaysInsideTheRepository) {
  EXPECT_EQ(normalise("a/b/../c/./d"), "a/c/d");
  EXPECT_EQ(normalise("a/.."), "");
  EXPECT_EQ(normalise("a//b/"), "a/b");
  EXPECT_EQ(normalise("../a"), std::nullopt);
}

}  // namespace
}  // namespace stackrun::hcl
