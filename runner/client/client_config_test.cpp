// Server and token resolution: flag > environment > client.json, as a table over a fake file
// system; and the real write/read of client.json (mode 0600).
#include "runner/client/client_config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "tests/support/temp_dir.hpp"

namespace stackrun::client {
namespace {

struct Row {
  const char* name;
  ClientFlags flags;
  ClientEnv env;
  std::map<std::string, std::string> files;  // path -> content; absent = unreadable
  std::string server, token, error;          // expected
  int reads;                                 // how often client.json was read
};

TEST(ResolveClient, Table) {
  const std::string json = R"({"version":1,"server":"http://file:1","token":"file-tok"})";
  const Row rows[] = {
      {"flags win",
       {"http://flag:1", "flag-tok", "", ""},
       {"http://env:1", "env-tok", "", ""},
       {{".stackrun-state/client.json", json}},
       "http://flag:1",
       "flag-tok",
       "",
       0},
      {"env when no flag",
       {},
       {"http://env:1", "env-tok", "", ""},
       {},
       "http://env:1",
       "env-tok",
       "",
       0},
      {"file fills the gap",
       {"http://flag:1", "", "", ""},
       {},
       {{".stackrun-state/client.json", json}},
       "http://flag:1",
       "file-tok",
       "",
       1},
      {"state dir flag",
       {"", "", "/s", ""},
       {"", "", "/env", ""},
       {{"/s/client.json", json}},
       "http://file:1",
       "file-tok",
       "",
       1},
      {"state dir env",
       {},
       {"", "", "/env", ""},
       {{"/env/client.json", json}},
       "http://file:1",
       "file-tok",
       "",
       1},
      {"no server anywhere",
       {},
       {},
       {},
       "",
       "",
       "no server given: pass --server URL, set STACKRUN_SERVER, or start one with `stackrun "
       "up` (.stackrun-state/client.json: cannot read: No such file or directory)",
       1},
      {"no token anywhere",
       {"http://flag:1", "", "", ""},
       {},
       {},
       "",
       "",
       "no token given: pass --token-file FILE (or --token), set STACKRUN_TOKEN_FILE or "
       "STACKRUN_TOKEN, or use `stackrun up`'s .stackrun-state/client.json",
       1},
      {"token file flag, newline stripped",
       {"http://flag:1", "", "", "/t/tok"},
       {"", "env-tok", "", "/t/env-tok"},
       {{"/t/tok", "file-tok\n"}},
       "http://flag:1",
       "file-tok",
       "",
       1},
      {"token flag wins over the token file flag",
       {"http://flag:1", "flag-tok", "", "/t/tok"},
       {},
       {{"/t/tok", "file-tok\n"}},
       "http://flag:1",
       "flag-tok",
       "",
       0},
      {"STACKRUN_TOKEN wins over STACKRUN_TOKEN_FILE",
       {"http://flag:1", "", "", ""},
       {"", "env-tok", "", "/t/tok"},
       {{"/t/tok", "file-tok"}},
       "http://flag:1",
       "env-tok",
       "",
       0},
      {"STACKRUN_TOKEN_FILE, CRLF stripped",
       {"http://flag:1", "", "", ""},
       {"", "", "", "/t/tok"},
       {{"/t/tok", "file-tok\r\n"}},
       "http://flag:1",
       "file-tok",
       "",
       1},
      {"token file and client.json for the server",
       {"", "", "", "/t/tok"},
       {},
       {{"/t/tok", "file-tok"}, {".stackrun-state/client.json", json}},
       "http://file:1",
       "file-tok",
       "",
       2},
      {"missing token file",
       {"http://flag:1", "", "", "/t/none"},
       {"", "env-tok", "", ""},
       {},
       "",
       "",
       "token file /t/none: cannot read: No such file or directory",
       1},
      {"empty token file",
       {"http://flag:1", "", "", "/t/tok"},
       {},
       {{"/t/tok", "\n"}},
       "",
       "",
       "/t/tok: the token file is empty",
       1},
      {"token file of two lines",
       {"http://flag:1", "", "", "/t/tok"},
       {},
       {{"/t/tok", "a\nb\n"}},
       "",
       "",
       "/t/tok: the token file holds more than one line; put only the token in it",
       1},
      {"file without token",
       {},
       {},
       {{".stackrun-state/client.json", R"({"server":"http://x:1"})"}},
       "",
       "",
       ".stackrun-state/client.json: needs \"server\" and \"token\"",
       1},
      {"file not JSON",
       {},
       {},
       {{".stackrun-state/client.json", "server=x"}},
       "",
       "",
       ".stackrun-state/client.json: client file: body is not valid JSON (syntax error at byte 1)",
       1},
  };
  for (const Row& r : rows) {
    int reads = 0;
    auto fake = [&](const std::string& path) -> Result<std::string> {
      ++reads;
      auto it = r.files.find(path);
      if (it == r.files.end()) return Error{path + ": cannot read: No such file or directory"};
      return it->second;
    };
    auto c = resolve_client(r.flags, r.env, fake);
    EXPECT_EQ(reads, r.reads) << r.name;
    if (r.error.empty()) {
      ASSERT_TRUE(c.ok()) << r.name << ": " << c.error();
      EXPECT_EQ(c->server, r.server) << r.name;
      EXPECT_EQ(c->token, r.token) << r.name;
    } else {
      ASSERT_FALSE(c.ok()) << r.name;
      EXPECT_EQ(c.error(), r.error) << r.name;
    }
  }
}

TEST(TokenFile, ReadWithAWarningWhenOthersMayReadIt) {
  testing::TempDir tmp("stackrun-token-file");
  const std::string path = (tmp.path() / "token").string();
  ASSERT_TRUE(write_private_file(path, "sr_tok\n").ok());
  std::string loose = "stale";
  auto t = read_token_file(path, loose);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(*t, "sr_tok");
  EXPECT_EQ(loose, "");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  t = read_token_file(path, loose);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(*t, "sr_tok");
  EXPECT_EQ(loose, path + " is accessible to group or others (mode 0640); chmod 600 it");
  auto missing = read_token_file(path + ".none", loose);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), path + ".none: cannot read: No such file or directory");
}

TEST(PrivateFile, ReplacesAnOpenFileWithAPrivateOne) {
  testing::TempDir tmp("stackrun-private-file");
  const std::string path = (tmp.path() / "up.json").string();
  testing::write_file(path, "old");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  testing::write_file(path + ".tmp", "stale tmp");  // left by a crash, with an open mode
  ASSERT_EQ(::chmod((path + ".tmp").c_str(), 0666), 0);
  ASSERT_TRUE(write_private_file(path, "new").ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*read_whole_file(path), "new");
}

TEST(StateDir, FlagThenEnvThenDefault) {
  EXPECT_EQ(state_dir("/f", {"", "", "/e", ""}), "/f");
  EXPECT_EQ(state_dir("", {"", "", "/e", ""}), "/e");
  EXPECT_EQ(state_dir("", {}), ".stackrun-state");
}

TEST(ClientJson, WrittenPrivateAndReadBack) {
  testing::TempDir tmp("stackrun-client-json");
  const std::string dir = (tmp.path() / "state").string();
  ASSERT_TRUE(write_client_json(dir, {"http://127.0.0.1:9", "secret"}).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/client.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto text = read_whole_file(dir + "/client.json");
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_EQ(*text, R"({"version":1,"server":"http://127.0.0.1:9","token":"secret"})"
                   "\n");
  auto c = resolve_client({"", "", dir, ""}, {}, read_whole_file);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->server, "http://127.0.0.1:9");
  EXPECT_EQ(c->token, "secret");
}

}  // namespace
}  // namespace stackrun::client
