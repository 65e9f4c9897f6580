#include "runner/git/libgit2_util.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <mutex>
#include <vector>

namespace stackrun::git::detail {

Status init_libgit2() {
  // git_libgit2_init is reference counted and thread-safe; a function-local static makes the
  // one call race-free too. We never call git_libgit2_shutdown: objects may live until exit.
  static const int rc = git_libgit2_init();
  if (rc < 0) return Status::fail("cannot initialise libgit2: " + last_error(rc));
  return ok_status();
}

std::string last_error(int rc) {
  const git_error* e = git_error_last();
  if (e && e->message && *e->message) return e->message;
  return "libgit2 error " + std::to_string(rc);
}

Result<RepoPtr> open_at(const std::string& path) {
  if (auto s = init_libgit2(); !s) return Error{s.error()};
  git_repository* raw = nullptr;
  const int rc =
      git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  RepoPtr repo(raw);
  if (rc < 0)
    return Result<RepoPtr>::fail("cannot open git repository " + path + ": " + last_error(rc));
  return repo;
}

namespace {

struct Idle {
  std::string path;
  unsigned long long dev = 0, ino = 0;
  std::vector<RepoPtr> repos;
};

// Paths by last use, the most recent at the back. Freed at exit like any static (libgit2 is
// never shut down, so freeing a repository then is safe).
std::mutex pool_mu;
std::deque<Idle>& pool() {
  static std::deque<Idle> p;
  return p;
}

}  // namespace

PooledRepo::~PooledRepo() {
  if (!repo_) return;
  std::lock_guard lk(pool_mu);
  auto& p = pool();
  auto it = std::find_if(p.begin(), p.end(), [&](const Idle& i) { return i.path == path_; });
  if (it != p.end() && (it->dev != dev_ || it->ino != ino_)) {
    p.erase(it);  // handles of a directory that is gone
    it = p.end();
  }
  if (it == p.end()) {
    if (p.size() >= kPooledPaths) p.pop_front();
    p.push_back({path_, dev_, ino_, {}});
    it = std::prev(p.end());
  }
  if (it->repos.size() < kPooledPerPath) it->repos.push_back(std::move(repo_));
}

Result<PooledRepo> borrow_at(const std::string& path) {
  // A path that cannot be stat'ed is opened anyway, for open_at's error text; its handle is
  // never lent again (no directory matches device and inode 0).
  struct stat st {};
  const bool found = ::stat(path.c_str(), &st) == 0;
  const auto dev = found ? static_cast<unsigned long long>(st.st_dev) : 0ULL;
  const auto ino = found ? static_cast<unsigned long long>(st.st_ino) : 0ULL;
  if (found) {
    std::lock_guard lk(pool_mu);
    auto& p = pool();
    auto it = std::find_if(p.begin(), p.end(), [&](const Idle& i) { return i.path == path; });
    if (it != p.end() && it->dev == dev && it->ino == ino && !it->repos.empty()) {
      RepoPtr r = std::move(it->repos.back());
      it->repos.pop_back();
      return PooledRepo(std::move(r), path, dev, ino);
    }
  }
  auto opened = open_at(path);
  if (!opened) return Error{opened.error()};
  return PooledRepo(std::move(*opened), path, dev, ino);
}

void free_pooled_repos() {
  std::deque<Idle> gone;
  {
    std::lock_guard lk(pool_mu);
    gone.swap(pool());
  }
}

Result<CommitPtr> lookup_commit(git_repository* repo, const std::string& repo_path,
                                std::string_view rev) {
  const std::string spec(rev);
  git_object* raw = nullptr;
  int rc = git_revparse_single(&raw, repo, spec.c_str());
  ObjectPtr obj(raw);
  if (rc < 0) {
    return Result<CommitPtr>::fail(repo_path + ": cannot resolve revision \"" + spec +
                                   "\": " + last_error(rc));
  }
  git_object* peeled = nullptr;
  rc = git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT);
  if (rc < 0) {
    return Result<CommitPtr>::fail(repo_path + ": revision \"" + spec +
                                   "\" does not name a commit: " + last_error(rc));
  }
  return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

std::string to_hex(const git_oid* id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, id);
  return buf;
}

std::string commit_label(std::string_view rev, const git_oid* id) {
  const std::string hex = to_hex(id);
  const std::string shortid = hex.substr(0, 7);
  std::string lower(rev);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!lower.empty() && hex.compare(0, lower.size(), lower) == 0) return shortid;
  return std::string(rev) + " (" + shortid + ")";
}

}  // namespace stackrun::git::detail
