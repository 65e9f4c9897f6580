#include "runner/config/server_config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "tests/support/temp_dir.hpp"

namespace stackrun::config {
namespace {

const std::map<std::string, std::string> kEnv = {
    {"HOOK_NEW", "env-secret-new-1"}, {"TOKEN", "env-token-2\n"}, {"EMPTY", ""}};
const std::map<std::string, std::string> kFiles = {
    {"/etc/stackrun/hook-old", "file-secret-old-3\n"},
    {"/cfg/relative-token", "file-token-4"},
    {"/etc/stackrun/blank", " \n"}};

SecretReader fake_reader() {
  SecretReader r;
  r.env = [](const std::string& name) -> std::optional<std::string> {
    auto it = kEnv.find(name);
    if (it == kEnv.end()) return std::nullopt;
    return it->second;
  };
  r.file = [](const std::string& path) -> Result<std::string> {
    auto it = kFiles.find(path);
    if (it == kFiles.end()) return Result<std::string>::fail("No such file or directory");
    return it->second;
  };
  return r;
}

ConfigResult parse(const std::string& text) {
  return parse_server_config(text, "/cfg/server.yml", fake_reader());
}

std::string errors(const ConfigResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.str() + "\n";
  return out;
}

const char* const kFull = R"(version: 1
listen: 127.0.0.1:9000
state_dir: /var/lib/stackrun
repos:
  - name: infra
    default_branch: trunk
    branches: [trunk, "release/*"]
    senders:
      forgejo: [1, 7]
      github: 583231
    notify:
      - https://hooks.example.com/services/T0/B0/xyz
      - http://127.0.0.1:9999/notify
    sources:
      - name: infra-forgejo
        kind: forgejo
        role: canonical
        clone_url: https://git.example.com/ops/infra.git
        secrets:
          - env: HOOK_NEW
          - file: /etc/stackrun/hook-old
        token: {file: relative-token}
      - name: infra-github
        kind: github
        role: mirror
        clone_url: https://github.com/ops/infra.git
        secrets: [{env: HOOK_NEW}]
        token: {env: TOKEN}
  - name: ops/dns
    sources:
      - name: dns
        kind: gitea
        clone_url: /srv/git/dns.git
        secrets: [{env: HOOK_NEW}]
        ssh_key_file: keys/dns_ed25519
)";

TEST(ServerConfig, Full) {
  const ConfigResult r = parse(kFull);
  ASSERT_EQ(errors(r), "");
  const ServerConfig& c = *r.config;
  EXPECT_EQ(c.file, "/cfg/server.yml");
  EXPECT_EQ(c.listen, "127.0.0.1:9000");
  EXPECT_EQ(c.state_dir, "/var/lib/stackrun");
  ASSERT_EQ(c.repos.size(), 2u);
  const Repo& infra = c.repos[0];
  EXPECT_EQ(infra.name, "infra");
  EXPECT_EQ(infra.default_branch, "trunk");
  EXPECT_EQ(infra.guards.branches, (std::vector<std::string>{"trunk", "release/*"}));
  EXPECT_EQ(infra.guards.senders,
            (std::map<core::ForgeKind, std::vector<std::string>>{
                {core::ForgeKind::forgejo, {"1", "7"}}, {core::ForgeKind::github, {"583231"}}}));
  EXPECT_EQ(infra.notify, (std::vector<std::string>{"https://hooks.example.com/services/T0/B0/xyz",
                                                    "http://127.0.0.1:9999/notify"}));
  ASSERT_EQ(infra.sources.size(), 2u);
  const Source& fj = infra.sources[0];
  EXPECT_EQ(fj.name, "infra-forgejo");
  EXPECT_EQ(fj.kind, core::ForgeKind::forgejo);
  EXPECT_EQ(fj.role, core::SourceRole::canonical);
  EXPECT_EQ(fj.clone_url, "https://git.example.com/ops/infra.git");
  ASSERT_EQ(fj.webhook_secrets.size(), 2u);
  EXPECT_EQ(fj.webhook_secrets[0].reveal(), "env-secret-new-1");
  EXPECT_EQ(fj.webhook_secrets[0].origin(), "env HOOK_NEW");
  EXPECT_EQ(fj.webhook_secrets[1].reveal(), "file-secret-old-3");  // trailing newline dropped
  EXPECT_EQ(fj.webhook_secrets[1].origin(), "file /etc/stackrun/hook-old");
  ASSERT_TRUE(fj.token);
  EXPECT_EQ(fj.token->reveal(), "file-token-4");  // relative to the config file's directory
  EXPECT_EQ(fj.token->origin(), "file /cfg/relative-token");
  const Source& gh = infra.sources[1];
  EXPECT_EQ(gh.kind, core::ForgeKind::github);
  EXPECT_EQ(gh.role, core::SourceRole::mirror);
  EXPECT_EQ(gh.token->reveal(), "env-token-2");
  const Repo& dns = c.repos[1];
  EXPECT_EQ(dns.sources[0].kind, core::ForgeKind::gitea);
  EXPECT_EQ(dns.sources[0].clone_url, "/srv/git/dns.git");
  EXPECT_EQ(dns.sources[0].ssh_key_file, "/cfg/keys/dns_ed25519");  // relative to the config
  EXPECT_EQ(fj.ssh_key_file, "");

  auto found = find_source(c, "infra-github");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->repo, &infra);
  EXPECT_EQ(found->source, &gh);
  EXPECT_FALSE(find_source(c, "nope"));
}

