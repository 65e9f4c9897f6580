#pragma once
// The classifier's output, shared by policy, scheduler, store and CLI.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// What a Terraform plan in a step's output would do (parsed by core/plan_summary.hpp).
struct PlanChange {
  std::string address;  // "module.db.aws_instance.this[0]", at most kMaxPlanAddress bytes
  std::string action;   // create | update | destroy | replace
  bool operator==(const PlanChange&) const = default;
};

struct PlanSummary {
  int add = 0, change = 0, destroy = 0, import = 0;  // from the "Plan:" line
  bool no_changes = false;                           // "No changes." (all counts 0)
  std::vector<PlanChange> changes;                   // at most kMaxPlanChanges, in output order
  int more = 0;                                      // changes listed beyond kMaxPlanChanges
  bool operator==(const PlanSummary&) const = default;
};

inline constexpr std::size_t kMaxPlanChanges = 200;
inline constexpr std::size_t kMaxPlanAddress = 256;

// Why an attempt got its class: the rule id and the exact (normalised) line that decided it.
struct Verdict {
  Class cls = Class::success;
  std::string rule;  // e.g. "builtin.lock.state-lock", "exit:2", "pipeline.transient[0]"
  std::string line;  // the deciding line, ANSI/box stripped, wrapped lines joined
  int line_no = 0;   // 1-based line in the raw output where `line` starts; 0 if none
  std::optional<LockInfo> lock;
  std::optional<PlanSummary> plan;  // a Terraform plan in the output (core/plan_summary.hpp)
  bool operator==(const Verdict&) const = default;
};

}  // namespace stackrun::core
