#include "runner/core/glob.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stackrun::core {
namespace {

struct MatchRow {
  const char* pattern;
  const char* path;
  bool want;
};

const MatchRow kMatchRows[] = {
    // literals
    {"a", "a", true},
    {"a", "b", false},
    {"abc", "ab", false},
    {"ab", "abc", false},
    {"", "", true},
    {"", "a", false},
    {"a/b", "a/b", true},
    {"a/b", "a/c", false},
    {"a/b", "a", false},
    {"a", "a/b", false},
    // '*' stays within one segment
    {"*", "", true},
    {"*", "abc", true},
    {"*", "a/b", false},
    {"a*", "abc", true},
    {"a*", "ba", false},
    {"*c", "abc", true},
    {"a*c", "ac", true},
    {"a*c", "abbbc", true},
    {"a*c", "abcd", false},
    {"a*b*c", "axxbyyc", true},
    {"a*b*c", "axxbyy", false},
    {"*.md", "README.md", true},
    {"*.md", "docs/README.md", false},
    {"stacks/*", "stacks/vault", true},
    {"stacks/*", "stacks/vault/x", false},
    {"stacks/*", "stacks", false},
    {"*/*", "a/b", true},
    {"*/*", "a/b/c", false},
    {"a/*/c", "a/b/c", true},
    {"a/*/c", "a//c", true},
    {".*", ".git", true},
    {"*", ".hidden", true},
    // '?'
    {"?", "a", true},
    {"?", "", false},
    {"?", "ab", false},
    {"?", "/", false},
    {"a?c", "abc", true},
    {"a?c", "a/c", false},
    {"??", "ab", true},
    // '**' as a whole segment
    {"**", "", true},
    {"**", "a", true},
    {"**", "a/b/c", true},
    {"stacks/**", "stacks/a", true},
    {"stacks/**", "stacks/a/b/c", true},
    {"stacks/**", "stacks", true},  // like bmatcuk/doublestar: a/** matches a itself
    {"stacks/**", "stacks/", true},
    {"stacks/**", "stacksx", false},
    {"stacks/**", "modules/a", false},
    {"**/*.md", "README.md", true},
    {"**/*.md", "docs/x/y.md", true},
    {"**/*.md", "docs/x/y.mdx", false},
    {"**/x", "x", true},
    {"**/x", "a/b/x", true},
    {"**/x", "a/b/xy", false},
    {"a/**/b", "a/b", true},
    {"a/**/b", "a/x/b", true},
    {"a/**/b", "a/x/y/z/b", true},
    {"a/**/b", "a/x/y/z/c", false},
    {"a/**/b", "b", false},
    {"a/**/b/**", "a/x/b/y/z", true},
    {"**/b/**", "b", true},
    {"**/**/**/x", "x", true},
    {"**/**/**/x", "a/b/c/d/x", true},
    {"**/**/**/x", "a/b/c/d/y", false},
    {"a/**/*/c", "a/b/c", true},
    {"a/**/*/c", "a/c", false},
    // '**' not a whole segment is a plain '*'
    {"a**", "abc", true},
    {"a**", "a/b", false},
    {"**.md", "x.md", true},
    {"**.md", "d/x.md", false},
    {"x/**.md", "x/y.md", true},
    {"x/**.md", "x/y/z.md", false},
    {"***", "abc", true},
    {"***", "a/b", false},
    // classes
    {"[abc]", "b", true},
    {"[abc]", "d", false},
    {"[a-c]", "b", true},
    {"[a-c]", "d", false},
    {"[a-cx-z]", "y", true},
    {"[!a]", "b", true},
    {"[!a]", "a", false},
    {"[^a]", "b", true},
    {"[^a]", "a", false},
    {"[!a]", "/", false},
    {"[/]", "/", false},
    {"[]a]", "]", true},
    {"[]a]", "a", true},
    {"[!]]", "]", false},
    {"[!]]", "x", true},
    {"[a-]", "-", true},
    {"[-a]", "-", true},
    {"[\\]]", "]", true},
    {"[\\!]", "!", true},
    {"[0-9][0-9]", "42", true},
    {"[0-9][0-9]", "4x", false},
    {"v[0-9]*", "v12-rc", true},
    {"[*]", "*", true},
    {"[*]", "x", false},
    {"[{]", "{", true},
    // braces
    {"{a,b}", "a", true},
    {"{a,b}", "b", true},
    {"{a,b}", "c", false},
    {"{a,b}", "ab", false},
    {"x{a,b}y", "xby", true},
    {"{,x}y", "y", true},
    {"{,x}y", "xy", true},
    {"{}", "", true},
    {"{a}", "a", true},
    {"{a,{b,c}d}", "cd", true},
    {"{a,{b,c}d}", "a", true},
    {"{a,{b,c}d}", "c", false},
    {"{main,release/*}", "release/1.2", true},
    {"{main,release/*}", "release/1/2", false},
    {"{stacks/**,modules/*}", "stacks/a/b", true},
    {"{stacks/**,modules/*}", "stacks", true},
    {"{stacks/**,modules/*}", "modules/m", true},
    {"{stacks/**,modules/*}", "modules/m/n", false},
    {"{**/,}x", "x", true},
    {"{**/,}x", "a/b/x", true},
    {"{a,b}{c,d}", "bd", true},
    {"{a,b}{c,d}", "bb", false},
    {"*.{tf,hcl}", "main.tf", true},
    {"*.{tf,hcl}", "terragrunt.hcl", true},
    {"*.{tf,hcl}", "main.tfvars", false},
    {"{a,[bc]}", "c", true},
    {"{[,]}", ",", true},  // a ',' inside a class does not split alternatives
    {"a,b", "a,b", true},  // ',' and '}' outside braces are literals
    {"a}", "a}", true},
    // escapes
    {"\\*", "*", true},
    {"\\*", "x", false},
    {"\\?", "?", true},
    {"\\[a]", "[a]", true},
    {"\\{a,b}", "{a,b}", true},
    {"\\{a,b}", "a", false},
    {"\\\\", "\\", true},
    {"a\\/b", "a/b", true},
    {"\\**", "*x", true},
    {"\\*\\*/x", "**/x", true},
    {"\\*\\*/x", "a/x", false},
    // malformed patterns match nothing
    {"[abc", "a", false},
    {"{a,b", "a", false},
    {"a\\", "a", false},
    // realistic branches and paths
    {"main", "main", true},
    {"release/**", "release/2024/q1", true},
    {"feature/*", "feature/x/y", false},
    {"modules/**", "modules/vpc/main.tf", true},
    {"**/terragrunt.hcl", "stacks/vault/terragrunt.hcl", true},
    {"stacks/{vault,cnpg}", "stacks/cnpg", true},
    {"infra-*", "infra-eu", true},
};

TEST(GlobMatch, Table) {
  for (const auto& r : kMatchRows)
    EXPECT_EQ(glob_match(r.pattern, r.path), r.want)
        << "pattern \"" << r.pattern << "\" path \"" << r.path << "\"";
}

struct ErrorRow {
  const char* pattern;
  const char* want;  // "" = well formed
};

const ErrorRow kErrorRows[] = {
    {"", ""},
    {"a/**/b", ""},
    {"[abc]", ""},
    {"[]]", ""},
    {"{a,{b,c}}", ""},
    {"\\[", ""},
    {"a}", ""},
    {"[{]", ""},
    {"stacks/[abc", "unclosed '['"},
    {"[", "unclosed '['"},
    {"[]", "unclosed '['"},
    {"[!]", "unclosed '['"},
    {"[a\\]", "unclosed '['"},
    {"{a,[b}", "unclosed '['"},
    {"{a,b", "unclosed '{'"},
    {"{", "unclosed '{'"},
    {"{a,{b}", "unclosed '{'"},
    {"{[}]", "unclosed '{'"},
    {"a\\", "trailing '\\'"},
    {"\\", "trailing '\\'"},
    {"{a\\", "trailing '\\'"},
    {"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", ""},  // exactly 1024
    {"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}",
     "too many brace alternatives (more than 1024)"},
};

TEST(GlobError, Table) {
  for (const auto& r : kErrorRows) {
    const auto err = glob_error(r.pattern);
    EXPECT_EQ(err.value_or(""), r.want) << "pattern \"" << r.pattern << "\"";
  }
}

// Inputs that make a backtracking matcher exponential: a linear one answers them at once, an
// exponential one never finishes (ctest's --timeout fails it). How fast they are is measured by
// BM_glob_pathological in bench/classify_bench.cpp, never here.
TEST(GlobMatch, AnswersPathologicalInput) {
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "d/";
  deep += "y";
  const std::string long_segment(5000, 'a');
  EXPECT_FALSE(glob_match("**/**/**/**/**/**/**/**/x", deep));
  EXPECT_TRUE(glob_match("**/**/**/**/**/**/**/**/y", deep));
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", long_segment));
  EXPECT_FALSE(glob_match("**/*a*a*a*a*b", deep + "/" + long_segment));
}

}  // namespace
}  // namespace stackrun::core
