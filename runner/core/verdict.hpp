#pragma once
// The classifier's output, shared by policy, scheduler, store and CLI.
#include <optional>
#include <string>
#include <string_view>

namespace stackrun::core {

// Outcome class of one step attempt. Order of precedence among failure classes when several
// rules match: lock > transient > fatal.
enum class Class { success, drift, lock, transient, fatal };

// "success", "drift", "lock", "transient", "fatal".
std::string_view to_string(Class c);
// Inverse of to_string; nullopt for anything else.
std::optional<Class> class_from_string(std::string_view s);

// Terraform's "Lock Info:" block, when the output carried one. Empty fields were absent.
struct LockInfo {
  std::string id, path, operation, who, version, created, info;
  bool operator==(const LockInfo&) const = default;
};

// Why an attempt got its class: the rule id and the exact (normalised) line that decided it.
struct Verdict {
  Class cls = Class::success;
  std::string rule;  // e.g. "builtin.lock.state-lock", "exit:2", "pipeline.transient[0]"
  std::string line;  // the deciding line, ANSI/box stripped, wrapped lines joined
  int line_no = 0;   // 1-based line in the raw output where `line` starts; 0 if none
  std::optional<LockInfo> lock;
  bool operator==(const Verdict&) const = default;
};

}  // namespace stackrun::core
