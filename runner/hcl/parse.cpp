// Recursive descent over lex.hpp's tokens, one token of lookahead. Newlines are significant in
// bodies and between object items, and skipped inside (), [], for expressions and `${}` (the
// `skip_nl_` flag, saved and restored around each bracket). Every construct that can nest
// (brackets, blocks, `${`, `%{`, unary and conditional operators) and every link of an operator
// or traversal chain takes one level of `depth_`, so both the parser's recursion and the height
// of the tree it returns are bounded by kMaxDepth whatever the input.
//
// Choices the AST leaves open:
//  - strip markers `${~`/`~}`/`%{~` trim the whitespace of the adjacent literal, as HCL does;
//  - directives are kept as their trimmed source (`if x`, `endfor`), not parsed into a tree;
//  - a `[...]` after a `[*]` splat ends the splat (the AST's splat carries only an attribute
//    chain), so `a[*].b[0]` is (index (splat a "b") 0), where HCL indexes each element;
//  - `""` and an empty heredoc get one empty literal part, so they read as plain strings.
#include "runner/hcl/parse.hpp"

#include <algorithm>

#include "runner/hcl/parse_internal.hpp"

namespace stackrun::hcl {

std::string SyntaxError::str() const {
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col) + ": " + message;
}

namespace detail {

using lex::Chunk;
using lex::Tok;
using lex::Token;

std::string at_text(Pos p) {
  return std::to_string(p.line) + ":" + std::to_string(p.col);
}

std::shared_ptr<Expr> node(ExprKind kind, Pos pos) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->pos = pos;
  return e;
}

Parser::Parser(std::string_view text, const std::string& file) : lex_(text), file_(file) {}

const Token& Parser::peek() {
  if (!la_) la_ = lex_.next();
  while (skip_nl_ && la_->kind == Tok::newline) la_ = lex_.next();
  return *la_;
}

Token Parser::take() {
  peek();
  Token t = std::move(*la_);
  la_.reset();
  return t;
}

bool Parser::accept(Tok k) {
  if (peek().kind != k) return false;
  take();
  return true;
}

bool Parser::at_ident(std::string_view word) {
  const Token& t = peek();
  return t.kind == Tok::ident && t.text == word;
}

void Parser::fail(Pos pos, std::string message) {
  if (!err_) err_ = SyntaxError{file_, pos, std::move(message)};
}

// A bad token reports its own lexical error; anything else gets the caller's message.
void Parser::fail_at(const Token& t, std::string message) {
  if (t.kind == Tok::bad) return fail(t.pos, t.error);
  fail(t.pos, std::move(message));
}

