#pragma once
// What `stackrun logs` prints for the log pages it reads: one output line per log line,
// prefixed "[stack] " ("[run] " for the run's own lines); stackrun's own lines (stream "sys")
// read "» text", dimmed when coloured. Step output is made terminal-safe (terminal_text.hpp).
// Pure: fed pages, it returns text; the caller prints.
//
// A line up to kHoldBytes long is printed once complete. A longer one (a step printing a 50 MB
// line) is printed as it streams, so memory stays bounded and the operator sees it come: its
// start goes out with the prefix and no newline, and later pieces follow. If another stack's
// output interrupts it, the cursor's line is ended and the long line later resumes on a line
// of its own as "[stack] … rest".
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "runner/client/style.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::client {

class LogPrinter {
 public:
  static constexpr std::size_t kHoldBytes = 64 * 1024;

  // `keep_colour`: pass the steps' own colour (SGR) through instead of dropping it.
  explicit LogPrinter(Style style, bool keep_colour = false)
      : style_(style), keep_colour_(keep_colour) {}

  // The text for `page`, in chunk order. A chunk's text after its last "\n" waits, per stack,
  // for the rest of its line (or streams, past kHoldBytes); a chunk of the other stream (sys
  // after out, or out after sys) for that stack ends it first. A "\r" before "\n" is dropped
  // (CRLF output). When page.done the run is over and every waiting line is ended (flush()).
  std::string feed(const wire::LogPage& page);

  // Ends every waiting or streaming line, in stack order; "" when none.
  std::string flush();

 private:
  struct Pending {
    std::string text;    // held, not printed yet (at most kHoldBytes + a held "\r")
    std::string prefix;  // "[stack] ", styled once rather than per line
    bool sys = false;
    bool streaming = false;  // the line's start is printed; its end is not
  };
  Pending& pending(const std::string& stack);
  void chunk(const std::string& stack, bool sys, std::string_view data, std::string& out);
  void end_line(const std::string& stack, Pending& p, std::string_view rest, std::string& out);
  // Puts the cursor where `stack`'s streaming line continues: ends another stack's open line
  // and starts "[stack] … " when needed.
  void resume(const std::string& stack, const Pending& p, std::string& out);
  void close_open(std::string& out);
  // Appends `text` made terminal-safe, as a sys line ("» ", dimmed) or step output.
  void body(bool sys, std::string_view text, std::string& out) const;

  Style style_;
  bool keep_colour_;
  std::map<std::string, Pending> pending_;  // by stack label ("" = the run's own lines)
  std::optional<std::string> open_;         // the stack whose line the cursor is on
};

}  // namespace stackrun::client
