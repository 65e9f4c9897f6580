#include "runner/hcl/lex.hpp"

#include <cstdint>

namespace stackrun::hcl::lex {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
// Identifiers: ASCII letters and `_`, plus any non-ASCII byte so UTF-8 names (which HCL allows
// per UAX #31) pass through without a Unicode table; `-` and digits continue one.
bool is_ident_start(char c) {
  auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || u >= 0x80;
}
bool is_ident_cont(char c) {
  return is_ident_start(c) || is_digit(c) || c == '-';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string show_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("\"") + c + "\"";
  static const char* hex = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 0xF];
}

std::string at_text(Pos p) {
  return std::to_string(p.line) + ":" + std::to_string(p.col);
}

}  // namespace

Lexer::Lexer(std::string_view src) : src_(src) {
  // A UTF-8 byte order mark is skipped (columns on line 1 still count its 3 bytes).
  if (src_.starts_with("\xEF\xBB\xBF")) cur_.off = 3;
}

void Lexer::bump() {
  if (done()) return;
  if (src_[cur_.off] == '\n') {
    ++cur_.line;
    cur_.line_start = cur_.off + 1;
  }
  ++cur_.off;
}

bool Lexer::eat(char c) {
  if (done() || ch() != c) return false;
  bump();
  return true;
}

// Skips spaces, tabs, lone CRs and block comments. False (with `bad` set) on an unterminated
// block comment.
bool Lexer::skip_space(Token& bad) {
  for (;;) {
    char c = ch();
    if (c == ' ' || c == '\t' || (c == '\r' && at(cur_.off + 1) != '\n')) {
      bump();
    } else if (c == '/' && at(cur_.off + 1) == '*') {
      Pos start = pos();
      bump();
      bump();
      while (!done() && !(ch() == '*' && at(cur_.off + 1) == '/')) bump();
      if (done()) {
        bad = {Tok::bad, {},    pos(),
               {},       false, "unterminated comment (it started at " + at_text(start) + ")"};
        return false;
      }
      bump();
      bump();
    } else {
      return true;
    }
  }
}

Token Lexer::next() {
  Token t;
  if (!skip_space(t)) return t;
  Cursor start = cur_;
  t.pos = pos();
  auto finish = [&](Tok k, int n) {
    for (int i = 0; i < n; ++i) bump();
    t.kind = k;
    t.text = src_.substr(start.off, cur_.off - start.off);
    return t;
  };
  char c = ch(), d = at(cur_.off + 1);
  if (done()) return finish(Tok::eof, 0);
  if (c == '\n') return finish(Tok::newline, 1);
  if (c == '\r') return finish(Tok::newline, 2);  // CRLF; a lone CR was skipped as space
  if (c == '#' || (c == '/' && d == '/')) {
    while (!done() && ch() != '\n') bump();
    return finish(Tok::newline, done() ? 0 : 1);
  }
  if (is_ident_start(c)) {
    while (!done() && is_ident_cont(ch())) bump();
    return finish(Tok::ident, 0);
  }
  if (is_digit(c)) {
    while (is_digit(ch())) bump();
    if (ch() == '.' && is_digit(at(cur_.off + 1))) {
      bump();
      while (is_digit(ch())) bump();
    }
    if (ch() == 'e' || ch() == 'E') {
      std::size_t k = cur_.off + 1;
      if (at(k) == '+' || at(k) == '-') ++k;
      if (is_digit(at(k))) {
        while (cur_.off < k) bump();
        while (is_digit(ch())) bump();
      }
    }
    return finish(Tok::number, 0);
  }
  switch (c) {
    case '"':
      return finish(Tok::oquote, 1);
    case '{':
      return finish(Tok::lbrace, 1);
    case '}':
      return finish(Tok::rbrace, 1);
    case '[':
      return finish(Tok::lbrack, 1);
    case ']':
      return finish(Tok::rbrack, 1);
    case '(':
      return finish(Tok::lparen, 1);
    case ')':
      return finish(Tok::rparen, 1);
    case ':':
      return finish(Tok::colon, 1);
    case ',':
      return finish(Tok::comma, 1);
    case '?':
      return finish(Tok::question, 1);
    case '+':
      return finish(Tok::plus, 1);
    case '-':
      return finish(Tok::minus, 1);
    case '*':
      return finish(Tok::star, 1);
    case '/':
      return finish(Tok::slash, 1);
    case '%':
      return finish(Tok::percent, 1);
    case '.':
      if (d == '.' && at(cur_.off + 2) == '.') return finish(Tok::ellipsis, 3);
      return finish(Tok::dot, 1);
    case '=':
      if (d == '=') return finish(Tok::eq, 2);
      if (d == '>') return finish(Tok::fat_arrow, 2);
      return finish(Tok::assign, 1);
    case '!':
      return d == '=' ? finish(Tok::ne, 2) : finish(Tok::bang, 1);
    case '>':
      return d == '=' ? finish(Tok::ge, 2) : finish(Tok::gt, 1);
    case '<':
      if (d == '<') return heredoc_opener(t);
      return d == '=' ? finish(Tok::le, 2) : finish(Tok::lt, 1);
    case '&':
      if (d == '&') return finish(Tok::and_, 2);
      break;
    case '|':
      if (d == '|') return finish(Tok::or_, 2);
      break;
    case '~':
      if (d == '}') return finish(Tok::strip_rbrace, 2);
      break;
    default:
      break;
  }
  t.kind = Tok::bad;
  t.error = "unexpected character " + show_byte(c);
  return t;
}

