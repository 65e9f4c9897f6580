#pragma once
// The secrets a job's steps receive (a pipeline's `secrets:`, docs/pipeline-reference.md):
// where the agent finds their values, resolving them for one job before any step runs, and
// which values its output masker must hide (runner/core/mask.hpp).
//
// A secret `name` is looked up, in order: the variable STACKRUN_SECRET_<name> in the agent's
// environment as it started (the agent removes these from its own environment at start, so no
// child inherits them), then the file <secrets-dir>/<name> (its bytes, minus one trailing
// "\n" or "\r\n"). Values are never logged, reported or put in an error message.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipelines/model.hpp"
#include "runner/core/result.hpp"
#include "runner/proc/launch.hpp"

namespace stackrun::agent {

// Where secret values come from; built once by the agent's composition root.
struct SecretSources {
  proc::EnvList env;  // the STACKRUN_SECRET_* variables of the agent's starting environment
  std::string dir;    // --secrets-dir: one file per secret, named as the secret; "" = none
};

// The STACKRUN_SECRET_* entries of `env`, in order (for SecretSources::env).
proc::EnvList secret_variables(const proc::EnvList& env);

// A secret file's bytes; nullopt when there is no such file; an Error naming the path and the
// reason when it exists but cannot be used (unreadable, not a regular file, over kMaxSecretBytes).
using ReadSecretFile = std::function<Result<std::optional<std::string>>(const std::string& path)>;
// The real ReadSecretFile.
Result<std::optional<std::string>> read_secret_file(const std::string& path);

// Larger values are refused: an environment string is limited (128 KiB on Linux), and a
// secret this large is more likely a wrong file than a secret.
inline constexpr std::size_t kMaxSecretBytes = 64 * 1024;

struct JobSecrets {
  std::vector<proc::EnvList> step_env;  // one per step, in order: (variable, value) to add
  std::vector<std::string> mask;        // each distinct maskable value, for core::Masker
  std::vector<std::string> notes;       // warnings for the job's log; they never hold a value
};

// Resolves the `secrets:` of every step of a job at once, so that a missing secret fails the
// job before its first step runs. The Error names the secret, its variable and its step and
// says where to put it, e.g.
//   secret "pg_password" (PGPASSWORD in step "apply") is not set: set
//   STACKRUN_SECRET_pg_password in the agent's environment or start the agent with
//   --secrets-dir DIR holding a file pg_password
// Values shorter than core::Masker::kMinSecretBytes are given to the step but cannot be
// masked: a note says so. `read` is called only when the environment lacks a secret and
// `sources.dir` is set.
Result<JobSecrets> resolve_secrets(const std::vector<pipelines::Step>& steps,
                                   const SecretSources& sources, const ReadSecretFile& read);

}  // namespace stackrun::agent
