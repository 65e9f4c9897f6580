// A source's "api_url" (commit statuses): optional, kept as given, https or loopback http.
#include <gtest/gtest.h>

#include "runner/config/server_config.hpp"

namespace stackrun::config {
namespace {

SecretReader env_reader() {
  SecretReader r;
  r.env = [](const std::string&) -> std::optional<std::string> { return "s3cret"; };
  r.file = [](const std::string&) -> Result<std::string> {
    return Result<std::string>::fail("no files here");
  };
  return r;
}

ConfigResult parse_with(const std::string& api_line) {
  return parse_server_config(
      "version: 1\nrepos:\n  - name: infra\n    sources:\n      - name: a\n        kind: "
      "forgejo\n        clone_url: https://x/o/y.git\n        secrets: [{env: H}]\n" +
          api_line,
      "/cfg/server.yml", env_reader());
}

TEST(SourceApiUrl, OptionalAndKeptAsGiven) {
  auto none = parse_with("");
  ASSERT_TRUE(none.config);
  EXPECT_EQ(none.config->repos[0].sources[0].api_url, "");
  auto given = parse_with("        api_url: https://x/api/v1\n");
  ASSERT_TRUE(given.config);
  EXPECT_EQ(given.config->repos[0].sources[0].api_url, "https://x/api/v1");
  auto loopback = parse_with("        api_url: http://127.0.0.1:3000/api/v1\n");
  ASSERT_TRUE(loopback.config);
}

TEST(SourceApiUrl, PlainHttpOffLoopbackIsRefused) {
  auto bad = parse_with("        api_url: http://x/api/v1\n");
  ASSERT_EQ(bad.diagnostics.size(), 1u);
  EXPECT_EQ(bad.diagnostics[0].str(),
            "/cfg/server.yml:9:18: \"api_url\" must start with https:// (http:// only to "
            "127.0.0.1, [::1] or localhost)");
}

}  // namespace
}  // namespace stackrun::config
