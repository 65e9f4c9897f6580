#include "runner/core/lock_info.hpp"

#include <string>

namespace stackrun::core {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The field of `info` that `key` names, or nullptr for anything else.
std::string* field(LockInfo& info, std::string_view key) {
  if (key == "ID") return &info.id;
  if (key == "Path") return &info.path;
  if (key == "Operation") return &info.operation;
  if (key == "Who") return &info.who;
  if (key == "Version") return &info.version;
  if (key == "Created") return &info.created;
  if (key == "Info") return &info.info;
  return nullptr;
}

}  // namespace

std::optional<LockInfo> LockInfoParser::result() const {
  if (found_) return found_;
  if (state_ == State::in_block && any_field_) return current_;
  return std::nullopt;
}

void LockInfoParser::feed(std::string_view line) {
  if (state_ == State::done) return;
  const std::string_view t = trim(line);
  if (state_ == State::looking) {
    if (t == "Lock Info:") {
      state_ = State::in_block;
      current_ = {};
      any_field_ = false;
    }
    return;
  }
  // in_block: "Key: value", value may itself hold colons (Created: 10:00:00).
  const auto colon = t.find(':');
  std::string* f = colon == std::string_view::npos ? nullptr : field(current_, t.substr(0, colon));
  if (f) {
    *f = std::string(trim(t.substr(colon + 1)));
    any_field_ = true;
    return;
  }
  // End of the block. An empty "Lock Info:" header keeps looking for a later, real block.
  if (any_field_) {
    found_ = current_;
    state_ = State::done;
  } else {
    state_ = State::looking;
    feed(line);
  }
}

}  // namespace stackrun::core
