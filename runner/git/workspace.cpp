// The agent's side of git: a cached bare clone per repository (ensure_commit) and a
// .git-free snapshot of one commit per job (checkout_commit).
#include <fcntl.h>
#include <git2/sys/midx.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "runner/git/libgit2_util.hpp"
#include "runner/git/remote_auth.hpp"
#include "runner/git/repo.hpp"

namespace stackrun::git {
namespace {

namespace fs = std::filesystem;
using detail::last_error;

// An exclusive flock held for the object's lifetime.
class FileLock {
 public:
  // Why flock: the kernel drops it when the holder dies, so a killed agent never leaves the
  // cache locked. It belongs to the open file description, so two threads of one process
  // (each opening the file) exclude each other too, not only two processes.
  static Result<FileLock> acquire(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return Result<FileLock>::fail("cannot open lock file " + path + ": " + std::strerror(errno));
    FileLock lock(fd);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR)
        return Result<FileLock>::fail("cannot lock " + path + ": " + std::strerror(errno));
    }
    return lock;
  }
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

bool is_hex_id(std::string_view s) {
  if (s.size() < GIT_OID_MINPREFIXLEN || s.size() > GIT_OID_HEXSZ) return false;
  for (char ch : s)
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return false;
  return true;
}

// True if `repo` holds the commit `id` (a hex prefix); error if ambiguous or unreadable.
Result<bool> has_commit(git_repository* repo, const std::string& cache_dir, std::string_view id) {
  git_oid oid;
  int rc = git_oid_fromstrn(&oid, id.data(), id.size());
  if (rc < 0)
    return Result<bool>::fail("\"" + std::string(id) + "\" is not a commit id: " + last_error(rc));
  git_commit* raw = nullptr;
  rc = git_commit_lookup_prefix(&raw, repo, &oid, id.size());
  detail::CommitPtr c(raw);
  if (rc == 0) return true;
  if (rc == GIT_ENOTFOUND) return false;
  return Result<bool>::fail(cache_dir + ": cannot look up commit " + std::string(id) + ": " +
                            last_error(rc));
}

// Creates a remote (named, or anonymous when `name` is null) that uses `url` as given.
// Why SKIP_INSTEADOF: libgit2 1.5 leaks a PCRE2 match block (~20 KiB) per config entry while
// applying url.<base>.insteadOf (fixed upstream after 1.5, libgit2#6382); a long-lived agent
// fetching per job would grow without bound. The server hands agents full URLs anyway.
int create_remote(git_remote** out, git_repository* repo, const char* name, const char* url) {
  git_remote_create_options o;
  const int rc = git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
  if (rc < 0) return rc;
  o.repository = repo;
  o.name = name;
  o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
  return git_remote_create_with_opts(out, url, &o);
}

// Clones `url` bare into `cache_dir`, via a temporary sibling renamed into place, so a clone
// killed halfway never leaves a half-filled cache behind. Caller holds the cache lock.
Status clone_bare(const std::string& url, const std::string& cache_dir, const Credentials& creds) {
  const std::string tmp = cache_dir + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);  // a leftover from a killed clone; we hold the lock
  if (ec) return Status::fail("cannot remove stale " + tmp + ": " + ec.message());
  git_clone_options opts;
  int rc = git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
  if (rc < 0) return Status::fail("cannot clone " + url + ": " + last_error(rc));
  opts.bare = 1;
  opts.remote_cb = [](git_remote** out, git_repository* repo, const char* name, const char* u,
                      void*) { return create_remote(out, repo, name, u); };
  detail::RemoteAuth auth{&creds};
  detail::use_credentials(opts.fetch_opts.callbacks, auth);
  git_repository* raw = nullptr;
  rc = git_clone(&raw, url.c_str(), tmp.c_str(), &opts);
  detail::RepoPtr repo(raw);
  if (rc < 0) {
    fs::remove_all(tmp, ec);
    return Status::fail(
        detail::remote_error(auth, url, "cannot clone " + url + " into " + cache_dir, rc));
  }
  repo.reset();
  fs::rename(tmp, cache_dir, ec);
  if (ec) return Status::fail("cannot move " + tmp + " to " + cache_dir + ": " + ec.message());
  return ok_status();
}