TEST(ServerConfig, Defaults) {
  const ConfigResult r = parse(R"(version: 1
repos:
  - name: infra
    sources:
      - name: only
        kind: github
        clone_url: https://github.com/o/infra.git
        secrets: [{env: HOOK_NEW}]
)");
  ASSERT_EQ(errors(r), "");
  const ServerConfig& c = *r.config;
  EXPECT_FALSE(c.listen);
  EXPECT_FALSE(c.state_dir);
  const Repo& repo = c.repos.at(0);
  EXPECT_EQ(repo.default_branch, "main");
  EXPECT_TRUE(repo.guards.branches.empty());  // any branch
  EXPECT_TRUE(repo.guards.senders.empty());   // any sender
  EXPECT_TRUE(repo.notify.empty());
  EXPECT_EQ(repo.sources.at(0).role, core::SourceRole::canonical);  // the only source
  EXPECT_FALSE(repo.sources.at(0).token);

  const ConfigResult bare = parse("version: 1\n");
  ASSERT_EQ(errors(bare), "");
  EXPECT_TRUE(bare.config->repos.empty());
}

// A valid repo around one bad line: `%s` in a source (line 8, column 9 is the key).
std::string with_source_line(const std::string& line) {
  return "version: 1\nrepos:\n  - name: infra\n    sources:\n      - name: a\n        kind: "
         "forgejo\n        clone_url: https://x/y.git\n        " +
         line + "\n";
}

struct ErrorRow {
  std::string yaml;
  std::string want;  // every diagnostic, one per line
};

const std::string kSrc = "        secrets: [{env: HOOK_NEW}]";

