#pragma once
// Private to runner/git: owning handles and error text for libgit2. Only runner/git/*.cpp
// include this header (it pulls in git2.h); the rest of the project sees runner/git/repo.hpp.
#include <git2.h>

#include <memory>
#include <string>
#include <string_view>

#include "runner/core/result.hpp"

namespace stackrun::git::detail {

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Freer<T, Free>>;

using RepoPtr = Handle<git_repository, git_repository_free>;
using ObjectPtr = Handle<git_object, git_object_free>;
using CommitPtr = Handle<git_commit, git_commit_free>;
using TreePtr = Handle<git_tree, git_tree_free>;
using TreeEntryPtr = Handle<git_tree_entry, git_tree_entry_free>;
using BlobPtr = Handle<git_blob, git_blob_free>;
using DiffPtr = Handle<git_diff, git_diff_free>;
using RemotePtr = Handle<git_remote, git_remote_free>;
using IndexPtr = Handle<git_index, git_index_free>;

// Initialises libgit2 once per process (thread-safe); never shut down, handles may outlive main.
Status init_libgit2();

// libgit2's message for the failed call that returned `rc` (its thread-local last error).
std::string last_error(int rc);

// Opens the repository exactly at `path` (work tree or bare; no search upwards).
Result<RepoPtr> open_at(const std::string& path);

// A repository handle lent by borrow_at; it goes back to the pool when destroyed.
class PooledRepo {
 public:
  PooledRepo(RepoPtr repo, std::string path, unsigned long long dev, unsigned long long ino)
      : repo_(std::move(repo)), path_(std::move(path)), dev_(dev), ino_(ino) {}
  PooledRepo(PooledRepo&&) noexcept = default;
  PooledRepo& operator=(PooledRepo&&) noexcept = default;
  ~PooledRepo();
  git_repository* get() const { return repo_.get(); }

 private:
  RepoPtr repo_;
  std::string path_;
  unsigned long long dev_ = 0, ino_ = 0;  // the directory it was opened at
};

// Like open_at, but lends a handle this process opened at `path` before and got back, while
// `path` is still the same directory (device and inode; a cache removed and cloned again is
// opened afresh). Why: an open reads three config files and lists and maps the pack indexes,
// about 1 ms, and an agent opens its cache twice per job. A kept handle still sees what changed
// on disk since: libgit2 reads refs and loose objects from disk at each lookup and rescans the
// packs when a lookup misses. One borrower at a time per handle; at most kPooledPerPath idle
// handles per path and kPooledPaths paths are kept (the oldest path goes first).
inline constexpr std::size_t kPooledPerPath = 4, kPooledPaths = 16;
Result<PooledRepo> borrow_at(const std::string& path);
// Frees every idle pooled handle (their object caches and mapped packs). Thread-safe.
void free_pooled_repos();

// The commit `rev` names in `repo` (anything git rev-parse accepts, peeled to a commit).
// `repo_path` names the repository in the error text.
Result<CommitPtr> lookup_commit(git_repository* repo, const std::string& repo_path,
                                std::string_view rev);

// 40-hex text of `id`.
std::string to_hex(const git_oid* id);

// How errors name a commit: its 7-character short id, plus the rev when it was not a sha,
// e.g. "1a2b3c4" or "main (1a2b3c4)".
std::string commit_label(std::string_view rev, const git_oid* id);

}  // namespace stackrun::git::detail