// Every fetch leaves a pack of its own, and libgit2 never repacks: after a thousand pushes each
// repository open would list and open a thousand pack indexes (48 packs already cost a
// plan-stacks ~45 more page faults and ~40% more system calls; docs/performance.md). A
// multi-pack-index over them keeps opens and lookups independent of the number of fetches
// (what `git multi-pack-index write` does). Written through a lock file, so a reader sees the
// old index or the new one. Best effort: without it every object is still found, only slower,
// so a failure here never fails the fetch.
void index_packs(git_repository* repo) {
  const fs::path dir = fs::path(git_repository_path(repo)) / "objects" / "pack";
  std::vector<std::string> indexes;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("pack-", 0) == 0 && it->path().extension() == ".idx" &&
        fs::exists(fs::path(it->path()).replace_extension(".pack")))
      indexes.push_back(name);
  }
  if (ec || indexes.size() < 2) return;
  git_midx_writer* raw = nullptr;
  if (git_midx_writer_new(&raw, dir.c_str()) < 0) return;
  std::unique_ptr<git_midx_writer, void (*)(git_midx_writer*)> w(raw, git_midx_writer_free);
  for (const auto& name : indexes)
    if (git_midx_writer_add(w.get(), name.c_str()) < 0) return;
  (void)git_midx_writer_commit(w.get());
}

// Fetches every branch and tag of `url` into the bare cache (force-updating moved refs).
Status fetch_all(git_repository* repo, const std::string& url, const std::string& cache_dir,
                 const Credentials& creds) {
  git_remote* raw = nullptr;
  int rc = create_remote(&raw, repo, nullptr, url.c_str());
  detail::RemotePtr remote(raw);
  if (rc < 0)
    return Status::fail("cannot fetch " + url + " into " + cache_dir + ": " + last_error(rc));
  char heads[] = "+refs/heads/*:refs/heads/*";
  char tags[] = "+refs/tags/*:refs/tags/*";
  char* specs[] = {heads, tags};
  const git_strarray refspecs{specs, 2};
  git_fetch_options opts;
  rc = git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
  if (rc < 0) return Status::fail("cannot fetch " + url + ": " + last_error(rc));
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;  // the explicit tag refspec covers them
  detail::RemoteAuth auth{&creds};
  detail::use_credentials(opts.callbacks, auth);
  rc = git_remote_fetch(remote.get(), &refspecs, &opts, "stackrun: fetch");
  if (rc < 0) {
    return Status::fail(
        detail::remote_error(auth, url, "cannot fetch " + url + " into " + cache_dir, rc));
  }
  index_packs(repo);
  return ok_status();
}

}  // namespace

namespace {

// Checks shared by ensure_commit and fetch_all_refs; `cache_dir` loses trailing slashes ("c/"
// would put the lock and the temporary clone inside it).
Status check_fetch(const std::string& url, std::string& cache_dir, const Credentials& creds) {
  if (auto s = detail::init_libgit2(); !s) return s;
  if (auto s = check_url_has_no_secret(url); !s) return s;
  if (auto s = check_credentials_transport(url, creds); !s) return s;
  while (cache_dir.size() > 1 && cache_dir.back() == '/') cache_dir.pop_back();
  return ok_status();
}

// Takes the cache's lock (creating its parent directory) and clones when the cache is missing.
Result<FileLock> lock_and_clone(const std::string& url, const std::string& cache_dir,
                                const Credentials& creds) {
  std::error_code ec;
  const fs::path parent = fs::path(cache_dir).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return Result<FileLock>::fail("cannot create " + parent.string() + ": " + ec.message());
  }
  auto lock = FileLock::acquire(cache_dir + ".lock");
  if (!lock) return Error{lock.error()};
  if (!fs::exists(cache_dir, ec)) {
    if (auto s = clone_bare(url, cache_dir, creds); !s) return Error{s.error()};
  }
  return lock;
}

Result<detail::RepoPtr> open_cache(const std::string& cache_dir) {
  auto repo = detail::open_at(cache_dir);
  if (!repo) {
    return Result<detail::RepoPtr>::fail(
        repo.error() + " (the cache is not a usable clone; remove " + cache_dir + " to re-clone)");
  }
  return repo;
}

}  // namespace

void close_kept_repos() {
  detail::free_pooled_repos();
}

