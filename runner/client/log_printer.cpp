#include "runner/client/log_printer.hpp"

#include "runner/client/terminal_text.hpp"

namespace stackrun::client {

void LogPrinter::body(bool sys, std::string_view text, std::string& out) const {
  if (sys)
    out += style_.dim("» " + terminal_safe(text));
  else
    append_terminal_safe(out, text, keep_colour_);
}

LogPrinter::Pending& LogPrinter::pending(const std::string& stack) {
  auto [it, fresh] = pending_.try_emplace(stack);
  if (fresh) it->second.prefix = style_.prefix(stack.empty() ? "run" : stack);
  return it->second;
}

void LogPrinter::close_open(std::string& out) {
  if (!open_) return;
  out += "\n";
  open_.reset();
}

void LogPrinter::resume(const std::string& stack, const Pending& p, std::string& out) {
  if (open_ == stack) return;
  close_open(out);
  out += p.prefix;
  out += "… ";
  open_ = stack;
}

// `rest` may view p.text: nothing here changes it.
void LogPrinter::end_line(const std::string& stack, Pending& p, std::string_view rest,
                          std::string& out) {
  if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
  if (p.streaming) {
    resume(stack, p, out);
    append_terminal_safe(out, rest, keep_colour_);
    out += '\n';
    open_.reset();
    p.streaming = false;
  } else {
    close_open(out);
    out += p.prefix;
    body(p.sys, rest, out);
    out += '\n';
  }
}

// Lines are printed straight from `data`; only the first one, which completes what was held,
// and a tail without "\n" go through p.text.
void LogPrinter::chunk(const std::string& stack, bool sys, std::string_view data,
                       std::string& out) {
  Pending& p = pending(stack);
  if ((p.streaming || !p.text.empty()) && p.sys != sys) {
    end_line(stack, p, p.text, out);
    p.text.clear();
  }
  p.sys = sys;
  std::size_t start = 0;
  std::size_t nl = data.find('\n');
  if (nl != std::string_view::npos && !p.text.empty()) {
    p.text.append(data.substr(0, nl));
    end_line(stack, p, p.text, out);
    p.text.clear();
    start = nl + 1;
    nl = data.find('\n', start);
  }
  for (; nl != std::string_view::npos; start = nl + 1, nl = data.find('\n', start))
    end_line(stack, p, data.substr(start, nl - start), out);
  const std::string_view tail = data.substr(start);
  if (!p.text.empty()) p.text.append(tail);  // no "\n" in this chunk: the held line grows
  std::string_view rest = p.text.empty() ? tail : std::string_view(p.text);
  if (!p.streaming && rest.size() <= kHoldBytes) {
    if (p.text.empty()) p.text.assign(tail);
    return;
  }
  // Stream it: all but a trailing "\r", which may be the start of a CRLF.
  const bool cr = !rest.empty() && rest.back() == '\r';
  if (cr) rest.remove_suffix(1);
  if (p.streaming) {
    resume(stack, p, out);
  } else {
    close_open(out);
    out += p.prefix;
    if (sys) out += "» ";
    open_ = stack;
    p.streaming = true;
  }
  append_terminal_safe(out, rest, keep_colour_);
  p.text.clear();  // after the last use of `rest`, which may view it
  if (cr) p.text.push_back('\r');
}

std::string LogPrinter::feed(const wire::LogPage& page) {
  std::string out;
  std::size_t bytes = 0;
  for (const wire::LogLine& c : page.chunks) bytes += c.data.size();
  out.reserve(bytes + bytes / 4);  // room for prefixes on typical lines: one allocation a page
  for (const wire::LogLine& c : page.chunks) chunk(c.stack, c.stream == "sys", c.data, out);
  if (page.done) out += flush();
  return out;
}

std::string LogPrinter::flush() {
  std::string out;
  for (auto& [stack, p] : pending_) {
    if (p.streaming && p.text.empty()) {  // nothing more came: its line just ends
      if (open_ == stack) close_open(out);
    } else if (p.streaming || !p.text.empty()) {
      end_line(stack, p, p.text, out);
    }
  }
  close_open(out);
  pending_.clear();
  return out;
}

}  // namespace stackrun::client
