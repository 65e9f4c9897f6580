// update_checkout: the agent's incremental workspace writer (runner/git/repo.hpp). Why not
// git_checkout_tree: with a workspace that has no .git, libgit2 cannot trust stat data and would
// hash or rewrite every file; the agent already knows what is altered on disk, so this writes
// exactly the paths that differ and nothing else.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "runner/git/libgit2_util.hpp"
#include "runner/git/repo.hpp"

namespace stackrun::git {
namespace {

namespace fs = std::filesystem;
using detail::last_error;

// A path that stays inside dest. `git_dir_ok`: it may have a ".git" component (a git directory
// a job made, named by the caller to be removed: no tree holds one, so it is never written);
// a path from a tree may not.
bool safe_path(std::string_view p, bool git_dir_ok) {
  if (p.empty() || p.front() == '/') return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = std::min(p.find('/', start), p.size());
    const std::string_view part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || (part == ".git" && !git_dir_ok))
      return false;
    start = end + 1;
  }
  return true;
}

Result<detail::TreePtr> tree_at(git_repository* repo, const std::string& repo_dir,
                                std::string_view rev) {
  auto c = detail::lookup_commit(repo, repo_dir, rev);
  if (!c) return Error{c.error()};
  git_tree* raw = nullptr;
  const int rc = git_commit_tree(&raw, c->get());
  detail::TreePtr tree(raw);
  if (rc < 0) {
    return Result<detail::TreePtr>::fail(repo_dir + ": cannot read the tree of " +
                                         detail::commit_label(rev, git_commit_id(c->get())) + ": " +
                                         last_error(rc));
  }
  return tree;
}

// Every path under `prefix` where `a` and `b` (either null: empty) differ, both sides of a
// typechange included. Subtrees with the same id on both sides are skipped without being read,
// so the cost follows what changed, not the size of the repo (git_diff_tree_to_tree measured
// ~45 ms on a 10,000-file tree for a one-file change).
Status diff_paths(git_repository* repo, git_tree* a, git_tree* b, const std::string& prefix,
                  std::vector<std::string>& out);

Result<detail::TreePtr> subtree(git_repository* repo, const git_tree_entry* e) {
  git_tree* raw = nullptr;
  const int rc = git_tree_lookup(&raw, repo, git_tree_entry_id(e));
  detail::TreePtr t(raw);
  if (rc < 0) return Result<detail::TreePtr>::fail(last_error(rc));
  return t;
}

// One side of a changed name: a tree lists every path under it, anything else its own path.
Status side_paths(git_repository* repo, const git_tree_entry* e, const std::string& path,
                  std::vector<std::string>& out) {
  if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
    out.push_back(path);
    return ok_status();
  }
  auto t = subtree(repo, e);
  if (!t) return Status::fail(path + ": " + t.error());
  return diff_paths(repo, nullptr, t->get(), path + "/", out);
}

Status diff_paths(git_repository* repo, git_tree* a, git_tree* b, const std::string& prefix,
                  std::vector<std::string>& out) {
  const std::size_t na = a ? git_tree_entrycount(a) : 0;
  const std::size_t nb = b ? git_tree_entrycount(b) : 0;
  for (std::size_t i = 0; i < na; ++i) {
    const git_tree_entry* ea = git_tree_entry_byindex(a, i);
    const git_tree_entry* eb = b ? git_tree_entry_byname(b, git_tree_entry_name(ea)) : nullptr;
    const std::string path = prefix + git_tree_entry_name(ea);
    if (eb && git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb) &&
        git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb))) {
      continue;
    }
    if (eb && git_tree_entry_type(ea) == GIT_OBJECT_TREE &&
        git_tree_entry_type(eb) == GIT_OBJECT_TREE) {
      auto ta = subtree(repo, ea);
      if (!ta) return Status::fail(path + ": " + ta.error());
      auto tb = subtree(repo, eb);
      if (!tb) return Status::fail(path + ": " + tb.error());
      if (auto s = diff_paths(repo, ta->get(), tb->get(), path + "/", out); !s) return s;
      continue;
    }
    if (auto s = side_paths(repo, ea, path, out); !s) return s;
    if (eb) {
      if (auto s = side_paths(repo, eb, path, out); !s) return s;
    }
  }
  for (std::size_t i = 0; i < nb; ++i) {
    const git_tree_entry* eb = git_tree_entry_byindex(b, i);
    if (a && git_tree_entry_byname(a, git_tree_entry_name(eb))) continue;  // handled above
    if (auto s = side_paths(repo, eb, prefix + git_tree_entry_name(eb), out); !s) return s;
  }
  return ok_status();
}

// Adds every file path under `path` when `to` has a directory there.
Status tree_paths(git_repository* repo, git_tree* to, const std::string& path,
                  std::vector<std::string>& out) {
  git_tree_entry* raw_entry = nullptr;
  const int rc = git_tree_entry_bypath(&raw_entry, to, path.c_str());
  detail::TreeEntryPtr entry(raw_entry);
  if (rc == GIT_ENOTFOUND) return ok_status();
  if (rc < 0) return Status::fail("cannot look up " + path + ": " + last_error(rc));
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return ok_status();
  return side_paths(repo, entry.get(), path, out);
}

