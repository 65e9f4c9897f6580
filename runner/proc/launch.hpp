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

// This process's environment, in `environ` order; entries without '=' or with an empty name
// are skipped. Not safe against a concurrent setenv() (nothing is).
EnvList current_environment();

// The paths to try, in order, for `program` (argv[0]): `program` itself if it contains '/'
// (relative to the launch's cwd), otherwise "<dir>/<program>" for each entry of the
// ':'-separated `path_value`. Empty entries are skipped rather than meaning "." (why: a stray
// "::" in PATH must not let a file in the workspace shadow a tool). Empty `program` -> {}.
std::vector<std::string> program_candidates(std::string_view program, std::string_view path_value);

}  // namespace stackrun::proc
