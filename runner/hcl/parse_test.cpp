// The HCL parser on real Terragrunt layouts: tree shapes as compact S-expressions, positions,
// heredocs and templates, and the exact located message of each syntax error.
#include "runner/hcl/parse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace stackrun::hcl {
namespace {

// ── printer: one line per tree, e.g. (call dirname (call find_in_parent_folders)) ───────────

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string sexp(const ExprPtr& e);

std::string join(const std::vector<ExprPtr>& items, std::size_t from = 0) {
  std::string out;
  for (std::size_t i = from; i < items.size(); ++i) out += " " + sexp(items[i]);
  return out;
}

std::string sexp_template(const Expr& e) {
  if (e.parts.size() == 1 && e.parts[0].kind == TemplatePart::Kind::literal)
    return quote(e.parts[0].text);
  std::string out = "(tmpl";
  for (const TemplatePart& p : e.parts) {
    switch (p.kind) {
      case TemplatePart::Kind::literal:
        out += " " + quote(p.text);
        break;
      case TemplatePart::Kind::interpolation:
        out += " ${" + sexp(p.expr) + "}";
        break;
      case TemplatePart::Kind::directive:
        out += " %{" + p.text + "}";
        break;
    }
  }
  return out + ")";
}

std::string sexp_for(const Expr& e) {
  bool object = e.kind == ExprKind::for_object;
  std::string out = object ? "{for " : "[for ";
  if (!e.key_var.empty()) out += e.key_var + " ";
  out += e.value_var + " in " + sexp(e.items[0]) + " : " + sexp(e.items[1]);
  std::size_t next = 2;
  if (object) out += " => " + sexp(e.items[next++]) + (e.group ? "..." : "");
  if (next < e.items.size()) out += " if " + sexp(e.items[next]);
  return out + (object ? "}" : "]");
}

std::string sexp(const ExprPtr& e) {
  if (!e) return "<null>";
  switch (e->kind) {
    case ExprKind::null_lit:
      return "null";
    case ExprKind::bool_lit:
      return e->boolean ? "true" : "false";
    case ExprKind::number_lit:
      return e->text;
    case ExprKind::template_:
      return sexp_template(*e);
    case ExprKind::tuple:
      return "[" + (e->items.empty() ? "" : join(e->items).substr(1)) + "]";
    case ExprKind::object: {
      std::string out;
      for (const ObjectEntry& en : e->entries)
        out += (out.empty() ? "" : " ") + sexp(en.key) + "=" + sexp(en.value);
      return "{" + out + "}";
    }
    case ExprKind::variable:
      return e->text;
    case ExprKind::get_attr:
      return sexp(e->items[0]) + "." + e->text;
    case ExprKind::index:
      return sexp(e->items[0]) + "[" + sexp(e->items[1]) + "]";
    case ExprKind::splat:
      return sexp(e->items[0]) + "[*]" + (e->text.empty() ? "" : "." + e->text);
    case ExprKind::call:
      return "(call " + e->text + join(e->items) + (e->expand_final ? " ...)" : ")");
    case ExprKind::unary:
    case ExprKind::binary:
      return "(" + e->text + join(e->items) + ")";
    case ExprKind::conditional:
      return "(?" + join(e->items) + ")";
    case ExprKind::for_tuple:
    case ExprKind::for_object:
      return sexp_for(*e);
    case ExprKind::paren:
      return "(paren " + sexp(e->items[0]) + ")";
  }
  return "<?>";
}

// A body as `name=value` and `(block type "label" ...)` items in file order.
std::string sexp(const Body& b) {
  std::vector<std::pair<Pos, std::string>> items;
  for (const Attribute& a : b.attributes) items.push_back({a.pos, a.name + "=" + sexp(a.value)});
  for (const Block& bl : b.blocks) {
    std::string s = "(block " + bl.type;
    for (const std::string& l : bl.labels) s += " " + quote(l);
    std::string inner = sexp(bl.body);
    items.push_back({bl.pos, s + (inner.empty() ? "" : " " + inner) + ")"});
  }
  std::sort(items.begin(), items.end(), [](const auto& x, const auto& y) {
    return x.first.line != y.first.line ? x.first.line < y.first.line : x.first.col < y.first.col;
  });
  std::string out;
  for (const auto& [pos, s] : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::string parse_to_sexp(const std::string& text) {
  Parsed p = parse(text, "t.hcl");
  if (p.error) return "ERROR " + p.error->str();
  return sexp(*p.body);
}

// ── whole files ─────────────────────────────────────────────────────────────────────────────

struct FileRow {
  const char* name;
  std::string text;
  std::string want;
};

const FileRow kFiles[] = {
    {"root terragrunt.hcl: locals, remote_state, generate with a heredoc",
     "# Root configuration, included by every stack.\n"
     "locals {\n"
     "  account_vars = read_terragrunt_config(find_in_parent_folders(\"account.hcl\"))\n"
     "  aws_region   = local.account_vars.locals.region\n"
     "}\n"
     "\n"
     "remote_state {\n"
     "  backend = \"s3\"\n"
     "  generate = {\n"
     "    path      = \"backend.tf\"\n"
     "    if_exists = \"overwrite_terragrunt\"\n"
     "  }\n"
     "  config = {\n"
     "    bucket  = \"tfstate-${local.aws_region}\"\n"
     "    key     = \"${path_relative_to_include()}/terraform.tfstate\"\n"
     "    encrypt = true\n"
     "  }\n"
     "}\n"
     "\n"
     "generate \"provider\" {\n"
     "  path      = \"provider.tf\"\n"
     "  if_exists = \"overwrite_terragrunt\"\n"
     "  contents  = <<EOF\n"
     "provider \"aws\" {\n"
     "  region = \"${local.aws_region}\"\n"
     "}\n"
     "EOF\n"
     "}\n",
     "(block locals"
     " account_vars=(call read_terragrunt_config (call find_in_parent_folders \"account.hcl\"))"
     " aws_region=local.account_vars.locals.region)"
     " (block remote_state backend=\"s3\""
     " generate={\"path\"=\"backend.tf\" \"if_exists\"=\"overwrite_terragrunt\"}"
     " config={\"bucket\"=(tmpl \"tfstate-\" ${local.aws_region})"
     " \"key\"=(tmpl ${(call path_relative_to_include)} \"/terraform.tfstate\")"
     " \"encrypt\"=true})"
     " (block generate \"provider\" path=\"provider.tf\" if_exists=\"overwrite_terragrunt\""
     " contents=(tmpl \"provider \\\"aws\\\" {\\n  region = \\\"\" ${local.aws_region}"
     " \"\\\"\\n}\\n\"))"},
    {"child: includes, terraform source, locals, dependency, dependencies, inputs",
     "include \"root\" {\n"
     "  path = find_in_parent_folders()\n"
     "}\n"
     "include {\n"
     "  path = \"${dirname(find_in_parent_folders())}/_envcommon/mysql.hcl\"\n"
     "}\n"
     "terraform {\n"
     "  source = \"${get_repo_root()}/modules/k8s-app//charts\"\n"
     "}\n"
     "locals {\n"
     "  env    = read_terragrunt_config(find_in_parent_folders(\"env.hcl\"))\n"
     "  region = local.env.locals.region\n"
     "}\n"
     "dependency \"vpc\" {\n"
     "  config_path = \"../vpc\"\n"
     "  mock_outputs = {\n"
     "    id = \"x\"\n"
     "  }\n"
     "}\n"
     "dependencies {\n"
     "  paths = [\"../a\", \"../b\"]\n"
     "}\n"
     "inputs = merge(local.common, {\n"
     "  policy = file(\"policy.json\"),\n"
     "  list   = [for s in var.x : upper(s) if s != \"\"]\n"
     "})\n",
     "(block include \"root\" path=(call find_in_parent_folders))"
     " (block include path=(tmpl ${(call dirname (call find_in_parent_folders))}"
     " \"/_envcommon/mysql.hcl\"))"
     " (block terraform source=(tmpl ${(call get_repo_root)} \"/modules/k8s-app//charts\"))"
     " (block locals env=(call read_terragrunt_config (call find_in_parent_folders \"env.hcl\"))"
     " region=local.env.locals.region)"
     " (block dependency \"vpc\" config_path=\"../vpc\" mock_outputs={\"id\"=\"x\"})"
     " (block dependencies paths=[\"../a\" \"../b\"])"
     " inputs=(call merge local.common {\"policy\"=(call file \"policy.json\")"
     " \"list\"=[for s in var.x : (call upper s) if (!= s \"\")]})"},
    {"one-line blocks, bare labels, empty blocks, all three comment kinds",
     "locals { env = \"dev\" } # trailing comment\n"
     "// a line comment\n"
     "/* a block\n   comment */ terraform {}\n"
     "resource aws_s3_bucket \"b\" { /* inline */ bucket = \"x\" }\n"
     "skip = true // why\n",
     "(block locals env=\"dev\") (block terraform)"
     " (block resource \"aws_s3_bucket\" \"b\" bucket=\"x\") skip=true"},
    {"trailing commas, newline-separated object items, `:` keys, expression keys",
     "a = [\n  1,\n  2,\n]\n"
     "b = { x = 1, \"y\": 2, (k) = 3, }\n"
     "c = {\n  x = 1\n\n  y = [\n    3\n  ]\n}\n"
     "d = []\n"
     "e = {}\n",
     "a=[1 2] b={\"x\"=1 \"y\"=2 (paren k)=3} c={\"x\"=1 \"y\"=[3]} d=[] e={}"},
    {"CRLF line endings and a file without a final newline",
     "locals {\r\n  a = 1\r\n}\r\nb = \"x\"", "(block locals a=1) b=\"x\""},
    {"a UTF-8 byte order mark is skipped",
     "\xEF\xBB\xBF"
     "a = 1\n",
     "a=1"},
    {"empty file, only comments", "\n# nothing\n/* here */\n", ""},
};

class FileTest : public testing::TestWithParam<FileRow> {};

TEST_P(FileTest, Shape) {
  const FileRow& row = GetParam();
  EXPECT_EQ(parse_to_sexp(row.text), row.want) << row.name;
}

INSTANTIATE_TEST_SUITE_P(Parse, FileTest, testing::ValuesIn(kFiles));

// ── expressions: `x = <text>`, printed ─────────────────────────────────────────────────────

struct ExprRow {
  std::string text, want;
};

const ExprRow kExprs[] = {
    // literals
    {"42", "42"},
    {"1.5e-3", "1.5e-3"},
    {"true", "true"},
    {"null", "null"},
    {"\"\"", "\"\""},
    {"\"plain\"", "\"plain\""},
    // operators and precedence
    {"a ? b : c", "(? a b c)"},
    {"a ? b : c ? d : e", "(? a b (? c d e))"},
    {"!x && y || z", "(|| (&& (! x) y) z)"},
    {"-1 * 2", "(* (- 1) 2)"},
    {"1 + 2 * 3 - 4", "(- (+ 1 (* 2 3)) 4)"},
    {"a == b != c", "(!= (== a b) c)"},
    {"a < b == c >= d", "(== (< a b) (>= c d))"},
    {"10 % 3 / 2", "(/ (% 10 3) 2)"},
    {"- -x", "(- (- x))"},
    {"!f(x)[0]", "(! (call f x)[0])"},
    {"(1 + 2) * 3", "(* (paren (+ 1 2)) 3)"},
    {"a && b ? c || d : e", "(? (&& a b) (|| c d) e)"},
    // traversals and splats
    {"dependency.vpc.outputs.id", "dependency.vpc.outputs.id"},
    {"a.0.b", "a[0].b"},
    {"a.0.1", "a[0][1]"},
    {"a[\"k\"][1 + 1]", "a[\"k\"][(+ 1 1)]"},
    {"a[*].b.c", "a[*].b.c"},
    {"a.*.id", "a[*].id"},
    {"a[*]", "a[*]"},
    {"a[*].b[0].c", "a[*].b[0].c"},
    {"[1, 2][0]", "[1 2][0]"},
    // calls
    {"f()", "(call f)"},
    {"f(xs...)", "(call f xs ...)"},
    {"f(a, b...)", "(call f a b ...)"},
    {"f(a, b,)", "(call f a b)"},
    {"f(\n  a,\n  b\n)", "(call f a b)"},
    {"concat([1], [2])", "(call concat [1] [2])"},
    // collections and for expressions
    {"[for s in var.x : upper(s) if s != \"\"]",
     "[for s in var.x : (call upper s) if (!= s \"\")]"},
    {"[for i, v in xs : i + v]", "[for i v in xs : (+ i v)]"},
    {"{for k, v in m : k => v}", "{for k v in m : k => v}"},
    {"{for k, v in m : v.g => k... if v.on}", "{for k v in m : v.g => k... if v.on}"},
    {"{\n  for k, v in m :\n  k => v\n}", "{for k v in m : k => v}"},
    {"[for x in a ? b : c : x]", "[for x in (? a b c) : x]"},
    {"{ a = { b = [1, { c = 2 }] } }", "{\"a\"={\"b\"=[1 {\"c\"=2}]}}"},
    {"{ \"for\" = 1, baz = 2 }", "{\"for\"=1 \"baz\"=2}"},
    {"{ a = 1, b = a }", "{\"a\"=1 \"b\"=a}"},
    {"merge(local.common, { policy = file(\"policy.json\"), list = [for s in var.x : upper(s) "
     "if s != \"\"] })",
     "(call merge local.common {\"policy\"=(call file \"policy.json\") \"list\"=[for s in var.x : "
     "(call upper s) if (!= s \"\")]})"},
    // templates
    {"\"a\\n\\t\\\"q\\\" \\\\ \\u00e9 \\U0001F600\"",
     "\"a\\n\\t\\\"q\\\" \\\\ \xC3\xA9 \xF0\x9F\x98\x80\""},
    {"\"$${literal} %%{x} $5 100%\"", "\"${literal} %{x} $5 100%\""},
    {"\"a${b}c${d.e}\"", "(tmpl \"a\" ${b} \"c\" ${d.e})"},
    {"\"${ \"in${x}ner\" }\"", "(tmpl ${(tmpl \"in\" ${x} \"ner\")})"},
    {"\"x ${~ y ~} z\"", "(tmpl \"x\" ${y} \"z\")"},
    {"\"%{ if x }yes%{ else }no%{ endif }\"", "(tmpl %{if x} \"yes\" %{else} \"no\" %{endif})"},
    {"\"%{~ for n in [\"}\", \"{\"] ~} ${n} %{ endfor }\"",
     "(tmpl %{for n in [\"}\", \"{\"]} ${n} \" \" %{endfor})"},
    {"\"${{a = 1}.a}\"", "(tmpl ${{\"a\"=1}.a})"},
    {"\"${\n  x\n}\"", "(tmpl ${x})"},
    // heredocs
    {"<<EOT\nhello\n  ${name}\nEOT", "(tmpl \"hello\\n  \" ${name} \"\\n\")"},
    {"<<EOT\nEOT", "\"\""},
    {"jsonencode(<<EOT\n{\"a\": 1}\nEOT\n  , 2)", "(call jsonencode \"{\\\"a\\\": 1}\\n\" 2)"},
    {"<<-EOT\n    a\n      b\n\n    c\n    EOT", "\"a\\n  b\\n\\nc\\n\""},
    {"<<-EOT\n    ${x}\n  y\n  EOT", "(tmpl \"  \" ${x} \"\\ny\\n\")"},
    {"<<-EOT\n\tone\n\t\ttwo\nEOT", "\"one\\n\\ttwo\\n\""},
    {"<<EOT\n  not EOT\n  EOTX\nEOT", "\"  not EOT\\n  EOTX\\n\""},
    {"<<EOT\n$${x} \\n %{ if a }b%{ endif }\nEOT",
     "(tmpl \"${x} \\\\n \" %{if a} \"b\" %{endif} \"\\n\")"},
};

TEST(ParseExpr, Table) {
  for (const ExprRow& row : kExprs) {
    Parsed p = parse("x = " + row.text + "\n", "t.hcl");
    ASSERT_FALSE(p.error) << row.text << "\n" << p.error->str();
    ASSERT_EQ(p.body->attributes.size(), 1u) << row.text;
    EXPECT_EQ(sexp(p.body->attributes[0].value), row.want) << row.text;
  }
}

// ── positions ───────────────────────────────────────────────────────────────────────────────

TEST(ParsePositions, NodesStartWhereTheirFirstTokenDoes) {
  const std::string text =
      "include \"root\" {\n"                 // 1
      "  path = find_in_parent_folders()\n"  // 2
      "}\n"                                  // 3
      "\tinputs = {\n"                       // 4 (a tab counts one column)
      "  name = \"app-${local.env}\"\n"      // 5
      "  size = local.base + 2 * 3\n"        // 6
      "  doc  = <<-EOT\n"                    // 7
      "    hi ${x}\n"                        // 8
      "    EOT\n"                            // 9
      "}\n";
  Parsed p = parse(text, "stacks/a/terragrunt.hcl");
  ASSERT_FALSE(p.error) << p.error->str();
  const Body& b = *p.body;
  ASSERT_EQ(b.blocks.size(), 1u);
  EXPECT_EQ(b.blocks[0].pos, (Pos{1, 1}));
  EXPECT_EQ(b.blocks[0].body.attributes[0].pos, (Pos{2, 3}));
  EXPECT_EQ(b.blocks[0].body.attributes[0].value->pos, (Pos{2, 10}));
  ASSERT_EQ(b.attributes.size(), 1u);
  EXPECT_EQ(b.attributes[0].pos, (Pos{4, 2}));
  const Expr& obj = *b.attributes[0].value;
  EXPECT_EQ(obj.pos, (Pos{4, 11}));
  ASSERT_EQ(obj.entries.size(), 3u);
  EXPECT_EQ(obj.entries[0].key->pos, (Pos{5, 3}));
  const Expr& name = *obj.entries[0].value;
  EXPECT_EQ(name.pos, (Pos{5, 10}));  // the opening quote
  ASSERT_EQ(name.parts.size(), 2u);
  EXPECT_EQ(name.parts[0].pos, (Pos{5, 11}));
  EXPECT_EQ(name.parts[1].pos, (Pos{5, 15}));        // the `${`
  EXPECT_EQ(name.parts[1].expr->pos, (Pos{5, 17}));  // local.env
  const Expr& size = *obj.entries[1].value;          // (+ local.base (* 2 3))
  EXPECT_EQ(size.pos, (Pos{6, 10}));                 // the lhs start
  EXPECT_EQ(size.items[1]->pos, (Pos{6, 23}));       // 2
  EXPECT_EQ(size.items[0]->pos, (Pos{6, 10}));       // local.base starts at `local`
  const Expr& doc = *obj.entries[2].value;
  EXPECT_EQ(doc.pos, (Pos{7, 10}));  // `<<-`
  ASSERT_EQ(doc.parts.size(), 3u);
  EXPECT_EQ(doc.parts[0].text, "hi ");
  EXPECT_EQ(doc.parts[0].pos, (Pos{8, 5}));  // after the stripped indent
  EXPECT_EQ(doc.parts[1].pos, (Pos{8, 8}));
}

// ── errors ──────────────────────────────────────────────────────────────────────────────────

struct ErrorRow {
  std::string text, want;
};

const ErrorRow kErrors[] = {
    {"terraform {\n  source \"../modules/x\"\n}\n",
     "f.hcl:2:10: expected \"=\" or a block's \"{\" after \"source\""},
    {"terraform {\n  source \"${get_repo_root()}/x\"\n}\n",
     "f.hcl:2:10: expected \"=\" or a block's \"{\" after \"source\""},
    {"terraform {\n  source : \"x\"\n}\n",
     "f.hcl:2:10: expected \"=\" or a block's \"{\" after \"source\""},
    {"dependency \"vpc\" \"x\"\n",
     "f.hcl:1:21: expected \"{\" after the labels of block "
     "\"dependency\", found newline"},
    {"dependency \"${x}\" {}\n", "f.hcl:1:13: block labels cannot contain \"${\" or \"%{\""},
    {"locals {\n  a = \"abc\n}\n", "f.hcl:2:11: unterminated string (it started at 2:7)"},
    {"x = \"abc", "f.hcl:1:9: unterminated string (it started at 1:5)"},
    {"a = 1\nx = <<EOT\nabc\n", "f.hcl:4:1: unterminated heredoc \"EOT\" (it started at 2:5)"},
    {"x = <<EOT\nEOTX\n EOT x\n", "f.hcl:4:1: unterminated heredoc \"EOT\" (it started at 1:5)"},
    {"x = <<EOT garbage\nEOT\n",
     "f.hcl:1:11: expected a newline after the heredoc opener \"<<EOT\" (the text starts on the "
     "next line)"},
    {"x = <<\"EOT\"\n", "f.hcl:1:5: expected a heredoc delimiter (like <<EOT) after \"<<\""},
    {"locals {\n}\n}\n", "f.hcl:3:1: unexpected \"}\""},
    {"locals {\n  a = 1\n",
     "f.hcl:3:1: unexpected end of file: block \"locals\" opened at 1:1 "
     "has no closing \"}\""},
    {"locals {\n  a = 1 }\n",
     "f.hcl:2:9: expected a newline after the value of \"a\", found \"}\""},
    {"a = 1 b = 2\n", "f.hcl:1:7: expected a newline after the value of \"a\", found \"b\""},
    {"locals {} x = 1\n",
     "f.hcl:1:11: expected a newline after the \"}\" of block \"locals\", found \"x\""},
    {"b { c {} }\n",
     "f.hcl:1:7: expected \"=\" after \"c\" (a one-line block holds a single "
     "attribute; put a nested block on its own lines)"},
    {"b { c = 1, d = 2 }\n",
     "f.hcl:1:10: expected \"}\" after the value of \"c\" (a one-line "
     "block holds a single attribute), found \",\""},
    {"b { \"c\" = 1 }\n",
     "f.hcl:1:5: expected a newline or an attribute after the \"{\" of "
     "block \"b\", found a string"},
    {"= 1\n", "f.hcl:1:1: expected an attribute name or a block type, found \"=\""},
    {"x =\n", "f.hcl:1:4: expected an expression, found newline"},
    {"x = ]\n", "f.hcl:1:5: expected an expression, found \"]\""},
    {"x = @\n", "f.hcl:1:5: unexpected character \"@\""},
    {"x = 1 &\n", "f.hcl:1:7: unexpected character \"&\""},
    {"x = \"a\" ~ \"b\"\n", "f.hcl:1:9: unexpected character \"~\""},
    {"x = \"\x01\" \x01\n", "f.hcl:1:9: unexpected character byte 0x01"},
    {"x = [1, 2\n",
     "f.hcl:2:1: expected \",\" or \"]\" in the list started at 1:5, found end of "
     "file"},
    {"x = f(a b)\n", "f.hcl:1:9: expected \",\" or \")\" in the call to \"f\" at 1:5, found \"b\""},
    {"x = f(a..., b)\n",
     "f.hcl:1:11: expected \")\" after \"...\" in the call to \"f\" at 1:5, "
     "found \",\""},
    {"x = {a = 1 b = 2}\n",
     "f.hcl:1:12: expected \",\", a newline or \"}\" after an item in the "
     "object started at 1:5, found \"b\""},
    {"x = {\n  a\n}\n",
     "f.hcl:2:4: expected \"=\" or \":\" after the key in the object started "
     "at 1:5, found newline"},
    {"x = {\n  a =\n 1\n}\n", "f.hcl:2:6: expected an expression, found newline"},
    {"x = (1 + 2\n", "f.hcl:2:1: expected \")\" to close the \"(\" at 1:5, found end of file"},
    {"x = a[0\n", "f.hcl:2:1: expected \"]\" to close the \"[\" at 1:6, found end of file"},
    {"x = a[*\n", "f.hcl:2:1: expected \"]\" after \"[*\", found end of file"},
    {"x = a.\n", "f.hcl:1:7: expected an attribute name after \".\", found newline"},
    {"x = a ? b\n", "f.hcl:1:10: expected \":\" in the conditional \"?\" at 1:7, found newline"},
    {"x = [for x in xs]\n",
     "f.hcl:1:17: expected \":\" after the collection in the for expression at 1:5, found \"]\""},
    // `in` is a valid variable name, so the missing one is noticed at `xs`
    {"x = [for in xs : x]\n",
     "f.hcl:1:13: expected \"in\" in the for expression at 1:5, found \"xs\""},
    {"x = [for x y : x]\n",
     "f.hcl:1:12: expected \"in\" in the for expression at 1:5, found "
     "\"y\""},
    {"x = {for k, v in m : k}\n",
     "f.hcl:1:23: expected \"=>\" after the key in the for expression at 1:5, found \"}\""},
    {"x = [for x in xs : x if x}\n",
     "f.hcl:1:26: expected \"]\" in the for expression at 1:5, found \"}\""},
    {"x = [for, a]\n", "f.hcl:1:9: expected a variable name after \"for\", found \",\""},
    {"x = \"a\\qb\"\n",
     "f.hcl:1:7: invalid escape sequence \"\\q\" (use \\\\ for a literal backslash)"},
    {"x = \"\\u12\"\n", "f.hcl:1:6: invalid escape sequence: \\u needs 4 hex digits"},
    {"x = \"\\U12\"\n", "f.hcl:1:6: invalid escape sequence: \\U needs 8 hex digits"},
    {"x = \"\\U0000D800\"\n",
     "f.hcl:1:6: invalid escape sequence \"\\U0000D800\": not a Unicode character"},
    {"x = \"a\\\n", "f.hcl:1:7: a string cannot end in a backslash"},
    {"x = \"${a\"\n", "f.hcl:1:9: expected \"}\" to close the \"${\" at 1:6, found a string"},
    {"x = \"${}\"\n", "f.hcl:1:8: expected an expression, found \"}\""},
    {"x = \"%{ if a\n", "f.hcl:2:1: unterminated template directive (it started at 1:6)"},
    {"x = 1 /* never closed\n", "f.hcl:2:1: unterminated comment (it started at 1:7)"},
};

TEST(ParseErrors, Table) {
  for (const ErrorRow& row : kErrors) {
    Parsed p = parse(row.text, "f.hcl");
    ASSERT_TRUE(p.error) << row.text;
    EXPECT_FALSE(p.body) << row.text;
    EXPECT_EQ(p.error->str(), row.want) << row.text;
  }
}

// ── limits: untrusted input never recurses without bound ─────────────────────────────────

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

struct DepthRow {
  std::string name, ok, too_deep;
  Pos where;  // of the construct past the limit in `too_deep`
};

const DepthRow kDepth[] = {
    {"tuples",
     "x = " + repeat("[", 256) + repeat("]", 256) + "\n",
     "x = " + repeat("[", 257) + repeat("]", 257) + "\n",
     {1, 261}},
    {"objects",
     "x = " + repeat("{a = ", 256) + "1" + repeat("}", 256) + "\n",
     "x = " + repeat("{a = ", 257) + "1" + repeat("}", 257) + "\n",
     {1, 1285}},
    {"blocks",
     repeat("b {\n", 256) + repeat("}\n", 256),
     repeat("b {\n", 257) + repeat("}\n", 257),
     {257, 3}},
    {"unary operators",
     "x = " + repeat("-", 256) + "1\n",
     "x = " + repeat("!", 257) + "1\n",
     {1, 261}},
    {"binary chains",
     "x = 1" + repeat(" + 1", 256) + "\n",
     "x = 1" + repeat(" + 1", 257) + "\n",
     {1, 1031}},
    {"attribute chains",
     "x = a" + repeat(".b", 256) + "\n",
     "x = a" + repeat(".b", 257) + "\n",
     {1, 518}},
    {"conditionals",
     "x = " + repeat("a ? b : ", 256) + "c\n",
     "x = " + repeat("a ? b : ", 257) + "c\n",
     {1, 2055}},
    {"interpolations",
     "x = " + repeat("\"${", 256) + "1" + repeat("}\"", 256) + "\n",
     "x = " + repeat("\"${", 257) + "1" + repeat("}\"", 257) + "\n",
     {1, 774}},
    {"directives",
     "x = " + repeat("\"%{ if ", 256) + repeat("}\"", 256) + "\n",
     "x = " + repeat("\"%{ if ", 257) + repeat("}\"", 257) + "\n",
     {1, 1798}},
};

TEST(ParseLimits, NestingIsBoundedAt256Levels) {
  for (const DepthRow& row : kDepth) {
    Parsed ok = parse(row.ok, "f.hcl");
    EXPECT_FALSE(ok.error) << row.name << ": " << ok.error->str();
    Parsed deep = parse(row.too_deep, "f.hcl");
    ASSERT_TRUE(deep.error) << row.name;
    EXPECT_EQ(deep.error->message, "nesting deeper than 256 levels") << row.name;
    EXPECT_EQ(deep.error->pos, row.where) << row.name;
  }
}

TEST(ParseLimits, HugeNestingFailsFastWithoutOverflow) {
  for (const char* open : {"[", "(", "{a=", "-", "\"${", "\"%{ if "}) {
    Parsed p = parse("x = " + repeat(open, 100000), "f.hcl");
    ASSERT_TRUE(p.error) << open;
  }
}

// Every prefix of a real file (a file cut short by a bad checkout or an editor) parses to a
// tree or an error: no crash, no hang.
TEST(ParseLimits, EveryPrefixOfAFileIsHandled) {
  std::vector<std::string> texts;
  for (const FileRow& row : kFiles) texts.push_back(row.text);
  for (const ExprRow& row : kExprs) texts.push_back("x = " + row.text + "\n");
  int errors = 0;
  for (const std::string& text : texts) {
    for (std::size_t n = 0; n <= text.size(); ++n) {
      Parsed p = parse(std::string_view(text).substr(0, n), "f.hcl");
      EXPECT_NE(p.body.has_value(), p.error.has_value());
      errors += p.error.has_value();
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace stackrun::hcl
