#pragma once
// The failure classifier (pure): combined step output + exit code -> Verdict.
// Output is normalised first (ANSI colour stripped, Terraform's diagnostic box ╷ │ ╵ stripped,
// wrapped lines joined); rules then match in class order lock > transient > fatal.
//
// Dot-all wildcards stay inside one paragraph. Where "(?s)" is in force, each ".*", ".+",
// ".*?" and ".+?" in a rule matches any run of text without a blank line: it may cross the
// single line breaks of one diagnostic, never a paragraph break (an empty line of the
// normalised output, which includes each Terraform box edge ╷ ╵ and each empty │ line). So
// "(?s)provider.*tcp.*timeout" needs all three words in one paragraph, and its match starts
// in that paragraph, not at an unrelated "provider" earlier in the log. A pattern that must
// cross a break says so explicitly: "\n\n" or "[\s\S]*". Other dots (".", ".{2}") are as
// written. Applies to built-in and extra rules alike.
//
// Verdicts are bounded: a verdict is stored with its attempt and sent in /agent/finish, so its
// strings are capped (cap_verdict) whatever the output: the deciding line at kMaxVerdictLine
// bytes, each lock field at kMaxLockField, the rule id at kMaxRuleId.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/core/verdict.hpp"

namespace stackrun::core {

// Caps of a verdict's strings, in bytes, marker included.
inline constexpr std::size_t kMaxVerdictLine = 4096;
inline constexpr std::size_t kMaxLockField = 1024;
inline constexpr std::size_t kMaxRuleId = 256;

// `text` itself when it holds at most `max_bytes`; else its head, cut at a UTF-8 character
// boundary, and the marker "… [cut: 5,612,340 bytes]" naming how many bytes were left out,
// at most `max_bytes` in all (below the marker's own size: the head alone).
std::string cap_text(std::string_view text, std::size_t max_bytes);

// `v` with its rule, line and every lock field capped as above. The classifier's verdicts are
// already capped; the server caps what an agent reports again (an agent may be old or hostile).
Verdict cap_verdict(Verdict v);

// One classification rule: an RE2 pattern that, when it matches, gives `cls`.
struct RuleSpec {
  Class cls = Class::fatal;  // lock, transient or fatal
  std::string id;            // stable id shown in verdicts, e.g. "builtin.lock.state-lock"
  std::string pattern;       // RE2; "(?s)" lets it span the lines of one paragraph (above)
};

// The built-in rule set (corpus signatures, terragrunt's default retryable patterns,
// backend lock errors, helm, Vault 5xx, connection resets).
const std::vector<RuleSpec>& builtin_rules();

// Immutable and thread-safe once built; cheap to copy (shared state).
class Classifier {
 public:
  // Built-ins plus `extra` (extra rules are tried after the built-ins of the same class).
  // Fails naming the rule id whose pattern does not compile.
  static Result<Classifier> create(const std::vector<RuleSpec>& extra = {});

  // `exit_codes` maps exit codes to classes ahead of any text rule (e.g. {2: drift}).
  // Exit 0 (unless mapped) is success. Non-zero output matching no rule is fatal with rule
  // "builtin.unknown" and, as line, the last line mentioning "error" or else the last line.
  Verdict classify(std::string_view output, int exit_code,
                   const std::map<int, Class>& exit_codes = {}) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stackrun::core
