#include "runner/client/log_printer.hpp"

#include "runner/client/terminal_text.hpp"

namespace stackrun::client {

std::string LogPrinter::body(bool sys, std::string_view text) const {
  if (sys) return style_.dim("» " + terminal_safe(text));
  return terminal_safe(text, keep_colour_);
}

void LogPrinter::close_open(std::string& out) {
  if (!open_) return;
  out += "\n";
  open_.reset();
}

void LogPrinter::resume(const std::string& stack, std::string& out) {
  if (open_ == stack) return;
  close_open(out);
  out += style_.prefix(stack.empty() ? "run" : stack) + "… ";
  open_ = stack;
}

void LogPrinter::end_line(const std::string& stack, Pending& p, std::string_view rest,
                          std::string& out) {
  if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
  if (p.streaming) {
    resume(stack, out);
    out += terminal_safe(rest, keep_colour_) + "\n";
    open_.reset();
    p.streaming = false;
  } else {
    close_open(out);
    out += style_.prefix(stack.empty() ? "run" : stack) + body(p.sys, rest) + "\n";
  }
}

void LogPrinter::chunk(const std::string& stack, bool sys, std::string_view data,
                       std::string& out) {
  Pending& p = pending_[stack];
  if ((p.streaming || !p.text.empty()) && p.sys != sys) {
    end_line(stack, p, p.text, out);
    p.text.clear();
  }
  p.sys = sys;
  std::string text = std::move(p.text);
  text.append(data);
  p.text.clear();
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    end_line(stack, p, std::string_view(text).substr(start, nl - start), out);
  std::string_view rest = std::string_view(text).substr(start);
  if (!p.streaming && rest.size() <= kHoldBytes) {
    p.text = std::string(rest);
    return;
  }
  // Stream it: all but a trailing "\r", which may be the start of a CRLF.
  const bool cr = !rest.empty() && rest.back() == '\r';
  if (cr) rest.remove_suffix(1);
  if (p.streaming) {
    resume(stack, out);
  } else {
    close_open(out);
    out += style_.prefix(stack.empty() ? "run" : stack) + (sys ? "» " : "");
    open_ = stack;
    p.streaming = true;
  }
  out += terminal_safe(rest, keep_colour_);
  p.text = cr ? "\r" : "";
}

std::string LogPrinter::feed(const wire::LogPage& page) {
  std::string out;
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