std::vector<ErrorRow> error_rows() {
  return {
      {"",
       "/cfg/server.yml:1:1: empty file: a server configuration needs at least \"version: 1\"\n"},
      {"version: [1\n", "/cfg/server.yml:2:1: YAML syntax error: end of sequence flow not found\n"},
      {"version: 1\n---\nversion: 1\n",
       "/cfg/server.yml:3:1: expected one YAML document, found 2\n"},
      {"- 1\n",
       "/cfg/server.yml:1:1: a server configuration must be a mapping (\"version\", \"listen\", "
       "\"state_dir\", \"repos\"), got list\n"},
      {"listen: 127.0.0.1:1\n",
       "/cfg/server.yml:1:1: server configuration is missing required key \"version\"\n"},
      {"version: 2\n", "/cfg/server.yml:1:10: \"version\" must be 1, got 2\n"},
      {"version: 1\nlisten: localhost\n",
       "/cfg/server.yml:2:9: \"listen\" must be HOST:PORT, got \"localhost\"\n"},
      {"version: 1\nlisten: 127.0.0.1:70000\n",
       "/cfg/server.yml:2:9: \"listen\" must be HOST:PORT, got \"127.0.0.1:70000\"\n"},
      {"version: 1\nstate_dir: ''\n", "/cfg/server.yml:2:12: \"state_dir\" must not be empty\n"},
      {"version: 1\nrepo: []\n",
       "/cfg/server.yml:2:1: unknown key \"repo\" in server configuration (did you mean "
       "\"repos\"?)\n"},
      {"version: 1\nrepos: {}\n", "/cfg/server.yml:2:8: \"repos\" must be a list, got mapping\n"},
      {"version: 1\nrepos:\n  - name: infra\n",
       "/cfg/server.yml:3:5: repo is missing required key \"sources\"\n"},
      {"version: 1\nrepos:\n  - name: infra\n    sources: []\n",
       "/cfg/server.yml:4:14: \"sources\" must be a list of at least one forge source, got list\n"},
      {"version: 1\nrepos:\n  - name: in fra\n    sources: []\n",
       "/cfg/server.yml:3:11: repo name \"in fra\" may use only letters, digits, \".\", \"_\", "
       "\"-\" and \"/\"\n"
       "/cfg/server.yml:4:14: \"sources\" must be a list of at least one forge source, got list\n"},
      // sources
      {with_source_line("role: boss\n" + kSrc),
       "/cfg/server.yml:8:15: \"role\" must be one of: canonical, mirror; got \"boss\"\n"},
      {with_source_line("role: mirror\n" + kSrc),
       "/cfg/server.yml:4:5: repo \"infra\" has no canonical source; mark exactly one with "
       "role: canonical\n"},
      {with_source_line("secrets: []"),
       "/cfg/server.yml:8:18: \"secrets\" must list at least one webhook secret\n"},
      {with_source_line("secrets: {env: HOOK_NEW}"),
       "/cfg/server.yml:8:18: \"secrets\" must be a list of {env: NAME} or {file: PATH}, got "
       "mapping\n"},
      {with_source_line("secrets: [{env: NOPE}]"),
       "/cfg/server.yml:8:25: environment variable NOPE is not set (secrets[0] reads it)\n"},
      {with_source_line("secrets: [{env: EMPTY}]"),
       "/cfg/server.yml:8:25: secret from env EMPTY is empty\n"},
      {with_source_line("secrets: [{file: /etc/stackrun/missing}]"),
       "/cfg/server.yml:8:26: cannot read secret file /etc/stackrun/missing: No such file or "
       "directory\n"},
      {with_source_line("secrets: [{file: /etc/stackrun/blank}]"),
       "/cfg/server.yml:8:26: secret from file /etc/stackrun/blank is empty\n"},
      {with_source_line("secrets: [{env: HOOK_NEW, file: /etc/stackrun/hook-old}]"),
       "/cfg/server.yml:8:19: \"secrets[0]\" needs exactly one of \"env\" (a variable name) or "
       "\"file\" (a path)\n"},
      {with_source_line("secrets: [{}]"),
       "/cfg/server.yml:8:19: \"secrets[0]\" needs exactly one of \"env\" (a variable name) or "
       "\"file\" (a path)\n"},
      {with_source_line("secrets: [HOOK_NEW]"),
       "/cfg/server.yml:8:19: \"secrets[0]\" must be {env: NAME} or {file: PATH}, got a value "
       "written inline (secrets are never written in this file)\n"},
      {with_source_line("token: hunter2-inline\n" + kSrc),
       "/cfg/server.yml:8:16: \"token\" must be {env: NAME} or {file: PATH}, got a value "
       "written inline (secrets are never written in this file)\n"},
      {with_source_line("token: [x]\n" + kSrc),
       "/cfg/server.yml:8:16: \"token\" must be {env: NAME} or {file: PATH}, got list\n"},
      {with_source_line("token: {env: NOPE}\n" + kSrc),
       "/cfg/server.yml:8:22: environment variable NOPE is not set (token reads it)\n"},
      {with_source_line("tokn: {env: TOKEN}\n" + kSrc),
       "/cfg/server.yml:8:9: unknown key \"tokn\" in source (did you mean \"token\"?)\n"},
      {"version: 1\nrepos:\n  - name: infra\n    sources:\n      - name: a\n        kind: "
       "bitbucket\n        clone_url: https://x/y.git\n" +
           kSrc + "\n",
       "/cfg/server.yml:6:15: \"kind\" must be one of: forgejo, gitea, github; got "
       "\"bitbucket\"\n"},
      {"version: 1\nrepos:\n  - name: infra\n    sources:\n      - name: a b\n        kind: "
       "forgejo\n        clone_url: https://x/y.git\n" +
           kSrc + "\n",
       "/cfg/server.yml:5:15: source name \"a b\" may use only letters, digits, \".\", \"_\" and "
       "\"-\" (it is the {source} in /hooks/{source})\n"},
      {"version: 1\nrepos:\n  - name: infra\n    sources:\n      - kind: forgejo\n        "
       "clone_url: https://u:pw@x/y.git\n" +
           kSrc + "\n",
       "/cfg/server.yml:5:9: source is missing required key \"name\"\n"
       "/cfg/server.yml:6:20: \"clone_url\" must not carry credentials (they would be printed "
       "and logged); give the token under \"token\"\n"},
      {"version: 1\nrepos:\n  - name: infra\n    sources:\n      - name: a\n        kind: "
       "forgejo\n        clone_url: https://ghp_abc@x/y.git\n" +
           kSrc + "\n",
       "/cfg/server.yml:7:20: \"clone_url\" must not carry credentials (they would be printed "
       "and logged); give the token under \"token\"\n"},
      // roles across a repo's sources
      {R"(version: 1
repos:
  - name: infra
    sources:
      - {name: a, kind: forgejo, clone_url: u, secrets: [{env: HOOK_NEW}]}
      - {name: b, kind: github, role: mirror, clone_url: u, secrets: [{env: HOOK_NEW}]}
)",
       "/cfg/server.yml:5:9: source \"a\" needs \"role\" (canonical or mirror): repo \"infra\" "
       "has more than one source\n"},
      {R"(version: 1
repos:
  - name: infra
    sources:
      - {name: a, kind: forgejo, role: canonical, clone_url: u, secrets: [{env: HOOK_NEW}]}
      - {name: b, kind: github, role: canonical, clone_url: u, secrets: [{env: HOOK_NEW}]}
)",
       "/cfg/server.yml:6:9: repo \"infra\" already has canonical source \"a\" (line 5); "
       "exactly one source per repo is canonical\n"},
      {R"(version: 1
repos:
  - name: infra
    sources:
      - {name: a, kind: forgejo, role: mirror, clone_url: u, secrets: [{env: HOOK_NEW}]}
      - {name: b, kind: github, role: mirror, clone_url: u, secrets: [{env: HOOK_NEW}]}
)",
       "/cfg/server.yml:4:5: repo \"infra\" has no canonical source; mark exactly one with "
       "role: canonical\n"},
      // names across repos
      {R"(version: 1
repos:
  - name: infra
    sources: [{name: a, kind: forgejo, clone_url: u, secrets: [{env: HOOK_NEW}]}]
  - name: infra
    sources: [{name: a, kind: gitea, clone_url: u, secrets: [{env: HOOK_NEW}]}]
)",
       "/cfg/server.yml:5:5: duplicate repo name \"infra\" (first at line 3)\n"
       "/cfg/server.yml:6:15: duplicate source name \"a\" (first at line 4); source names are "
       "unique across all repos\n"},
      // allowlists and notifiers
      {R"(version: 1
repos:
  - name: infra
    branches: ["release/[x"]
    senders: {github: [alice], gitlab: [1], forgejo: {id: 1}}
    notify: [http://hooks.example.com/x, 7]
    sources: [{name: a, kind: forgejo, clone_url: u, secrets: [{env: HOOK_NEW}]}]
)",
       "/cfg/server.yml:4:16: invalid glob \"release/[x\": unclosed '['\n"
       "/cfg/server.yml:5:24: \"senders.github[0]\" must be a forge user id (digits; logins can "
       "be renamed, ids cannot), got \"alice\"\n"
       "/cfg/server.yml:5:32: unknown key \"gitlab\" in senders (did you mean \"gitea\"?)\n"
       "/cfg/server.yml:5:54: \"senders.forgejo\" must be a list of forge user ids, got mapping\n"
       "/cfg/server.yml:6:14: notifier URL must start with https:// (http:// only to 127.0.0.1, "
       "[::1] or localhost)\n"
       "/cfg/server.yml:6:42: \"notify[1]\" must be a string, got integer 7\n"},
  };
}