// `<<EOT` or `<<-EOT`, then only spaces up to the end of the line (consumed with it).
Token Lexer::heredoc_opener(Token t) {
  std::size_t start = cur_.off;
  bump();
  bump();
  t.flush = eat('-');
  if (!is_ident_start(ch())) {
    t.kind = Tok::bad;
    t.error = "expected a heredoc delimiter (like <<EOT) after \"<<\"";
    return t;
  }
  std::size_t name = cur_.off;
  while (!done() && is_ident_cont(ch())) bump();
  t.marker = src_.substr(name, cur_.off - name);
  t.text = src_.substr(start, cur_.off - start);
  while (ch() == ' ' || ch() == '\t' || ch() == '\r') bump();
  if (!eat('\n')) {
    t.kind = Tok::bad;
    t.pos = pos();
    t.error = "expected a newline after the heredoc opener \"" + std::string(t.text) +
              "\" (the text starts on the next line)";
    return t;
  }
  t.kind = Tok::heredoc;
  return t;
}

std::string_view Lexer::digits() {
  std::size_t start = cur_.off;
  while (is_digit(ch())) bump();
  return src_.substr(start, cur_.off - start);
}

// Decodes one escape at the backslash; false with c.error/c.end_pos set when invalid.
bool Lexer::escape(std::string& out, Chunk& c) {
  Pos where = pos();
  std::size_t start = cur_.off;
  bump();
  char e = ch();
  if (done() || e == '\n') {
    c.end_pos = where;
    c.error = "a string cannot end in a backslash";
    return false;
  }
  bump();
  switch (e) {
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case '"':
      out += '"';
      return true;
    case '\\':
      out += '\\';
      return true;
    case 'u':
    case 'U': {
      int want = e == 'u' ? 4 : 8;
      std::uint32_t cp = 0;
      for (int i = 0; i < want; ++i) {
        int h = hex_value(ch());
        if (h < 0) {
          c.end_pos = where;
          c.error = std::string("invalid escape sequence: \\") + e + " needs " +
                    std::to_string(want) + " hex digits";
          return false;
        }
        cp = cp * 16 + static_cast<std::uint32_t>(h);
        bump();
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        c.end_pos = where;
        c.error = "invalid escape sequence \"" + std::string(src_.substr(start, cur_.off - start)) +
                  "\": not a Unicode character";
        return false;
      }
      append_utf8(out, cp);
      return true;
    }
    default:
      c.end_pos = where;
      c.error =
          std::string("invalid escape sequence \"\\") + e + "\" (use \\\\ for a literal backslash)";
      return false;
  }
}

// At `$${`/`%%{` (a literal `${`/`%{`, appended to the chunk) or at `${`/`%{` (the chunk ends
// there, as interp or directive); consumes what it recognised. Shared by strings and heredocs.
Lexer::Sequence Lexer::template_sequence(Chunk& c) {
  const char x = ch(), y = at(cur_.off + 1);
  if ((x == '$' || x == '%') && y == x && at(cur_.off + 2) == '{') {
    c.text += x;
    c.text += '{';
    bump();
    bump();
    bump();
    return Sequence::escaped;
  }
  if ((x == '$' || x == '%') && y == '{') {
    bump();
    bump();
    c.end = x == '$' ? Chunk::End::interp : Chunk::End::directive;
    return Sequence::opened;
  }
  return Sequence::none;
}

Chunk Lexer::quoted_chunk() {
  Chunk c;
  c.pos = pos();
  for (;;) {
    char x = ch(), y = at(cur_.off + 1);
    c.end_pos = pos();
    if (done() || x == '\n' || (x == '\r' && y == '\n')) {
      c.end = Chunk::End::unterminated;
      return c;
    }
    if (x == '"') {
      bump();
      c.end = Chunk::End::quote;
      return c;
    }
    if (x == '\\') {
      if (!escape(c.text, c)) {
        c.end = Chunk::End::bad_escape;
        return c;
      }
      continue;
    }
    switch (template_sequence(c)) {
      case Sequence::opened:
        return c;
      case Sequence::escaped:
        continue;
      case Sequence::none:
        break;
    }
    c.text += x;
    bump();
  }
}

// True when the current line (we are at its start) is `[ \t]*marker[ \t\r]*` then newline/EOF.
bool Lexer::heredoc_marker_here(std::string_view marker) {
  std::size_t i = cur_.off;
  while (at(i) == ' ' || at(i) == '\t') ++i;
  if (src_.substr(i, marker.size()) != marker) return false;
  std::size_t end = i + marker.size();
  std::size_t j = end;
  while (at(j) == ' ' || at(j) == '\t' || at(j) == '\r') ++j;
  if (j < src_.size() && src_[j] != '\n') return false;
  while (cur_.off < end) bump();
  return true;
}

Chunk Lexer::heredoc_chunk(std::string_view marker) {
  Chunk c;
  c.pos = pos();
  if (cur_.off == cur_.line_start && heredoc_marker_here(marker)) {
    c.end = Chunk::End::marker;
    return c;
  }
  for (;;) {
    char x = ch(), y = at(cur_.off + 1);
    c.end_pos = pos();
    if (done()) {
      c.end = Chunk::End::unterminated;
      return c;
    }
    if (x == '\n' || (x == '\r' && y == '\n')) {  // CRLF becomes "\n" in the text
      if (x == '\r') bump();
      bump();
      c.text += '\n';
      c.end = Chunk::End::newline;
      return c;
    }
    switch (template_sequence(c)) {
      case Sequence::opened:
        return c;
      case Sequence::escaped:
        continue;
      case Sequence::none:
        break;
    }
    c.text += x;
    bump();
  }
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::eof:
      return "end of file";
    case Tok::newline:
      return "newline";
    case Tok::oquote:
      return "a string";
    case Tok::heredoc:
      return "a heredoc";
    case Tok::bad:
      return "an invalid character";
    default:
      return "\"" + std::string(t.text) + "\"";
  }
}

}  // namespace stackrun::hcl::lex
