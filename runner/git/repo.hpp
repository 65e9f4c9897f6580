#pragma once
// Read-only view of a git repository at given commits, plus the agent's workspace helpers.
// The real adapter is libgit2 (repo.cpp, workspace.cpp); nothing outside runner/git includes
// git2.h. Every `commit` argument below is any revision git accepts (sha, short sha, branch,
// tag, HEAD~1), peeled to a commit; unless noted, errors start with the repository path and
// name the revision, e.g. `/r: cannot resolve revision "x": revspec 'x' not found`.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/git/credentials.hpp"

namespace stackrun::git {

struct ChangedPath {
  enum class Kind { added, modified, deleted, renamed, typechange } kind = Kind::modified;
  std::string path;      // new path (for deleted: the removed path)
  std::string old_path;  // renamed: the previous path; otherwise equal to path
  // Whether each side is a file or a symlink (what list_files lists), not a submodule; a side
  // that does not exist (an added path's old side, a deleted path's new side) is false.
  bool old_is_file = true, new_is_file = true;
};

// Every path a diff touches, sorted and unique; a rename counts at both its old and new path.
std::vector<std::string> touched_paths(const std::vector<ChangedPath>& diff);

// list_files at a diff's `from`, derived from list_files at its `to` and diff(from, to), so a
// caller that has both need not walk the older tree too (on a 500-stack repo, 20,000 paths).
// `files_to` must be sorted (as list_files gives it); so is the result.
std::vector<std::string> files_before(std::vector<std::string> files_to,
                                      const std::vector<ChangedPath>& diff);

struct CommitInfo {
  std::string sha, message, author;
  long long time = 0;  // seconds since epoch
};

class Repo {
 public:
  virtual ~Repo() = default;
  // Full 40-hex id of the commit `rev` names (sha, short sha, branch, tag, HEAD~1...).
  virtual Result<std::string> resolve(std::string_view rev) const = 0;
  // Bytes of `path` (repo-relative) at `commit`. Absent: `/r: no file "p" at commit 1a2b3c4`
  // (a non-sha rev shows as `main (1a2b3c4)`); a directory: `/r: "p" at commit ... is not a file`.
  virtual Result<std::string> read_file(std::string_view commit, std::string_view path) const = 0;
  // Size in bytes of `path` at `commit`, without reading its content (errors as read_file).
  virtual Result<std::uint64_t> file_size(std::string_view commit, std::string_view path) const = 0;
  // Every file (blob: regular file or symlink) path in the commit's tree, sorted; no
  // directories, no submodules.
  virtual Result<std::vector<std::string>> list_files(std::string_view commit) const = 0;
  // Tree-to-tree diff of two commits, sorted by path: added, modified, deleted (path = the
  // removed path), renamed (git's 50% similarity; old_path set) and typechange.
  virtual Result<std::vector<ChangedPath>> diff(std::string_view from,
                                                std::string_view to) const = 0;
  virtual Result<CommitInfo> commit_info(std::string_view commit) const = 0;
};

// Opens the repository exactly at `path` (work tree or bare; no search in parent
// directories). Thread-safe to call concurrently; each Repo must be used by one thread at a
// time. Error: `cannot open git repository <path>: <libgit2 reason>`.
Result<std::unique_ptr<Repo>> open_repo(const std::string& path);

// How a consumer opens repositories: open_repo in production, a FakeRepo in tests
// (tests/support/fake_repo.hpp). Injected, never called through the factory by consumers.
using RepoOpener = std::function<Result<std::unique_ptr<Repo>>(const std::string& path)>;

// ensure_commit and update_checkout keep the repositories they open for the next call (an open
// reads the config files and maps the pack indexes). This closes every kept one, giving back
// their object caches and mappings; the next call opens afresh. Thread-safe.
void close_kept_repos();

// Ensures `cache_dir` holds a bare clone of `url` (a local path, file://, http(s):// or ssh URL;
// `credentials` answer the remote when it asks, and a password inside `url` is refused) holding
// `commit` (a hex id, 4-40 digits: branch names would be stale in a cache); clones when
// missing, else fetches all branches and tags (forced) when the commit is not there yet.
// Safe for several threads or processes sharing one cache_dir: cloning and fetching happen
// under an flock on `cache_dir + ".lock"`, and a clone is built beside the cache and renamed
// into place. Error when the commit is on no branch or tag of `url` after the fetch.
// A refused login fails as "authentication failed for <url>: <why>".
// A token is refused over plain http:// off loopback (check_credentials_transport).
Status ensure_commit(const std::string& url, const std::string& cache_dir, std::string_view commit,
                     const Credentials& credentials = {});

// Brings the bare clone at `cache_dir` up to date with every branch and tag of `url` (forced),
// cloning it when missing: always asks the remote, for a branch whose head may have moved.
// Same lock, checks and errors as ensure_commit.
Status fetch_all_refs(const std::string& url, const std::string& cache_dir,
                      const Credentials& credentials = {});

// Writes the tree of `commit` from the repository at `repo_dir` into `dest_dir` (created;
// must not exist or be empty). No .git in the result: a workspace is a snapshot. Nothing is
// written into `repo_dir` (no index), so many jobs may check out of one cache at once.
Status checkout_commit(const std::string& repo_dir, std::string_view commit,
                       const std::string& dest_dir);

// Writes a snapshot of `to` into `dest_dir` by touching only what differs from `from`, the
// commit dest holds now (nullopt: dest is empty, so every file of `to` is written). The paths
// are those where the two trees differ plus `also` (paths the caller found altered on disk; one
// naming a directory of `to` adds every file under it). The cost follows the number of paths
// and the directories on their way, not the size of the trees (same-id subtrees are skipped).
// For each, whatever dest holds there is removed (file, symlink or directory), then `to`'s
// blob is written when it has one: a regular file (0777 with git's exec bit, else 0666, less
// the umask) or a symlink, its bytes exactly as committed (no eol or ident filters);
// submodules are not written. Directories left empty are removed, as a fresh snapshot has
// none. Returns every path removed or written, sorted, so the caller can refresh what it knows
// of them. Contract: no directory of dest on the way to a path is a symlink the trees do not
// hold (the caller verified dest). A path with an empty, "." or ".." component is refused, and
// a path from the trees with a ".git" component; a path of `also` may have one (a git directory
// a job made: removed, never written). Errors name the path or the commit.
Result<std::vector<std::string>> update_checkout(const std::string& repo_dir,
                                                 std::optional<std::string_view> from,
                                                 std::string_view to, const std::string& dest_dir,
                                                 const std::vector<std::string>& also);

}  // namespace stackrun::git