TEST(ServerConfig, Errors) {
  for (const ErrorRow& row : error_rows()) {
    const ConfigResult r = parse(row.yaml);
    EXPECT_EQ(errors(r), row.want) << row.yaml;
    EXPECT_FALSE(r.config) << row.yaml;
  }
}

TEST(ServerConfig, LoadFromDisk) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "hook", "disk-secret-5\n");
  testing::write_file(dir.path() / "server.yml", R"(version: 1
repos:
  - name: infra
    sources: [{name: a, kind: gitea, clone_url: u, secrets: [{file: hook}]}]
)");
  const std::string path = (dir.path() / "server.yml").string();
  const ConfigResult r = load_server_config(path, system_secret_reader());
  ASSERT_EQ(errors(r), "");
  EXPECT_EQ(r.config->repos.at(0).sources.at(0).webhook_secrets.at(0).reveal(), "disk-secret-5");

  const std::string missing = (dir.path() / "nope.yml").string();
  EXPECT_EQ(errors(load_server_config(missing, system_secret_reader())),
            missing + ":1:1: cannot read the configuration: No such file or directory\n");
  testing::write_file(dir.path() / "big.yml", std::string(kMaxConfigBytes + 1, '#'));
  const std::string big = (dir.path() / "big.yml").string();
  EXPECT_EQ(errors(load_server_config(big, system_secret_reader())),
            big +
                ":1:1: file is over the 1024 KiB limit for a server configuration (nothing "
                "was parsed)\n");
}