// Removes whatever `full` is (not following a symlink), then its parents up to `root` while
// they are empty.
Status remove_path(const fs::path& root, const fs::path& full) {
  std::error_code ec;
  const auto st = fs::symlink_status(full, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    return Status::fail("cannot inspect " + full.string() + ": " + ec.message());
  if (fs::exists(st)) {
    fs::remove_all(full, ec);
    if (ec) return Status::fail("cannot remove " + full.string() + ": " + ec.message());
  }
  for (fs::path dir = full.parent_path(); dir != root && dir.string().size() > root.string().size();
       dir = dir.parent_path()) {
    if (::rmdir(dir.c_str()) != 0) break;  // not empty (or gone): its parents are not empty
  }
  return ok_status();
}

Status write_file(const fs::path& full, const char* data, std::size_t size, bool exec) {
  const int fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        exec ? 0777 : 0666);
  if (fd < 0) return Status::fail("cannot create " + full.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < size) {
    const ssize_t w = ::write(fd, data + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Status::fail("cannot write " + full.string() + ": " + why);
    }
    done += static_cast<std::size_t>(w);
  }
  if (::close(fd) != 0)
    return Status::fail("cannot write " + full.string() + ": " + std::strerror(errno));
  return ok_status();
}

// Writes `to`'s entry at `path` (absent or a submodule: nothing). Returns whether it wrote.
Result<bool> write_entry(git_repository* repo, git_tree* to, const std::string& path,
                         const fs::path& full) {
  git_tree_entry* raw_entry = nullptr;
  int rc = git_tree_entry_bypath(&raw_entry, to, path.c_str());
  detail::TreeEntryPtr entry(raw_entry);
  if (rc == GIT_ENOTFOUND) return false;
  if (rc < 0) return Result<bool>::fail("cannot look up " + path + ": " + last_error(rc));
  const git_filemode_t mode = git_tree_entry_filemode(entry.get());
  if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
      mode != GIT_FILEMODE_LINK) {
    return false;  // a tree (the caller named a directory) or a submodule
  }
  git_blob* raw_blob = nullptr;
  rc = git_blob_lookup(&raw_blob, repo, git_tree_entry_id(entry.get()));
  detail::BlobPtr blob(raw_blob);
  if (rc < 0) return Result<bool>::fail("cannot read " + path + ": " + last_error(rc));
  const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  const auto size = static_cast<std::size_t>(git_blob_rawsize(blob.get()));
  std::error_code ec;
  fs::create_directories(full.parent_path(), ec);
  if (ec)
    return Result<bool>::fail("cannot create " + full.parent_path().string() + ": " + ec.message());
  if (mode == GIT_FILEMODE_LINK) {
    const std::string target(data, size);
    if (::symlink(target.c_str(), full.c_str()) != 0) {
      return Result<bool>::fail("cannot create symlink " + full.string() + ": " +
                                std::strerror(errno));
    }
    return true;
  }
  if (auto s = write_file(full, data, size, mode == GIT_FILEMODE_BLOB_EXECUTABLE); !s)
    return Error{s.error()};
  return true;
}

}  // namespace

Result<std::vector<std::string>> update_checkout(const std::string& repo_dir,
                                                 std::optional<std::string_view> from,
                                                 std::string_view to, const std::string& dest_dir,
                                                 const std::vector<std::string>& also) {
  using R = Result<std::vector<std::string>>;
  if (auto s = detail::init_libgit2(); !s) return Error{s.error()};
  auto repo = detail::borrow_at(repo_dir);  // an agent's cache, once per job
  if (!repo) return Error{repo.error()};
  auto to_tree = tree_at(repo->get(), repo_dir, to);
  if (!to_tree) return Error{to_tree.error()};
  detail::TreePtr from_tree;
  if (from) {
    auto t = tree_at(repo->get(), repo_dir, *from);
    if (!t) return Error{t.error()};
    from_tree = std::move(*t);
  }
  const std::string what = "cannot update " + dest_dir + " to " + std::string(to);
  const auto refuse = [&](const std::string& p) {
    return R::fail(what + ": refusing path \"" + p + "\" (outside the tree)");
  };
  for (const std::string& p : also)
    if (!safe_path(p, true)) return refuse(p);
  std::vector<std::string> paths;  // from the trees
  if (auto s = diff_paths(repo->get(), from_tree.get(), to_tree->get(), "", paths); !s)
    return R::fail(what + ": " + s.error());
  // A directory named in `also` is removed whole, so every file `to` has under it is written.
  for (const std::string& p : also) {
    if (auto s = tree_paths(repo->get(), to_tree->get(), p, paths); !s)
      return R::fail(what + ": " + s.error());
  }
  for (const std::string& p : paths)
    if (!safe_path(p, false)) return refuse(p);
  paths.insert(paths.end(), also.begin(), also.end());
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  const fs::path root(dest_dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return R::fail(what + ": " + ec.message());
  // All removals first: a file of `from` may sit where a directory of `to` goes.
  for (const std::string& p : paths) {
    if (auto s = remove_path(root, root / p); !s) return R::fail(what + ": " + s.error());
  }
  for (const std::string& p : paths) {
    auto wrote = write_entry(repo->get(), to_tree->get(), p, root / p);
    if (!wrote) return R::fail(what + ": " + wrote.error());
  }
  return paths;
}

}  // namespace stackrun::git
