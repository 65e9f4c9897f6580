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
       {"http://flag:1", "flag-tok", ""},
       {"http://env:1", "env-tok", ""},
       {{".stackrun-state/client.json", json}},
       "http://flag:1",
       "flag-tok",
       "",
       0},
      {"env when no flag",
       {},
       {"http://env:1", "env-tok", ""},
       {},
       "http://env:1",
       "env-tok",
       "",
       0},
      {"file fills the gap",
       {"http://flag:1", "", ""},
       {},
       {{".stackrun-state/client.json", json}},
       "http://flag:1",
       "file-tok",
       "",
       1},
      {"state dir flag",
       {"", "", "/s"},
       {"", "", "/env"},
       {{"/s/client.json", json}},
       "http://file:1",
       "file-tok",
       "",
       1},
      {"state dir env",
       {},
       {"", "", "/env"},
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
       {"http://flag:1", "", ""},
       {},
       {},
       "",
       "",
       "no token given: pass --token, set STACKRUN_TOKEN, or use `stackrun up`'s "
       ".stackrun-state/client.json",
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

TEST(StateDir, FlagThenEnvThenDefault) {
  EXPECT_EQ(state_dir("/f", {"", "", "/e"}), "/f");
  EXPECT_EQ(state_dir("", {"", "", "/e"}), "/e");
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
  auto c = resolve_client({"", "", dir}, {}, read_whole_file);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->server, "http://127.0.0.1:9");
  EXPECT_EQ(c->token, "secret");
}

}  // namespace
}  // namespace stackrun::client
