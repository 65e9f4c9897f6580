// Black-box: `stackrun hook check` verdicts, its one JSON object and its exit codes.
// The signatures below are HMAC-SHA256 of the test data files, computed once outside the test
// (python3 hmac): if a data file changes, these tests fail and the constants must be redone.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

using stackrun::testing::run_command;
using stackrun::testing::TempDir;
using stackrun::testing::write_file;

namespace {

const std::string kData = std::string(STACKRUN_DATA_DIR) + "/webhooks/";
// HMAC-SHA256 of github-HookPush.json with "cli-test-secret".
const std::string kGithubSig = "cdeb6dbed79dc5d4a9e7266b69251e2aaee2d6310b5bb8c46bca11e89da30c32";
// HMAC-SHA256 of gitea-HookPushMulti.json with "cli-test-secret".
const std::string kGiteaSig = "749f40e5959f7f4bb17034fa29d1136455a71681f949e974ed5f5f744f220dee";

std::string read_data(const std::string& name) {
  std::ifstream in(kData + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test data " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Secrets {
  TempDir dir;
  std::string current = (dir.path() / "current").string();
  std::string old = (dir.path() / "old").string();
  Secrets() {
    write_file(current, "cli-test-secret\n");  // the trailing newline is not part of it
    write_file(old, "old-secret");
  }
};

TEST(HookCli, GithubPushAcceptedWithExactJson) {
  Secrets s;
  auto r = run_command({STACKRUN_BIN, "hook", "check", "--forge", "github", "--secret-file", s.old,
                        "--secret-file", s.current, "-H", "X-GitHub-Event: push", "-H",
                        "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958", "-H",
                        "X-Hub-Signature-256: sha256=" + kGithubSig},
                       read_data("github-HookPush.json"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"verdict":"accept","kind":"push","ref":"refs/heads/main","branch":"main",)"
                   R"("before":"2f780193b136b72bfea4eeb640786a8c4450c7a2",)"
                   R"("after":"366701fde727cb7a9e7f21eb88264f59f6f9b89c",)"
                   R"("clone_url":"https://github.com/woodpecker-ci/woodpecker.git",)"
                   R"("sender":{"id":24977596,"login":"6543"},)"
                   R"("delivery":"72d3162e-cc78-11e3-81ab-4c9367dc0958",)"
                   R"("message":"Fix multiline secrets replacer (#700)\n\n* Fix multiline secrets )"
                   R"(replacer\r\n\r\n* Add tests"})"
                   "\n");
  EXPECT_EQ(r.err, "");
}

TEST(HookCli, ForgejoAcceptsGiteaSignatureHeader) {
  Secrets s;
  auto r = run_command({STACKRUN_BIN, "hook", "check", "--forge", "forgejo", "--secret-file",
                        s.current, "-H", "x-forgejo-event: push", "-H", "x-forgejo-delivery: d9",
                        "-H", "X-Gitea-Signature: " + kGiteaSig},
                       read_data("gitea-HookPushMulti.json"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(R"("message":"add some text\n"})"), std::string::npos) << r.out;
}

TEST(HookCli, OneByteChangeIsRejectedWithExitOne) {
  Secrets s;
  std::string body = read_data("github-HookPush.json");
  body[20] = 'X';
  auto r = run_command({STACKRUN_BIN, "hook", "check", "--forge", "github", "--secret-file",
                        s.current, "-H", "X-GitHub-Event: push", "-H", "X-GitHub-Delivery: d1",
                        "-H", "X-Hub-Signature-256: sha256=" + kGithubSig},
                       body);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, R"({"verdict":"reject","reason":"signature mismatch in X-Hub-Signature-256: )"
                   R"(the body is not signed with any configured secret"})"
                   "\n");
}

TEST(HookCli, MissingSignatureIsRejected) {
  Secrets s;
  auto r = run_command({STACKRUN_BIN, "hook", "check", "--forge", "gitea", "--secret-file",
                        s.current, "-H", "X-Gitea-Event: push"},
                       read_data("gitea-HookPush.json"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, R"({"verdict":"reject","reason":"missing signature: no X-Gitea-Signature )"
                   R"((or X-Hub-Signature-256) header; set the webhook's secret on the forge"})"
                   "\n");
}

TEST(HookCli, UsageErrorsExitTwo) {
  Secrets s;
  const std::string sig = "X-Gitea-Signature: " + kGiteaSig;
  const std::vector<std::vector<std::string>> cases{
      {STACKRUN_BIN, "hook", "check", "--forge", "gitlab", "--secret-file", s.current},
      {STACKRUN_BIN, "hook", "check", "--forge", "gitea"},
      {STACKRUN_BIN, "hook", "check", "--forge", "gitea", "--secret-file", s.current + ".nope"},
      {STACKRUN_BIN, "hook", "check", "--forge", "gitea", "--secret-file", s.current, "-H",
       "no colon here"},
      {STACKRUN_BIN, "hook"},
  };
  for (const auto& argv : cases) {
    SCOPED_TRACE(argv.back());
    auto r = run_command(argv, read_data("gitea-HookPush.json"));
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
