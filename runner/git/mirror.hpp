#pragma once
// The server's copy of each configured repository: one bare mirror per repo under a mirrors
// directory (in the state dir), refreshed from the forge before a pushed commit is planned.
// Called from the run-creation worker, never the io thread: a fetch may take minutes.
#include <string>

#include "runner/core/result.hpp"
#include "runner/git/credentials.hpp"

namespace stackrun::git {

struct MirrorSpec {
  std::string name;         // the repo's name: the mirror is <mirrors_dir>/<name>.git
  std::string url;          // http(s)://, ssh://, git@host:path, file:// or a local path
  Credentials credentials;  // how to answer the forge when it asks (none by default)
  std::string mirrors_dir;  // created when missing
};

struct MirrorCommit {
  std::string path;      // the bare mirror, for open_repo
  std::string commit;    // the full 40-hex id
  bool fetched = false;  // false: the commit was already there and nothing was asked of the forge
};

// Ensures the mirror of `spec` holds `commit` (4 to 40 hex digits): nothing when it is already
// there, else creates the mirror or fetches every branch and tag of spec.url (force-updating
// moved refs) with spec.credentials; safe across threads and processes (git::ensure_commit's
// lock). Errors: a name that is not [A-Za-z0-9._-] or starts with '.'; a password in the URL;
// "authentication failed for <url>: <why>"; "commit <c> is not on any branch or tag of <url>
// ...". Error text never holds the secret, and the mirror's config holds the URL as given.
Result<MirrorCommit> fetch_into_mirror(const MirrorSpec& spec, const std::string& commit);

// Fetches every branch and tag of spec.url into the mirror (creating it), whatever it holds
// already: for a revision that names a branch, whose head may have moved. Returns the mirror's
// path. Errors as fetch_into_mirror's.
Result<std::string> refresh_mirror(const MirrorSpec& spec);

// <mirrors_dir>/<name>.git, or an error for a name that could escape the directory. Pure.
Result<std::string> mirror_path(const std::string& mirrors_dir, const std::string& name);

}  // namespace stackrun::git