Status ensure_commit(const std::string& url, const std::string& cache_dir_arg,
                     std::string_view commit, const Credentials& credentials) {
  std::string cache_dir = cache_dir_arg;
  if (auto s = check_fetch(url, cache_dir, credentials); !s) return s;
  if (!is_hex_id(commit)) {
    return Status::fail("ensure_commit: \"" + std::string(commit) +
                        "\" is not a commit id (4 to 40 hex digits); resolve it first");
  }
  std::error_code ec;
  // Fast path without the lock: readers are safe alongside a fetch (objects are written
  // before refs move, and both atomically).
  if (fs::exists(cache_dir, ec)) {
    auto repo = detail::borrow_at(cache_dir);
    if (repo) {
      auto has = has_commit(repo->get(), cache_dir, commit);
      if (!has) return Error{has.error()};
      if (*has) return ok_status();
    }
  }
  auto lock = lock_and_clone(url, cache_dir, credentials);
  if (!lock) return Error{lock.error()};
  auto repo = open_cache(cache_dir);
  if (!repo) return Error{repo.error()};
  auto has = has_commit(repo->get(), cache_dir, commit);
  if (!has) return Error{has.error()};
  if (*has) return ok_status();
  if (auto s = fetch_all(repo->get(), url, cache_dir, credentials); !s) return s;
  has = has_commit(repo->get(), cache_dir, commit);
  if (!has) return Error{has.error()};
  if (!*has) {
    return Status::fail("commit " + std::string(commit) + " is not on any branch or tag of " +
                        redact_url(url) + " (fetched into " + cache_dir + ")");
  }
  return ok_status();
}

Status fetch_all_refs(const std::string& url, const std::string& cache_dir_arg,
                      const Credentials& credentials) {
  std::string cache_dir = cache_dir_arg;
  if (auto s = check_fetch(url, cache_dir, credentials); !s) return s;
  std::error_code ec;
  const bool had_clone = fs::exists(cache_dir, ec);
  auto lock = lock_and_clone(url, cache_dir, credentials);
  if (!lock) return Error{lock.error()};
  if (!had_clone) return ok_status();  // just cloned: nothing newer to fetch
  auto repo = open_cache(cache_dir);
  if (!repo) return Error{repo.error()};
  return fetch_all(repo->get(), url, cache_dir, credentials);
}

Status checkout_commit(const std::string& repo_dir, std::string_view commit,
                       const std::string& dest_dir) {
  std::error_code ec;
  if (fs::exists(dest_dir, ec)) {
    if (!fs::is_directory(dest_dir, ec) || !fs::is_empty(dest_dir, ec)) {
      return Status::fail("cannot check out into " + dest_dir +
                          ": it exists and is not an empty directory");
    }
  }
  auto repo = detail::open_at(repo_dir);
  if (!repo) return Error{repo.error()};
  auto c = detail::lookup_commit(repo->get(), repo_dir, commit);
  if (!c) return Error{c.error()};
  const std::string what = "cannot check out commit " +
                           detail::commit_label(commit, git_commit_id(c->get())) + " of " +
                           repo_dir + " into " + dest_dir;
  git_tree* raw_tree = nullptr;
  int rc = git_commit_tree(&raw_tree, c->get());
  detail::TreePtr tree(raw_tree);
  if (rc < 0) return Status::fail(what + ": " + last_error(rc));
  fs::create_directories(dest_dir, ec);
  if (ec) return Status::fail(what + ": " + ec.message());

  // An empty in-memory baseline: every file is written, whatever the repository's own index
  // or HEAD say, and nothing is written back into the (possibly shared) cache.
  git_index* raw_index = nullptr;
  rc = git_index_new(&raw_index);
  detail::IndexPtr baseline(raw_index);
  if (rc < 0) return Status::fail(what + ": " + last_error(rc));
  git_checkout_options opts;
  rc = git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
  if (rc < 0) return Status::fail(what + ": " + last_error(rc));
  opts.checkout_strategy =
      GIT_CHECKOUT_FORCE | GIT_CHECKOUT_RECREATE_MISSING | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  opts.target_directory = dest_dir.c_str();
  opts.baseline_index = baseline.get();
  rc = git_checkout_tree(repo->get(), reinterpret_cast<const git_object*>(tree.get()), &opts);
  if (rc < 0) return Status::fail(what + ": " + last_error(rc));
  return ok_status();
}

}  // namespace stackrun::git