bool Parser::enter(Pos pos) {
  if (++depth_ > kMaxDepth) {
    fail(pos, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    return false;
  }
  return true;
}

Parsed Parser::run() {
  Body body;
  parse_body(body, nullptr);
  if (err_) return {std::nullopt, std::move(err_)};
  return {std::move(body), std::nullopt};
}

// ── structure ──────────────────────────────────────────────────────────────────────────────

void Parser::parse_body(Body& out, const Block* in) {
  while (!err_) {
    const Token& t = peek();
    if (t.kind == Tok::newline) {
      take();
    } else if (t.kind == Tok::eof) {
      if (in)
        fail(t.pos, "unexpected end of file: block \"" + in->type + "\" opened at " +
                        at_text(in->pos) + " has no closing \"}\"");
      return;
    } else if (t.kind == Tok::rbrace) {
      if (in) return;
      fail(t.pos, "unexpected \"}\"");
    } else if (t.kind == Tok::ident) {
      parse_item(out);
    } else {
      fail_at(t, "expected an attribute name or a block type, found " + lex::describe(t));
    }
  }
}

// After an attribute or a block's `}`: a newline, a comment or the end of the file.
void Parser::end_of_item(const char* what, const std::string& name) {
  const Token& t = peek();
  if (t.kind == Tok::newline) {
    take();
  } else if (t.kind != Tok::eof) {
    fail_at(t, std::string("expected a newline after ") + what + " \"" + name + "\", found " +
                   lex::describe(t));
  }
}

void Parser::parse_item(Body& out) {
  Token name = take();
  if (accept(Tok::assign)) {
    Attribute a{std::string(name.text), parse_expr(), name.pos};
    if (err_) return;
    out.attributes.push_back(std::move(a));
    return end_of_item("the value of", out.attributes.back().name);
  }
  Block b;
  b.type = std::string(name.text);
  b.pos = name.pos;
  Pos first_label;
  for (;;) {
    const Token& t = peek();
    if (b.labels.empty()) first_label = t.pos;
    if (t.kind == Tok::ident) {
      b.labels.emplace_back(take().text);
    } else if (t.kind == Tok::oquote) {
      if (!parse_label(b, take())) return;
    } else {
      break;
    }
  }
  const Token& t = peek();
  if (t.kind != Tok::lbrace) {
    if (t.kind == Tok::bad) return fail(t.pos, t.error);
    std::string missing = "expected \"=\" or a block's \"{\" after \"" + b.type + "\"";
    if (b.labels.empty()) return fail(t.pos, missing);
    // `source "x"` alone on its line is more likely a missing `=` than a block missing `{`.
    if (b.labels.size() == 1 && (t.kind == Tok::newline || t.kind == Tok::eof))
      return fail(first_label, missing);
    return fail(t.pos, "expected \"{\" after the labels of block \"" + b.type + "\", found " +
                           lex::describe(t));
  }
  Level level(*this, t.pos);
  if (!level.ok) return;
  take();
  parse_block_body(b);
  if (err_) return;
  out.blocks.push_back(std::move(b));
  end_of_item("the \"}\" of block", out.blocks.back().type);
}

// After the block's `{`: a newline and a body, `}` (empty), or one attribute then `}`.
void Parser::parse_block_body(Block& b) {
  const Token& t = peek();
  if (t.kind == Tok::newline) {
    take();
    parse_body(b.body, &b);
    if (!err_) take();  // the `}` parse_body stopped at
    return;
  }
  if (accept(Tok::rbrace)) return;
  if (t.kind != Tok::ident)
    return fail_at(t, "expected a newline or an attribute after the \"{\" of block \"" + b.type +
                          "\", found " + lex::describe(t));
  Token name = take();
  const Token& eq = peek();
  if (eq.kind != Tok::assign)
    return fail_at(eq, "expected \"=\" after \"" + std::string(name.text) +
                           "\" (a one-line block holds a single attribute; put a nested block "
                           "on its own lines)");
  take();
  Attribute a{std::string(name.text), parse_expr(), name.pos};
  if (err_) return;
  b.body.attributes.push_back(std::move(a));
  const Token& close = peek();
  if (close.kind != Tok::rbrace)
    return fail_at(close, "expected \"}\" after the value of \"" + b.body.attributes.back().name +
                              "\" (a one-line block holds a single attribute), found " +
                              lex::describe(close));
  take();
}

// A quoted label: a string with no interpolation or directive. `source "${x}/y"` alone on its
// line is reported as the missing `=` it most likely is.
bool Parser::parse_label(Block& b, const Token& open) {
  ExprPtr e = parse_template(open);
  if (err_) return false;
  std::string text;
  for (const TemplatePart& p : e->parts) {
    if (p.kind == TemplatePart::Kind::literal) {
      text += p.text;
      continue;
    }
    Tok next = peek().kind;
    if (b.labels.empty() && (next == Tok::newline || next == Tok::eof))
      fail(open.pos, "expected \"=\" or a block's \"{\" after \"" + b.type + "\"");
    fail(p.pos, "block labels cannot contain \"${\" or \"%{\"");
    return false;
  }
  b.labels.push_back(std::move(text));
  return true;
}

// ── expressions ────────────────────────────────────────────────────────────────────────────

ExprPtr Parser::parse_expr() {
  ExprPtr cond = parse_binary();
  if (!cond) return nullptr;
  const Token& q = peek();
  if (q.kind != Tok::question) return cond;
  Level level(*this, q.pos);
  if (!level.ok) return nullptr;
  Pos qpos = take().pos;
  auto e = node(ExprKind::conditional, cond->pos);
  e->items.push_back(cond);
  e->items.push_back(parse_expr());
  if (err_ ||
      !expect(Tok::colon, "\":\"", [&] { return " in the conditional \"?\" at " + at_text(qpos); }))
    return nullptr;
  e->items.push_back(parse_expr());
  if (err_) return nullptr;
  return e;
}

namespace {
// HCL's binary operators from loosest (1) to tightest (6); 0 for anything else.
int precedence(Tok k) {
  switch (k) {
    case Tok::or_:
      return 1;
    case Tok::and_:
      return 2;
    case Tok::eq:
    case Tok::ne:
      return 3;
    case Tok::lt:
    case Tok::le:
    case Tok::gt:
    case Tok::ge:
      return 4;
    case Tok::plus:
    case Tok::minus:
      return 5;
    case Tok::star:
    case Tok::slash:
    case Tok::percent:
      return 6;
    default:
      return 0;
  }
}
}  // namespace

// Operator precedence without recursion (shunting-yard): all operators are left-associative.
ExprPtr Parser::parse_binary() {
  std::vector<ExprPtr> operands{parse_unary()};
  std::vector<Token> ops;
  int levels = 0;
  auto reduce = [&] {
    auto e = node(ExprKind::binary, operands[operands.size() - 2]->pos);
    e->text = std::string(ops.back().text);
    e->items = {operands[operands.size() - 2], operands.back()};
    operands.pop_back();
    operands.back() = std::move(e);
    ops.pop_back();
  };
  while (!err_) {
    const Token& t = peek();
    int prec = precedence(t.kind);
    if (prec == 0) break;
    ++levels;
    if (!enter(t.pos)) break;
    while (!ops.empty() && precedence(ops.back().kind) >= prec) reduce();
    ops.push_back(take());
    operands.push_back(parse_unary());
  }
  depth_ -= levels;
  if (err_) return nullptr;
  while (!ops.empty()) reduce();
  return operands.front();
}

ExprPtr Parser::parse_unary() {
  const Token& t = peek();
  if (t.kind != Tok::minus && t.kind != Tok::bang) return parse_postfix(parse_primary());
  Level level(*this, t.pos);
  if (!level.ok) return nullptr;
  Token op = take();
  auto e = node(ExprKind::unary, op.pos);
  e->text = std::string(op.text);
  e->items.push_back(parse_unary());
  if (err_) return nullptr;
  return e;
}

// `.name`, `.0`, `[key]`, `.*` and `[*]` after a term, each link one nesting level.
ExprPtr Parser::parse_postfix(ExprPtr target) {
  int levels = 0;
  while (target && !err_) {
    const Token& t = peek();
    if (t.kind != Tok::dot && t.kind != Tok::lbrack) break;
    ++levels;
    if (!enter(t.pos)) break;
    if (t.kind == Tok::dot) {
      take();
      if (!parse_traversal_dot(target)) break;
      continue;
    }
    Token open = take();
    Newlines nl(*this, true);
    if (accept(Tok::star)) {
      if (!expect(Tok::rbrack, "\"]\"", [] { return std::string(" after \"[*\""); })) break;
      auto e = node(ExprKind::splat, target->pos);
      e->items.push_back(target);
      target = e;
      continue;  // a following `.name` joins its chain (parse_traversal_dot)
    }
    auto e = node(ExprKind::index, target->pos);
    e->items = {target, parse_expr()};
    if (err_ || !expect(Tok::rbrack, "\"]\"",
                        [&] { return " to close the \"[\" at " + at_text(open.pos); }))
      break;
    target = e;
  }
  depth_ -= levels;
  return err_ ? nullptr : target;
}

// After a `.`: an attribute name (joining a splat's chain when the target is a splat with no
// index after it yet), legacy index digits, or `*`.
bool Parser::parse_traversal_dot(ExprPtr& target) {
  if (la_ == std::nullopt) {  // digits straight after the dot: `a.0`, never a number like 0.5
    Pos pos = lex_.pos();
    std::string_view digits = lex_.digits();
    if (!digits.empty()) {
      auto key = node(ExprKind::number_lit, pos);
      key->text = std::string(digits);
      auto e = node(ExprKind::index, target->pos);
      e->items = {target, key};
      target = e;
      return true;
    }
  }
  const Token& t = peek();
  if (t.kind == Tok::star) {
    take();
    auto e = node(ExprKind::splat, target->pos);
    e->items.push_back(target);
    target = e;
    return true;
  }
  if (t.kind != Tok::ident) {
    fail_at(t, "expected an attribute name after \".\", found " + lex::describe(t));
    return false;
  }
  std::string name(take().text);
  if (target->kind == ExprKind::splat) {  // a[*].b.c: the chain belongs to the splat
    auto e = std::make_shared<Expr>(*target);
    e->text += e->text.empty() ? name : "." + name;
    target = e;
    return true;
  }
  auto e = node(ExprKind::get_attr, target->pos);
  e->items.push_back(target);
  e->text = std::move(name);
  target = e;
  return true;
}

ExprPtr Parser::parse_primary() {
  const Token& t = peek();
  switch (t.kind) {
    case Tok::number: {
      Token n = take();
      auto e = node(ExprKind::number_lit, n.pos);
      e->text = std::string(n.text);
      return e;
    }
    case Tok::ident: {
      Token id = take();
      if (id.text == "true" || id.text == "false") {
        auto e = node(ExprKind::bool_lit, id.pos);
        e->boolean = id.text == "true";
        return e;
      }
      if (id.text == "null") return node(ExprKind::null_lit, id.pos);
      if (peek().kind == Tok::lparen) return parse_call(id);
      auto e = node(ExprKind::variable, id.pos);
      e->text = std::string(id.text);
      return e;
    }
    case Tok::oquote:
    case Tok::heredoc: {
      Token open = take();
      return parse_template(open);
    }
    case Tok::lbrack:
      return parse_tuple(take());
    case Tok::lbrace:
      return parse_object(take());
    case Tok::lparen:
      return parse_paren(take());
    default:
      fail_at(t, "expected an expression, found " + lex::describe(t));
      return nullptr;
  }
}

ExprPtr Parser::parse_paren(const Token& open) {
  Level level(*this, open.pos);
  if (!level.ok) return nullptr;
  Newlines nl(*this, true);
  auto e = node(ExprKind::paren, open.pos);
  e->items.push_back(parse_expr());
  if (err_ ||
      !expect(Tok::rparen, "\")\"", [&] { return " to close the \"(\" at " + at_text(open.pos); }))
    return nullptr;
  return e;
}

ExprPtr Parser::parse_call(const Token& name) {
  Token open = take();
  Level level(*this, open.pos);
  if (!level.ok) return nullptr;
  Newlines nl(*this, true);
  auto e = node(ExprKind::call, name.pos);
  e->text = std::string(name.text);
  auto context = [&] { return " in the call to \"" + e->text + "\" at " + at_text(name.pos); };
  while (!err_ && !accept(Tok::rparen)) {
    e->items.push_back(parse_expr());
    if (err_) break;
    if (accept(Tok::ellipsis)) {
      e->expand_final = true;
      expect(Tok::rparen, "\")\" after \"...\"", context);
      break;
    }
    const Token& t = peek();
    if (t.kind == Tok::comma) {
      take();
    } else if (t.kind != Tok::rparen) {
      fail_at(t, "expected \",\" or \")\"" + context() + ", found " + lex::describe(t));
    }
  }
  return err_ ? nullptr : e;
}

ExprPtr Parser::parse_tuple(const Token& open) {
  Level level(*this, open.pos);
  if (!level.ok) return nullptr;
  Newlines nl(*this, true);
  if (at_ident("for")) return parse_for(open);
  auto e = node(ExprKind::tuple, open.pos);
  auto context = [&] { return " in the list started at " + at_text(open.pos); };
  while (!err_ && !accept(Tok::rbrack)) {
    e->items.push_back(parse_expr());
    if (err_) break;
    const Token& t = peek();
    if (t.kind == Tok::comma) {
      take();
    } else if (t.kind != Tok::rbrack) {
      fail_at(t, "expected \",\" or \"]\"" + context() + ", found " + lex::describe(t));
    }
  }
  return err_ ? nullptr : e;
}

ExprPtr Parser::parse_object(const Token& open) {
  Level level(*this, open.pos);
  if (!level.ok) return nullptr;
  {
    Newlines nl(*this, true);  // skip to the first item to tell `{for ...}` from an object
    if (at_ident("for")) return parse_for(open);
  }
  Newlines nl(*this, false);  // items end at a comma or a newline
  return parse_object_entries(node(ExprKind::object, open.pos));
}

ExprPtr Parser::parse_object_entries(std::shared_ptr<Expr> obj) {
  auto context = [&] { return " in the object started at " + at_text(obj->pos); };
  for (;;) {
    while (accept(Tok::newline)) {
    }
    if (accept(Tok::rbrace)) return obj;
    ObjectEntry entry;
    entry.key = parse_expr();
    if (err_) return nullptr;
    if (entry.key->kind == ExprKind::variable) {  // a bare name is the literal key, as if quoted
      auto key = node(ExprKind::template_, entry.key->pos);
      key->parts.push_back({TemplatePart::Kind::literal, entry.key->text, nullptr, key->pos});
      entry.key = key;
    }
    const Token& eq = peek();
    if (eq.kind != Tok::assign && eq.kind != Tok::colon) {
      fail_at(eq,
              "expected \"=\" or \":\" after the key" + context() + ", found " + lex::describe(eq));
      return nullptr;
    }
    take();
    entry.value = parse_expr();
    if (err_) return nullptr;
    obj->entries.push_back(std::move(entry));
    const Token& t = peek();
    if (t.kind == Tok::comma || t.kind == Tok::newline) {
      take();
    } else if (t.kind != Tok::rbrace) {
      fail_at(t, "expected \",\", a newline or \"}\" after an item" + context() + ", found " +
                     lex::describe(t));
      return nullptr;
    }
  }
}

// `[for k, v in coll : v if cond]` or `{for k, v in coll : k => v... if cond}`; the caller has
// entered the bracket and skips newlines.
ExprPtr Parser::parse_for(const Token& open) {
  bool object = open.kind == Tok::lbrace;
  Tok close = object ? Tok::rbrace : Tok::rbrack;
  auto e = node(object ? ExprKind::for_object : ExprKind::for_tuple, open.pos);
  auto context = [&] { return " in the for expression at " + at_text(open.pos); };
  take();  // `for`
  const Token& v1 = peek();
  if (v1.kind != Tok::ident) {
    fail_at(v1, "expected a variable name after \"for\", found " + lex::describe(v1));
    return nullptr;
  }
  e->value_var = std::string(take().text);
  if (accept(Tok::comma)) {
    const Token& v2 = peek();
    if (v2.kind != Tok::ident) {
      fail_at(v2, "expected a second variable name after \",\"" + context() + ", found " +
                      lex::describe(v2));
      return nullptr;
    }
    e->key_var = std::move(e->value_var);
    e->value_var = std::string(take().text);
  }
  if (!at_ident("in")) {
    fail_at(peek(), "expected \"in\"" + context() + ", found " + lex::describe(peek()));
    return nullptr;
  }
  take();
  e->items.push_back(parse_expr());
  if (err_ || !expect(Tok::colon, "\":\"", [&] { return " after the collection" + context(); }))
    return nullptr;
  e->items.push_back(parse_expr());
  if (err_) return nullptr;
  if (object) {
    if (!expect(Tok::fat_arrow, "\"=>\"", [&] { return " after the key" + context(); }))
      return nullptr;
    e->items.push_back(parse_expr());
    if (err_) return nullptr;
    e->group = accept(Tok::ellipsis);
  }
  if (at_ident("if")) {
    take();
    e->items.push_back(parse_expr());
    if (err_) return nullptr;
  }
  if (!expect(close, object ? "\"}\"" : "\"]\"", context)) return nullptr;
  return e;
}

// ── templates ──────────────────────────────────────────────────────────────────────────────

// A template part while the template is read; heredoc literals are split per line so that
// `<<-` can strip indentation from the parts that start lines.
struct Parser::Piece {
  TemplatePart part;
  bool line_start = false;
  bool strip_before = false, strip_after = false;  // `${~`, `~}`
};

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t indent_of(const std::string& s) {
  std::size_t n = 0;
  while (n < s.size() && (s[n] == ' ' || s[n] == '\t')) ++n;
  return n;
}

// `<<-`: remove the smallest indentation of the non-blank lines from every line (a tab counts
// as one character, as in HCL).
void flush(std::vector<Parser::Piece>& pieces) {
  std::size_t least = std::string::npos;
  for (const auto& p : pieces) {
    if (!p.line_start) continue;
    std::size_t n = indent_of(p.part.text);
    bool blank = p.part.text.size() == n + 1 && p.part.text.back() == '\n';
    if (!blank) least = std::min(least, n);
  }
  if (least == std::string::npos || least == 0) return;
  for (auto& p : pieces) {
    if (!p.line_start) continue;
    std::size_t cut = std::min(least, indent_of(p.part.text));
    p.part.text.erase(0, cut);
    p.part.pos.col += static_cast<int>(cut);
  }
}

// Merges adjacent literals, applies strip markers, drops empty literals.
std::vector<TemplatePart> assemble(std::vector<Parser::Piece>& pieces) {
  std::vector<Parser::Piece> merged;
  for (auto& p : pieces) {
    bool literal = p.part.kind == TemplatePart::Kind::literal;
    if (literal && !merged.empty() && merged.back().part.kind == TemplatePart::Kind::literal) {
      if (merged.back().part.text.empty()) merged.back().part.pos = p.part.pos;
      merged.back().part.text += p.part.text;
    } else {
      merged.push_back(std::move(p));
    }
  }
  auto is_literal = [&](std::size_t i) {
    return i < merged.size() && merged[i].part.kind == TemplatePart::Kind::literal;
  };
  for (std::size_t i = 0; i < merged.size(); ++i) {
    if (merged[i].strip_before && i > 0 && is_literal(i - 1)) {
      std::string& s = merged[i - 1].part.text;
      while (!s.empty() && is_space(s.back())) s.pop_back();
    }
    if (merged[i].strip_after && is_literal(i + 1)) {
      TemplatePart& next = merged[i + 1].part;
      std::size_t n = 0;
      for (; n < next.text.size() && is_space(next.text[n]); ++n) {
        if (next.text[n] == '\n') {
          ++next.pos.line;
          next.pos.col = 1;
        } else if (next.text[n] != '\r') {
          ++next.pos.col;
        }
      }
      next.text.erase(0, n);
    }
  }
  std::vector<TemplatePart> parts;
  for (auto& p : merged)
    if (p.part.kind != TemplatePart::Kind::literal || !p.part.text.empty())
      parts.push_back(std::move(p.part));
  return parts;
}

std::string trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

// A quoted template (after its `"`) or a heredoc (after its opener line). A template with no
// text at all still gets one empty literal part, so `""` reads as a plain string.
ExprPtr Parser::parse_template(const Token& open) {
  bool heredoc = open.kind == Tok::heredoc;
  auto e = node(ExprKind::template_, open.pos);
  std::vector<Piece> pieces;
  Pos first = lex_.pos();
  for (;;) {
    bool line_start = heredoc && lex_.at_line_start();
    Chunk c = heredoc ? lex_.heredoc_chunk(open.marker) : lex_.quoted_chunk();
    if (c.end == Chunk::End::marker) break;
    if (!c.text.empty() || line_start) {
      Piece p;
      p.part = {TemplatePart::Kind::literal, std::move(c.text), nullptr, c.pos};
      p.line_start = line_start;
      pieces.push_back(std::move(p));
    }
    if (c.end == Chunk::End::quote) break;
    if (c.end == Chunk::End::unterminated) {
      std::string started = " (it started at " + at_text(open.pos) + ")";
      if (heredoc)
        fail(c.end_pos, "unterminated heredoc \"" + std::string(open.marker) + "\"" + started);
      else
        fail(c.end_pos, "unterminated string" + started);
      return nullptr;
    }
    if (!parse_template_tail(pieces, c)) return nullptr;
  }
  if (heredoc && open.flush) flush(pieces);
  e->parts = assemble(pieces);
  if (e->parts.empty()) e->parts.push_back({TemplatePart::Kind::literal, "", nullptr, first});
  return e;
}

// What ended a literal run other than the template's own end.
bool Parser::parse_template_tail(std::vector<Piece>& pieces, const Chunk& c) {
  switch (c.end) {
    case Chunk::End::newline:
      return true;
    case Chunk::End::interp:
      return parse_interpolation(pieces, c.end_pos);
    case Chunk::End::directive:
      return parse_directive(pieces, c.end_pos);
    case Chunk::End::bad_escape:
      fail(c.end_pos, c.error);
      return false;
    default:
      break;
  }
  return false;  // unterminated: the caller words it
}

bool Parser::parse_interpolation(std::vector<Piece>& pieces, Pos at) {
  Level level(*this, at);
  if (!level.ok) return false;
  Newlines nl(*this, true);
  Piece p;
  p.part.kind = TemplatePart::Kind::interpolation;
  p.part.pos = at;
  p.strip_before = lex_.eat('~');
  p.part.expr = parse_expr();
  if (err_) return false;
  const Token& t = peek();
  if (t.kind != Tok::rbrace && t.kind != Tok::strip_rbrace) {
    fail_at(t,
            "expected \"}\" to close the \"${\" at " + at_text(at) + ", found " + lex::describe(t));
    return false;
  }
  p.strip_after = take().kind == Tok::strip_rbrace;
  pieces.push_back(std::move(p));
  return true;
}

// `%{ if x }`, `%{ else }`, `%{ endfor }`...: kept as their trimmed source, not interpreted.
// The tokens are read only to find the matching `}` past strings and brackets.
bool Parser::parse_directive(std::vector<Piece>& pieces, Pos at) {
  Level level(*this, at);
  if (!level.ok) return false;
  Newlines nl(*this, true);
  Piece p;
  p.part.kind = TemplatePart::Kind::directive;
  p.part.pos = at;
  p.strip_before = lex_.eat('~');
  std::size_t start = lex_.offset();
  int open = 0;
  while (!err_) {
    const Token& t = peek();
    if ((t.kind == Tok::rbrace || t.kind == Tok::strip_rbrace) && open == 0) {
      p.part.text = trim(lex_.src().substr(start, lex_.offset_of(t.text) - start));
      p.strip_after = take().kind == Tok::strip_rbrace;
      pieces.push_back(std::move(p));
      return true;
    }
    switch (t.kind) {
      case Tok::eof:
      case Tok::bad:
        fail_at(t, "unterminated template directive (it started at " + at_text(at) + ")");
        return false;
      case Tok::lbrace:
      case Tok::lbrack:
      case Tok::lparen:
        ++open;
        break;
      case Tok::rbrace:
      case Tok::rbrack:
      case Tok::rparen:
        open = std::max(0, open - 1);
        break;
      default:
        break;
    }
    Token tok = take();
    if (tok.kind == Tok::oquote || tok.kind == Tok::heredoc) parse_template(tok);
  }
  return false;
}

}  // namespace detail

Parsed parse(std::string_view text, const std::string& file) {
  return detail::Parser(text, file).run();
}

}  // namespace stackrun::hcl
