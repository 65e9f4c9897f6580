#pragma once
// Building a Launch as data: the shell command line, the environment with its precedence,
// and where argv[0] is looked for. Pure functions (current_environment() only reads
// `environ`); the adapter in process.cpp executes the result.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runner/core/duration.hpp"
#include "runner/proc/process.hpp"

namespace stackrun::proc {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// `base` with `overrides` applied in order: a later value for a name wins, each name appears
// once, at the position of its first appearance (so base names keep base order and new names
// follow in override order). Duplicates within `base` collapse the same way.
EnvList merge_env(const EnvList& base, const EnvList& overrides);

// The value of the last entry named `name`, or nullopt. The last one because it is the one
// the child sees (see Launch::env).
std::optional<std::string> find_env(const EnvList& env, std::string_view name);

// A step's `run:` text as a launch: argv {"/bin/sh", "-ec", command} (-e: the first failing
// command fails the step), env = merge_env(base_env, overrides).
Launch make_shell_launch(std::string command, EnvList base_env, EnvList overrides, std::string cwd,
                         core::Duration timeout, core::Duration grace);

// The environment a step inherits from its agent: an allow-list, never the whole environment
// (the agent's may hold its token, cloud credentials, an operator's shell variables).
// Passed: PATH, HOME, USER, LOGNAME, LANG, LANGUAGE, LC_*, TZ, TERM, TMPDIR and the proxy
// variables (http_proxy, https_proxy, ftp_proxy, all_proxy, no_proxy, each also upper-case),
// plus every name matching one of `pass_patterns` (the agent's --pass-env; `*` matches any
// run of characters, nothing else is special). Never passed, whatever a pattern says:
// kNeverPassed and names starting with kSecretPrefix (secrets reach a step only through the
// pipeline's `secrets:`, which masks them). Order: `agent_env`'s; a repeated name appears once,
// with its last value, at its first position (as merge_env). The CI_*/STACKRUN_* variables of
// a job and the step's `env:` are added later, per step (agents/job.hpp, make_shell_launch).
EnvList step_environment(const EnvList& agent_env, const std::vector<std::string>& pass_patterns);

// Names no pattern lets through: the agent's and operator's tokens and files naming them.
inline const std::vector<std::string_view> kNeverPassed = {
    "STACKRUN_AGENT_TOKEN", "STACKRUN_AGENT_TOKEN_FILE", "STACKRUN_TOKEN", "STACKRUN_TOKEN_FILE",
    "STACKRUN_BOOTSTRAP_TOKEN"};
// Where an agent's environment holds secret values: STACKRUN_SECRET_<name>.
inline constexpr std::string_view kSecretPrefix = "STACKRUN_SECRET_";

// True if `name` matches `pattern`, where `*` matches any run of characters (also none).
bool env_pattern_match(std::string_view pattern, std::string_view name);
// nullopt if `pattern` is a usable --pass-env value: non-empty, only [A-Za-z0-9_*]. Otherwise
// the reason, e.g. `"A-B" may hold only letters, digits, _ and *`.
std::optional<std::string> env_pattern_error(std::string_view pattern);

// This process's environment, in `environ` order; entries without '=' or with an empty name
// are skipped. Not safe against a concurrent setenv() (nothing is).
EnvList current_environment();

// The paths to try, in order, for `program` (argv[0]): `program` itself if it contains '/'
// (relative to the launch's cwd), otherwise "<dir>/<program>" for each entry of the
// ':'-separated `path_value`. Empty entries are skipped rather than meaning "." (why: a stray
// "::" in PATH must not let a file in the workspace shadow a tool). Empty `program` -> {}.
std::vector<std::string> program_candidates(std::string_view program, std::string_view path_value);

}  // namespace stackrun::proc
