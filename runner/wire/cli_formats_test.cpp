// The CLI's own JSON: golden text for every encoder (scripts and older files depend on the exact
// keys), round trips for the two state-dir files, and their decode errors.
#include "runner/wire/cli_formats.hpp"

#include <gtest/gtest.h>

namespace stackrun::wire {
namespace {

TEST(CliFormats, ClientFileGoldenAndRoundTrip) {
  const ClientFile f{"http://127.0.0.1:8480", "t0ken"};
  EXPECT_EQ(encode(f), R"({"version":1,"server":"http://127.0.0.1:8480","token":"t0ken"})");
  auto back = decode_client_file(encode(f));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, f);
}

TEST(CliFormats, ClientFileReadsFilesWrittenBeforeTheVersionField) {
  // What `stackrun up` wrote before: nlohmann's dump(2), no version.
  auto f = decode_client_file("{\n  \"server\": \"http://127.0.0.1:1\",\n  \"token\": \"x\"\n}\n");
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(*f, (ClientFile{"http://127.0.0.1:1", "x"}));
  // Partial files decode: the resolver decides what is missing.
  auto partial = decode_client_file(R"({"server":"http://h:1"})");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(*partial, (ClientFile{"http://h:1", ""}));
}

TEST(CliFormats, ClientFileErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "client file: body is empty, expected a JSON object"},
      {"[]", "client file: body is not a JSON object"},
      {R"({"server":1})", "client file: field \"server\": expected a string"},
      {R"({"version":2,"server":"s","token":"t"})",
       "client file: field \"version\": expected 1 (written by a newer stackrun?), got 2"},
      {R"({"version":"1"})", "client file: field \"version\": expected an integer"},
  };
  for (const auto& [body, error] : cases) {
    auto r = decode_client_file(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error(), error) << body;
  }
}

TEST(CliFormats, UpFileGoldenAndRoundTrip) {
  // Agents keep their start order (agent-10 after agent-2), not the sorted order.
  const UpFile u{4242, {{"agent-2", 4243}, {"agent-10", 4244}}};
  EXPECT_EQ(encode(u), R"({"version":1,"server":4242,"agents":{"agent-2":4243,"agent-10":4244}})");
  auto back = decode_up_file(encode(u));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, u);
  EXPECT_EQ(encode(UpFile{7, {}}), R"({"version":1,"server":7,"agents":{}})");
  auto empty = decode_up_file(encode(UpFile{7, {}}));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, (UpFile{7, {}}));
}

TEST(CliFormats, UpFileErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"agents":{}})", "up file: field \"server\" is missing"},
      {R"({"server":1})", "up file: field \"agents\" is missing"},
      {R"({"server":1,"agents":[]})", "up file: field \"agents\": expected an object"},
      {R"({"server":1,"agents":{"a":"x"}})", "up file: field \"agents.a\": expected an integer"},
      {R"({"version":3,"server":1,"agents":{}})",
       "up file: field \"version\": expected 1 (written by a newer stackrun?), got 3"},
  };
  for (const auto& [body, error] : cases) {
    auto r = decode_up_file(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error(), error) << body;
  }
}

TEST(CliFormats, VerdictKeysSortedAsClassifyAlwaysPrintedThem) {
  core::Verdict v;
  v.cls = core::Class::transient;
  v.rule = "builtin.transient.registry";
  v.line = "Error: Failed to install provider";
  v.line_no = 2;
  EXPECT_EQ(encode(v),
            R"({"class":"transient","line":"Error: Failed to install provider","line_no":2,)"
            R"("rule":"builtin.transient.registry"})");
  v.cls = core::Class::lock;
  v.lock = core::LockInfo{"9d0e",
                          "state/x.tfstate",
                          "OperationTypeApply",
                          "alice@laptop",
                          "1.5.7",
                          "2026-06-28 16:58:01 +0000 UTC",
                          ""};
  EXPECT_EQ(encode(v),
            R"({"class":"lock","line":"Error: Failed to install provider","line_no":2,)"
            R"("lock":{"created":"2026-06-28 16:58:01 +0000 UTC","id":"9d0e","info":"",)"
            R"("operation":"OperationTypeApply","path":"state/x.tfstate","version":"1.5.7",)"
            R"("who":"alice@laptop"},"rule":"builtin.transient.registry"})");
  EXPECT_EQ(encode(core::Verdict{}), R"({"class":"success","line":"","line_no":0,"rule":""})");
}

TEST(CliFormats, VerdictWithInvalidUtf8StillEncodes) {
  core::Verdict v;
  v.line = "bad \xff byte";
  EXPECT_EQ(encode(v),
            "{\"class\":\"success\",\"line\":\"bad \xEF\xBF\xBD byte\",\"line_no\":0,"
            "\"rule\":\"\"}");
}

TEST(CliFormats, StackPlanKeysInDocumentedOrder) {
  StackPlan p;
  p.stacks = {{"stacks/dbaas", "platform", "changed: stacks/dbaas/terragrunt.hcl"},
              {"stacks/grafana", "apps", "shared file changed: stacks/terragrunt.hcl"}};
  p.removed = {"stacks/paperless"};
  p.excluded = {{"stacks/vault", "human-only: Tier-0"}};
  EXPECT_EQ(encode(p), R"({"stacks":[{"path":"stacks/dbaas","tier":"platform",)"
                       R"("reason":"changed: stacks/dbaas/terragrunt.hcl"},)"
                       R"({"path":"stacks/grafana","tier":"apps",)"
                       R"("reason":"shared file changed: stacks/terragrunt.hcl"}],)"
                       R"("removed":["stacks/paperless"],)"
                       R"("excluded":[{"path":"stacks/vault","reason":"human-only: Tier-0"}]})");
  EXPECT_EQ(encode(StackPlan{}), R"({"stacks":[],"removed":[],"excluded":[]})");
}

}  // namespace
}  // namespace stackrun::wire
