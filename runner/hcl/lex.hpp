#pragma once
// The HCL2 native-syntax scanner, internal to parse.cpp (pure, no allocation beyond literal text).
// Two modes share one cursor: next() reads expression/structure tokens; quoted_chunk() and
// heredoc_chunk() read template literal text up to the next `${`, `%{` or end of template, so the
// parser can switch modes at each interpolation the way HCL's own scanner does.
#include <cstddef>
#include <string>
#include <string_view>

#include "runner/hcl/ast.hpp"

namespace stackrun::hcl::lex {

enum class Tok {
  eof,
  newline,
  ident,
  number,
  oquote,
  heredoc,
  lbrace,
  rbrace,
  strip_rbrace,  // `~}`: closes an interpolation or directive with a strip marker
  lbrack,
  rbrack,
  lparen,
  rparen,
  assign,
  colon,
  comma,
  dot,
  ellipsis,
  question,
  fat_arrow,
  plus,
  minus,
  star,
  slash,
  percent,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  and_,
  or_,
  bang,
  bad,  // a lexical error: `error` says what, `pos` says where
};

struct Token {
  Tok kind = Tok::eof;
  std::string_view text;  // the source bytes; for heredoc the `<<EOT`/`<<-EOT` opener
  Pos pos;
  std::string_view marker;  // heredoc: the delimiter identifier
  bool flush = false;       // heredoc: `<<-`
  std::string error;        // bad only
};

// Where the scanner stands. Line bookkeeping lives here so columns are exact after any jump.
struct Cursor {
  std::size_t off = 0;
  int line = 1;
  std::size_t line_start = 0;
};

// One run of template literal text and what stopped it. `text` has escapes decoded (quoted) and
// `$${`/`%%{` unescaped; `pos` is where the run starts, `end_pos` where the stopper starts.
struct Chunk {
  enum class End {
    quote,         // closing `"` (consumed)
    interp,        // `${` (consumed)
    directive,     // `%{` (consumed)
    newline,       // heredoc only: the run ends with (and includes) a newline
    marker,        // heredoc only: the closing delimiter line (marker consumed, newline not)
    unterminated,  // end of line (quoted) or of file
    bad_escape,    // `error` says which
  } end = End::unterminated;
  std::string text;
  Pos pos, end_pos;
  std::string error;
};

class Lexer {
 public:
  explicit Lexer(std::string_view src);

  // The next token. Spaces, tabs and `/* */` comments are skipped; `#` and `//` comments are
  // returned as a newline token (as HCL defines them). Never throws; errors are Tok::bad.
  Token next();
  // After a `.` in a traversal: a run of digits (HCL's legacy index `a.0`), else an empty view.
  std::string_view digits();
  // Consumes `c` if it is the next byte (used for the `~` strip marker after `${`/`%{`).
  bool eat(char c);

  Chunk quoted_chunk();
  // At a line start, a line holding only `marker` (indent allowed) ends the heredoc.
  Chunk heredoc_chunk(std::string_view marker);

  Pos pos() const { return pos_of(cur_); }
  std::size_t offset() const { return cur_.off; }
  bool at_line_start() const { return cur_.off == cur_.line_start; }
  Pos pos_of(const Cursor& c) const { return {c.line, static_cast<int>(c.off - c.line_start) + 1}; }
  std::size_t offset_of(std::string_view token_text) const {
    return static_cast<std::size_t>(token_text.data() - src_.data());
  }
  std::string_view src() const { return src_; }

 private:
  char at(std::size_t i) const { return i < src_.size() ? src_[i] : '\0'; }
  char ch() const { return at(cur_.off); }
  bool done() const { return cur_.off >= src_.size(); }
  void bump();  // one byte forward, keeping line bookkeeping
  bool skip_space(Token& bad);
  bool heredoc_marker_here(std::string_view marker);
  enum class Sequence { none, escaped, opened };
  Sequence template_sequence(Chunk& c);
  bool escape(std::string& out, Chunk& c);
  Token heredoc_opener(Token t);

  std::string_view src_;
  Cursor cur_;
};

// A token as a message names it: `"}"`, `"name"`, `newline`, `end of file`, `a string`.
std::string describe(const Token& t);

}  // namespace stackrun::hcl::lex
