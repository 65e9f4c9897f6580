#pragma once
// Reads Terraform's "Lock Info:" block from output lines fed one at a time (pure):
//   Lock Info:
//     ID:        4f6c...
//     Path:      bucket/stacks/pg/terraform.tfstate
//     Operation: OperationTypeApply
//     Who:       ci@runner-1
//     Version:   1.9.8
//     Created:   2026-06-28 10:00:00.123 +0000 UTC
//     Info:
// The block ends at a blank line or at a line that is not one of those seven keys.
#include <optional>
#include <string_view>

#include "runner/core/verdict.hpp"

namespace stackrun::core {

class LockInfoParser {
 public:
  // `line`: one output line with ANSI codes and any box prefix (│) already removed, not
  // joined with its neighbours.
  void feed(std::string_view line);
  // The first block that had at least one field (also one cut off by the end of the output);
  // nullopt when there was none.
  std::optional<LockInfo> result() const;

 private:
  enum class State { looking, in_block, done } state_ = State::looking;
  LockInfo current_;
  bool any_field_ = false;
  std::optional<LockInfo> found_;
};

}  // namespace stackrun::core
