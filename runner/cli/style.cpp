#include "runner/cli/style.hpp"

#include <functional>

#include "runner/cli/io.hpp"

namespace stackrun::cli {

Style Style::for_fd(int fd) {
  Style s;
  s.colour = use_colour(fd);
  return s;
}

std::string Style::status(const std::string& s, int width) const {
  std::string padded = s;
  if (static_cast<int>(padded.size()) < width) padded.append(static_cast<size_t>(width) - padded.size(), ' ');
  if (!colour) return padded;
  const char* c = "0";
  if (s == "success") c = "32";
  else if (s == "failed" || s == "interrupted") c = "31";
  else if (s == "skipped" || s == "drift" || s == "cancelled") c = "33";
  else if (s == "running" || s == "queued") c = "36";
  return std::string("\x1b[") + c + "m" + padded + "\x1b[0m";
}

std::string Style::bold(const std::string& s) const { return colour ? "\x1b[1m" + s + "\x1b[0m" : s; }
std::string Style::dim(const std::string& s) const { return colour ? "\x1b[2m" + s + "\x1b[0m" : s; }

std::string Style::prefix(const std::string& label) const {
  const std::string p = "[" + label + "] ";
  if (!colour) return p;
  static const char* colours[] = {"34", "35", "36", "32", "33", "94", "95", "96"};
  const auto i = std::hash<std::string>{}(label) % 8;
  return std::string("\x1b[") + colours[i] + "m" + p + "\x1b[0m";
}

}  // namespace stackrun::cli
