// The reading vocabulary, on hand-built nodes (no YAML library involved).
#include "pipelines/reader.hpp"

#include <gtest/gtest.h>

namespace stackrun::pipelines {
namespace {

Node plain(std::string text, int col = 1) {
  Node n;
  n.kind = Node::Kind::scalar;
  n.text = std::move(text);
  n.loc = {"f.yml", 1, col};
  return n;
}

Node quoted(std::string text) {
  Node n = plain(std::move(text));
  n.quoted = true;
  return n;
}

std::vector<std::string> messages(Diags& d) {
  std::vector<std::string> out;
  for (const auto& x : d.take_sorted()) out.push_back(x.str());
  return out;
}

TEST(ScalarType, Table) {
  struct Row {
    const char* text;
    ScalarType want;
  } rows[] = {
      {"abc", ScalarType::string},    {"true", ScalarType::boolean},
      {"False", ScalarType::boolean}, {"yes", ScalarType::string},
      {"on", ScalarType::string},     {"12", ScalarType::integer},
      {"-3", ScalarType::integer},    {"+7", ScalarType::integer},
      {"0x1f", ScalarType::integer},  {"0o17", ScalarType::integer},
      {"0x", ScalarType::string},     {"1.5", ScalarType::number},
      {"1.", ScalarType::number},     {".5", ScalarType::number},
      {"1e3", ScalarType::number},    {"-2.5E-3", ScalarType::number},
      {".inf", ScalarType::number},   {".nan", ScalarType::number},
      {"1.2.3", ScalarType::string},  {"5m", ScalarType::string},
      {"-", ScalarType::string},      {".", ScalarType::string},
      {"e3", ScalarType::string},     {"", ScalarType::string},
  };
  for (const auto& r : rows) EXPECT_EQ(scalar_type(plain(r.text)), r.want) << r.text;
  EXPECT_EQ(scalar_type(quoted("12")), ScalarType::string);
  EXPECT_EQ(scalar_type(Node{}), ScalarType::null);
}

TEST(Describe, Table) {
  Node map;
  map.kind = Node::Kind::map;
  Node seq;
  seq.kind = Node::Kind::seq;
  EXPECT_EQ(describe(Node{}), "null");
  EXPECT_EQ(describe(map), "mapping");
  EXPECT_EQ(describe(seq), "list");
  EXPECT_EQ(describe(plain("four")), "string \"four\"");
  EXPECT_EQ(describe(quoted("4")), "string \"4\"");
  EXPECT_EQ(describe(plain("4")), "integer 4");
  EXPECT_EQ(describe(plain("4.5")), "number 4.5");
  EXPECT_EQ(describe(plain("true")), "boolean true");
  EXPECT_EQ(describe(quoted("a\nb")), "string \"a\\nb\"");
  EXPECT_EQ(describe(quoted(std::string(70, 'x'))), "string \"" + std::string(57, 'x') + "...\"");
}

TEST(Quote, EscapesQuotesAndControls) {
  EXPECT_EQ(quote("a"), "\"a\"");
  EXPECT_EQ(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(quote("\\d+\t"), "\"\\d+\\t\"");
}

TEST(Closest, Table) {
  const std::vector<std::string_view> step{"name",    "command", "env",
                                           "timeout", "dir",     "exit_codes"};
  struct Row {
    const char* word;
    const char* want;  // "" = no suggestion
  } rows[] = {
      {"tiemout", "timeout"},
      {"timout", "timeout"},
      {"comand", "command"},
      {"commands", "command"},
      {"exitcodes", "exit_codes"},
      {"dirs", "dir"},
      {"nmae", "name"},
      {"shell", ""},
      {"x", ""},
      {"en", "env"},
      {"working_dir", ""},
      {"e", ""},
  };
  for (const auto& r : rows) EXPECT_EQ(closest(r.word, step).value_or(""), r.want) << r.word;
}

TEST(Readers, TypedValuesAndMessages) {
  Diags d;
  EXPECT_EQ(read_int(plain("0x10"), "n", d), 16);
  EXPECT_EQ(read_int(plain("010"), "n", d), 10);  // YAML 1.2: no implicit octal
  EXPECT_EQ(read_int(plain("0o10"), "n", d), 8);
  EXPECT_EQ(read_int_in(plain("4"), "n", 1, 10, d), 4);
  EXPECT_EQ(read_number(plain("0.25"), "j", d), 0.25);
  EXPECT_EQ(read_number(plain("1"), "j", d), 1.0);
  EXPECT_EQ(read_duration(plain("1h30m"), "t", d), std::chrono::minutes(90));
  EXPECT_EQ(read_text(plain("true"), "e", d), "true");
  EXPECT_EQ(read_choice(plain("all"), "select", {"changed", "all"}, d), "all");
  EXPECT_TRUE(d.empty());

  EXPECT_FALSE(read_int(plain("99999999999", 1), "n", d));
  EXPECT_FALSE(read_int(plain("1.5", 2), "n", d));
  EXPECT_FALSE(read_number(plain(".nan", 3), "j", d));
  EXPECT_FALSE(read_number(plain("0x1", 4), "j", d));
  EXPECT_FALSE(read_string(plain("12", 5), "s", d));
  Node null;
  null.loc = {"f.yml", 1, 6};
  EXPECT_FALSE(read_duration(null, "t", d));
  EXPECT_FALSE(read_choice(plain("3", 7), "select", {"changed", "all"}, d));
  EXPECT_FALSE(read_int_in(plain("0", 8), "n", 1, std::nullopt, d));
  EXPECT_EQ(messages(d),
            (std::vector<std::string>{
                "f.yml:1:1: \"n\" is out of range, got 99999999999",
                "f.yml:1:2: \"n\" must be an integer, got number 1.5",
                "f.yml:1:3: \"j\" must be a number, got number .nan",
                "f.yml:1:4: \"j\" must be a number, got integer 0x1",
                "f.yml:1:5: \"s\" must be a string, got integer 12",
                "f.yml:1:6: \"t\" must be a duration such as 30s, 5m or 1h30m, got null",
                "f.yml:1:7: \"select\" must be one of: changed, all; got integer 3",
                "f.yml:1:8: \"n\" must be at least 1, got 0",
            }));
}

TEST(Readers, RelativePaths) {
  struct Row {
    const char* path;
    bool ok;
  } rows[] = {
      {"a", true},     {"a/b", true},     {".", true},     {"./a", true},
      {"a..b", true},  {"", false},       {"/a", false},   {"..", false},
      {"a/..", false}, {"a/../b", false}, {"../a", false},
  };
  for (const auto& r : rows) {
    Diags d;
    EXPECT_EQ(check_relative_path(plain(r.path), "dir", d), r.ok) << r.path;
    EXPECT_EQ(d.empty(), r.ok) << r.path;
  }
}

TEST(Diags, SortsByPositionKeepingReportOrderOnTies) {
  Diags d;
  d.error({"f", 3, 1}, "c");
  d.error({"f", 1, 5}, "b");
  d.error({"f", 1, 2}, "a");
  d.error({"f", 3, 1}, "d");
  EXPECT_EQ(messages(d),
            (std::vector<std::string>{"f:1:2: a", "f:1:5: b", "f:3:1: c", "f:3:1: d"}));
}

}  // namespace
}  // namespace stackrun::pipelines
