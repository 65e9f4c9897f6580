#pragma once
// The parser behind parse() (parse.hpp), shared only by parse.cpp: declared here so the file
// reads top-down. Not an API: use parse().
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/hcl/lex.hpp"
#include "runner/hcl/parse.hpp"

namespace stackrun::hcl::detail {

// Deepest nesting of blocks, brackets, templates, operators and traversal links accepted.
inline constexpr int kMaxDepth = 256;

class Parser {
 public:
  Parser(std::string_view text, const std::string& file);
  Parsed run();  // once per Parser

  struct Piece;  // a template part under construction (parse.cpp)

 private:
  friend struct Level;
  // One nesting level for as long as it lives; `ok` is false (and the error set) past
  // kMaxDepth.
  struct Level {
    Level(Parser& p, Pos pos) : parser(p), ok(p.enter(pos)) {}
    ~Level() { --parser.depth_; }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;
    Parser& parser;
    bool ok;
  };
  // Sets skip_nl_ for as long as it lives.
  struct Newlines {
    Newlines(Parser& p, bool skip) : parser(p), saved(p.skip_nl_) { p.skip_nl_ = skip; }
    ~Newlines() { parser.skip_nl_ = saved; }
    Newlines(const Newlines&) = delete;
    Newlines& operator=(const Newlines&) = delete;
    Parser& parser;
    bool saved;
  };

  // tokens
  const lex::Token& peek();  // valid until the next take()
  lex::Token take();
  bool accept(lex::Tok k);
  bool at_ident(std::string_view word);
  // Takes a `k` token, or fails with "expected <what><context()>, found ...". `context` is a
  // callable so the message is only built on failure.
  template <class Context>
  bool expect(lex::Tok k, const char* what, Context context) {
    const lex::Token& t = peek();
    if (t.kind == k) {
      take();
      return true;
    }
    fail_at(t, std::string("expected ") + what + context() + ", found " + lex::describe(t));
    return false;
  }
  void fail(Pos pos, std::string message);  // keeps the first error only
  void fail_at(const lex::Token& t, std::string message);
  bool enter(Pos pos);

  // structure
  void parse_body(Body& out, const Block* in);
  void parse_item(Body& out);
  void parse_block_body(Block& b);
  void end_of_item(const char* what, const std::string& name);
  bool parse_label(Block& b, const lex::Token& open);

  // expressions: each returns nullptr exactly when err_ is set
  ExprPtr parse_expr();
  ExprPtr parse_binary();
  ExprPtr parse_unary();
  ExprPtr parse_postfix(ExprPtr target);
  bool parse_traversal_dot(ExprPtr& target);
  ExprPtr parse_primary();
  ExprPtr parse_tuple(const lex::Token& open);
  ExprPtr parse_object(const lex::Token& open);
  ExprPtr parse_object_entries(std::shared_ptr<Expr> obj);
  ExprPtr parse_for(const lex::Token& open);
  ExprPtr parse_call(const lex::Token& name);
  ExprPtr parse_paren(const lex::Token& open);

  // templates
  ExprPtr parse_template(const lex::Token& open);
  bool parse_template_tail(std::vector<Piece>& pieces, const lex::Chunk& c);
  bool parse_interpolation(std::vector<Piece>& pieces, Pos at);
  bool parse_directive(std::vector<Piece>& pieces, Pos at);

  lex::Lexer lex_;
  const std::string& file_;
  std::optional<lex::Token> la_;  // the lookahead, newlines included
  bool skip_nl_ = false;
  int depth_ = 0;
  std::optional<SyntaxError> err_;
};

}  // namespace stackrun::hcl::detail
