#pragma once
// What `stackrun logs` prints for the log pages it reads: one output line per log line,
// prefixed "[stack] " ("[run] " for the run's own lines); stackrun's own lines (stream "sys")
// read "» text", dimmed when coloured. Pure: fed pages, it returns text; the caller prints.
#include <map>
#include <string>
#include <string_view>

#include "runner/client/style.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::client {

class LogPrinter {
 public:
  explicit LogPrinter(Style style) : style_(style) {}

  // The text for every line that `page` completes, in chunk order. A chunk's text after its
  // last "\n" waits, per stack, for the rest of its line in a later chunk or page; a chunk of
  // the other stream (sys after out, or out after sys) for that stack ends it first, as its
  // own line. A "\r" before "\n" is dropped (CRLF output). When page.done the run is over and
  // every waiting line is ended too (see flush()).
  std::string feed(const wire::LogPage& page);

  // Ends every waiting line, in stack order, each as a line of its own; "" when none waits.
  // For a caller that stops reading before the run is done.
  std::string flush();

 private:
  struct Pending {
    std::string text;
    bool sys = false;
  };
  std::string line(const std::string& stack, bool sys, std::string_view text) const;

  Style style_;
  std::map<std::string, Pending> pending_;  // by stack label ("" = the run's own lines)
};

}  // namespace stackrun::client
