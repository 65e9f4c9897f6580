// Resolving a job's secrets over a fake file system (a table), and the real file reader on a
// temp dir: precedence, messages that name the secret and never its value, the short-value
// note, NUL bytes, files that are not regular.
#include "agents/secrets.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "tests/support/temp_dir.hpp"

namespace stackrun::agent {
namespace {

using pipelines::SecretRef;
using pipelines::Step;

Step step(const std::string& name, std::vector<SecretRef> secrets) {
  Step s;
  s.name = name;
  s.command = "c";
  s.secrets = std::move(secrets);
  return s;
}

// A fake secrets dir: path -> content; "!error" makes the read fail.
struct FakeFiles {
  std::map<std::string, std::string> files;
  std::vector<std::string> reads;
  ReadSecretFile reader() {
    return [this](const std::string& path) -> Result<std::optional<std::string>> {
      reads.push_back(path);
      auto it = files.find(path);
      if (it == files.end()) return std::optional<std::string>();
      if (it->second == "!error") return Error{path + ": cannot read: Permission denied"};
      return std::optional<std::string>(it->second);
    };
  }
};

struct Row {
  const char* name;
  std::vector<Step> steps;
  SecretSources sources;
  std::map<std::string, std::string> files;
  std::vector<proc::EnvList> want_env;  // when resolving succeeds
  std::vector<std::string> want_mask, want_notes;
  std::string want_error;  // when it fails
};

const std::vector<Step> kPgApply = {step("plan", {}),
                                    step("apply", {{"PGPASSWORD", "pg_password", {}}})};

const Row kRows[] = {
    {"no secrets", {step("a", {})}, {}, {}, {{}}, {}, {}, ""},
    {"from the environment",
     kPgApply,
     {{{"STACKRUN_SECRET_pg_password", "hunter22"}}, ""},
     {},
     {{}, {{"PGPASSWORD", "hunter22"}}},
     {"hunter22"},
     {},
     ""},
    {"from a file, one trailing newline stripped",
     kPgApply,
     {{}, "/s"},
     {{"/s/pg_password", "hunter22\n\n"}},
     {{}, {{"PGPASSWORD", "hunter22\n"}}},
     {"hunter22\n"},
     {},
     ""},
    {"a CRLF is stripped too",
     kPgApply,
     {{}, "/s"},
     {{"/s/pg_password", "hunter22\r\n"}},
     {{}, {{"PGPASSWORD", "hunter22"}}},
     {"hunter22"},
     {},
     ""},
    {"the environment wins over the dir",
     kPgApply,
     {{{"STACKRUN_SECRET_pg_password", "from-env"}}, "/s"},
     {{"/s/pg_password", "from-file"}},
     {{}, {{"PGPASSWORD", "from-env"}}},
     {"from-env"},
     {},
     ""},
    {"names are case sensitive",
     kPgApply,
     {{{"STACKRUN_SECRET_PG_PASSWORD", "x"}}, ""},
     {},
     {},
     {},
     {},
     "secret \"pg_password\" (PGPASSWORD in step \"apply\") is not set: set "
     "STACKRUN_SECRET_pg_password in the agent's environment or start the agent with "
     "--secrets-dir DIR holding a file pg_password"},
    {"missing, with a dir",
     kPgApply,
     {{}, "/s"},
     {},
     {},
     {},
     {},
     "secret \"pg_password\" (PGPASSWORD in step \"apply\") is not set: set "
     "STACKRUN_SECRET_pg_password in the agent's environment or write it to /s/pg_password"},
    {"unreadable file",
     kPgApply,
     {{}, "/s"},
     {{"/s/pg_password", "!error"}},
     {},
     {},
     {},
     "secret \"pg_password\" (PGPASSWORD in step \"apply\"): /s/pg_password: cannot read: "
     "Permission denied"},
    {"one secret under two variables and steps is looked up once",
     {step("a", {{"A", "tok", {}}}), step("b", {{"B", "tok", {}}, {"C", "other", {}}})},
     {{{"STACKRUN_SECRET_tok", "t0k3n"}, {"STACKRUN_SECRET_other", "0ther"}}, ""},
     {},
     {{{"A", "t0k3n"}}, {{"B", "t0k3n"}, {"C", "0ther"}}},
     {"t0k3n", "0ther"},
     {},
     ""},
    {"two secrets with one value are masked once",
     {step("a", {{"A", "x", {}}, {"B", "y", {}}})},
     {{{"STACKRUN_SECRET_x", "same"}, {"STACKRUN_SECRET_y", "same"}}, ""},
     {},
     {{{"A", "same"}, {"B", "same"}}},
     {"same"},
     {},
     ""},
    {"a short value is passed, not masked, and noted",
     {step("a", {{"PIN", "pin", {}}})},
     {{{"STACKRUN_SECRET_pin", "123"}}, ""},
     {},
     {{{"PIN", "123"}}},
     {},
     {"secret \"pin\" is shorter than 4 bytes: the step gets it, but it cannot be masked in logs"},
     ""},
    {"an empty value is passed and needs no mask",
     {step("a", {{"E", "e", {}}})},
     {{{"STACKRUN_SECRET_e", ""}}, ""},
     {},
     {{{"E", ""}}},
     {},
     {},
     ""},
    {"a NUL byte is refused without showing the value",
     kPgApply,
     {{{"STACKRUN_SECRET_pg_password", std::string("hun\0ter22", 9)}}, ""},
     {},
     {},
     {},
     {},
     "secret \"pg_password\" (PGPASSWORD in step \"apply\") holds a NUL byte, which an "
     "environment variable cannot carry"},
    {"the first missing secret fails the whole job",
     {step("a", {{"A", "present", {}}}), step("b", {{"B", "absent", {}}})},
     {{{"STACKRUN_SECRET_present", "value1"}}, ""},
     {},
     {},
     {},
     {},
     "secret \"absent\" (B in step \"b\") is not set: set STACKRUN_SECRET_absent in the agent's "
     "environment or start the agent with --secrets-dir DIR holding a file absent"},
};

TEST(ResolveSecrets, Table) {
  for (const Row& r : kRows) {
    FakeFiles fs{r.files, {}};
    auto got = resolve_secrets(r.steps, r.sources, fs.reader());
    if (!r.want_error.empty()) {
      ASSERT_FALSE(got) << r.name;
      EXPECT_EQ(got.error(), r.want_error) << r.name;
      continue;
    }
    ASSERT_TRUE(got) << r.name << ": " << got.error();
    EXPECT_EQ(got->step_env, r.want_env) << r.name;
    EXPECT_EQ(got->mask, r.want_mask) << r.name;
    EXPECT_EQ(got->notes, r.want_notes) << r.name;
  }
}

TEST(ResolveSecrets, ReadsTheDirOnlyWhenTheEnvironmentLacksTheSecret) {
  FakeFiles fs{{{"/s/b", "bbbb"}}, {}};
  const std::vector<Step> steps = {step("a", {{"A", "a", {}}, {"B", "b", {}}, {"B2", "b", {}}})};
  auto got = resolve_secrets(steps, {{{"STACKRUN_SECRET_a", "aaaa"}}, "/s"}, fs.reader());
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(fs.reads, std::vector<std::string>{"/s/b"});
}

TEST(SecretVariables, OnlyThePrefixedOnes) {
  const proc::EnvList env = {{"PATH", "/bin"},
                             {"STACKRUN_SECRET_x", "1"},
                             {"STACKRUN_SECRETS", "2"},
                             {"STACKRUN_SECRET_", "3"},
                             {"stackrun_secret_y", "4"}};
  EXPECT_EQ(secret_variables(env),
            (proc::EnvList{{"STACKRUN_SECRET_x", "1"}, {"STACKRUN_SECRET_", "3"}}));
}

TEST(ReadSecretFile, RealFiles) {
  testing::TempDir dir("stackrun-secrets");
  const std::string d = dir.path().string();
  testing::write_file(dir.path() / "pw", "hunter22\n");
  EXPECT_EQ(*read_secret_file(d + "/pw"), std::optional<std::string>("hunter22\n"));
  EXPECT_EQ(*read_secret_file(d + "/absent"), std::nullopt);
  ASSERT_EQ(::mkfifo((d + "/fifo").c_str(), 0600), 0);
  auto fifo = read_secret_file(d + "/fifo");  // does not hang
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error(), d + "/fifo: not a regular file");
  auto sub = read_secret_file(d);
  ASSERT_FALSE(sub);
  EXPECT_EQ(sub.error(), d + ": not a regular file");
  testing::write_file(dir.path() / "big", std::string(kMaxSecretBytes + 3, 'x'));
  auto big = read_secret_file(d + "/big");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error(), d + "/big: larger than 64 KiB");
  if (::geteuid() != 0) {  // root reads anything
    testing::write_file(dir.path() / "locked", "x");
    ::chmod((d + "/locked").c_str(), 0);
    auto locked = read_secret_file(d + "/locked");
    ASSERT_FALSE(locked);
    EXPECT_EQ(locked.error(), d + "/locked: cannot read: Permission denied");
  }
}

}  // namespace
}  // namespace stackrun::agent
