#include "runner/client/log_printer.hpp"

namespace stackrun::client {

std::string LogPrinter::line(const std::string& stack, bool sys, std::string_view text) const {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  const std::string body(text);
  return style_.prefix(stack.empty() ? "run" : stack) + (sys ? style_.dim("» " + body) : body) +
         "\n";
}

std::string LogPrinter::feed(const wire::LogPage& page) {
  std::string out;
  for (const wire::LogLine& chunk : page.chunks) {
    const bool sys = chunk.stream == "sys";
    Pending& p = pending_[chunk.stack];
    if (!p.text.empty() && p.sys != sys) {
      out += line(chunk.stack, p.sys, p.text);
      p.text.clear();
    }
    p.sys = sys;
    const std::string text = p.text + chunk.data;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
      out += line(chunk.stack, sys, std::string_view(text).substr(start, nl - start));
    p.text = text.substr(start);
  }
  if (page.done) out += flush();
  return out;
}

std::string LogPrinter::flush() {
  std::string out;
  for (auto& [stack, p] : pending_)
    if (!p.text.empty()) out += line(stack, p.sys, p.text);
  pending_.clear();
  return out;
}

}  // namespace stackrun::client
