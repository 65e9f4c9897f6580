#include "runner/client/style.hpp"

#include <unistd.h>

#include <cstdlib>

namespace stackrun::client {
namespace {

const char* colour_of(std::string_view s) {
  if (s == "success" || s == "accept") return "32";
  if (s == "failed" || s == "interrupted" || s == "fatal" || s == "rejected" || s == "denied" ||
      s == "refused")
    return "31";
  if (s == "needs_approval") return "35";
  if (s == "skipped" || s == "drift" || s == "cancelled" || s == "superseded" || s == "lock" ||
      s == "transient" || s == "ignored")
    return "33";
  if (s == "running" || s == "queued" || s == "offered") return "36";
  return "0";
}

// FNV-1a: unlike std::hash, the same on every build, so a stack's colour is stable too.
unsigned label_hash(const std::string& s) {
  unsigned h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

Style Style::for_fd(int fd) {
  const char* no = std::getenv("NO_COLOR");
  Style s;
  s.colour = isatty(fd) && !(no && *no);
  return s;
}

std::string pad(std::string_view s, int width) {
  std::string out(s);
  if (width <= 0) return out;
  const auto w = static_cast<std::size_t>(width);
  out.append(out.size() < w ? w - out.size() : 1, ' ');
  return out;
}

std::string Style::status(std::string_view word, int width) const {
  const std::string padded = pad(word, width);
  if (!colour) return padded;
  return std::string("\x1b[") + colour_of(word) + "m" + padded + "\x1b[0m";
}

std::string Style::bold(const std::string& s) const {
  return colour ? "\x1b[1m" + s + "\x1b[0m" : s;
}

std::string Style::dim(const std::string& s) const {
  return colour ? "\x1b[2m" + s + "\x1b[0m" : s;
}

std::string Style::prefix(const std::string& label) const {
  const std::string p = "[" + label + "] ";
  if (!colour) return p;
  static const char* const colours[] = {"34", "35", "36", "32", "33", "94", "95", "96"};
  return std::string("\x1b[") + colours[label_hash(label) % 8] + "m" + p + "\x1b[0m";
}

}  // namespace stackrun::client