TEST(ServerConfig, SummaryShowsOriginsNeverValues) {
  const ConfigResult r = parse(kFull);
  ASSERT_EQ(errors(r), "");
  const std::vector<std::string> lines = summary_lines(*r.config);
  const std::vector<std::string> want = {
      "config /cfg/server.yml: listen 127.0.0.1:9000, state dir /var/lib/stackrun, 2 repos",
      "repo infra: default branch trunk, 2 sources, branches trunk release/*, senders forgejo "
      "1,7; github 583231, 2 notifiers (hooks.example.com, 127.0.0.1:9999)",
      "source infra-forgejo (repo infra): forgejo canonical, clone "
      "https://git.example.com/ops/infra.git, 2 webhook secrets (env HOOK_NEW, file "
      "/etc/stackrun/hook-old), token from file /cfg/relative-token",
      "source infra-github (repo infra): github mirror, clone https://github.com/ops/infra.git, "
      "1 webhook secret (env HOOK_NEW), token from env TOKEN",
      "repo ops/dns: default branch main, 1 source, any branch, any sender, no notifiers",
      "source dns (repo ops/dns): gitea canonical, clone /srv/git/dns.git, 1 webhook secret (env "
      "HOOK_NEW), no token, ssh key /cfg/keys/dns_ed25519",
  };
  EXPECT_EQ(lines, want);
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  for (const auto& [name, value] : kEnv) {
    if (value.empty()) continue;
    EXPECT_EQ(all.find(value.substr(0, 10)), std::string::npos) << name;
  }
  for (const auto& [path, value] : kFiles) {
    if (value.size() <= 3) continue;
    EXPECT_EQ(all.find(value.substr(0, 10)), std::string::npos) << path;
  }
  EXPECT_EQ(all.find("services/T0"), std::string::npos);  // a notifier URL's path is a credential
}

TEST(ServerConfig, SecretPrintsItsOriginOnly) {
  const Secret s("hunter2-value", "env HOOK");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "secret from env HOOK");
  EXPECT_EQ(s.describe(), "secret from env HOOK");
}

}  // namespace
}  // namespace stackrun::config
