#pragma once
// Where the run-creation worker reads a registered repo from. A local path is read where it is
// (as `stackrun up` registers it); a remote URL (git::is_remote_url: http(s)://, ssh://,
// git@host:path, file://) is first fetched into the repo's bare mirror under the server's
// mirrors dir (runner/git/mirror.hpp), with the repo's credentials. Worker thread only: a
// fetch may take minutes.
#include <functional>
#include <string>

#include "runner/core/result.hpp"
#include "runner/git/credentials.hpp"
#include "runner/store/rows.hpp"

namespace stackrun::server {

struct RepoFetch {
  // <state dir>/mirrors. Empty: nothing is fetched, every URL is opened as given (tests that
  // inject a FakeRepo opener for an https URL).
  std::string mirrors_dir;
  // The credentials of the repo named `repo` (the configuration's canonical source token);
  // null or Credentials{}: none. Called on the worker thread.
  std::function<git::Credentials(const std::string& repo)> credentials;
  // One line per fetch that reached the forge, naming repo, URL (redacted), mirror and the
  // kind of credentials (never the secret). Null: silent. Called on the worker thread.
  std::function<void(const std::string& line)> log;
};

// The path to open for `repo` to plan revision `rev` ("" = the default branch). Local URL, or
// no mirrors dir: repo.url itself. Remote: the mirror, after fetching `rev` when it is a full
// commit id the mirror lacks, or every branch and tag when `rev` is anything else (a branch
// may have moved). Errors: "repo <name>: " + git's text, which names the URL redacted and
// never the secret, e.g. "repo infra: authentication failed for https://h/r.git: ...".
Result<std::string> local_copy(const RepoFetch& fetch, const store::RepoRow& repo,
                               const std::string& rev);

// The mirror's name for a repo: "<id>-<name with '/' as '_'>" (ids keep "a/b" and "a_b"
// apart). Pure.
std::string mirror_name(store::Id id, const std::string& repo_name);

}  // namespace stackrun::server
