// Libgit2Repo: the libgit2 adapter behind git::Repo (read-only queries at given commits).
#include "runner/git/repo.hpp"

#include <algorithm>
#include <tuple>

#include "runner/git/libgit2_util.hpp"

namespace stackrun::git {
namespace {

using detail::BlobPtr;
using detail::CommitPtr;
using detail::DiffPtr;
using detail::last_error;
using detail::RepoPtr;
using detail::TreeEntryPtr;
using detail::TreePtr;

// A file or a symlink: what list_files lists (a submodule is a commit entry; an absent side of
// a delta has mode 0).
bool is_file(std::uint16_t mode) {
  return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE ||
         mode == GIT_FILEMODE_LINK;
}

class Libgit2Repo final : public Repo {
 public:
  Libgit2Repo(std::string path, RepoPtr repo) : path_(std::move(path)), repo_(std::move(repo)) {}

  Result<std::string> resolve(std::string_view rev) const override {
    auto c = detail::lookup_commit(repo_.get(), path_, rev);
    if (!c) return Error{c.error()};
    return detail::to_hex(git_commit_id(c->get()));
  }

  Result<std::string> read_file(std::string_view commit, std::string_view path) const override {
    auto blob = blob_at(commit, path);
    if (!blob) return Error{blob.error()};
    const auto* data = static_cast<const char*>(git_blob_rawcontent(blob->get()));
    return std::string(data, static_cast<size_t>(git_blob_rawsize(blob->get())));
  }

  Result<std::uint64_t> file_size(std::string_view commit, std::string_view path) const override {
    auto blob = blob_at(commit, path);
    if (!blob) return Error{blob.error()};
    return static_cast<std::uint64_t>(git_blob_rawsize(blob->get()));
  }

  Result<std::vector<std::string>> list_files(std::string_view commit) const override {
    auto c = detail::lookup_commit(repo_.get(), path_, commit);
    if (!c) return Error{c.error()};
    auto tree = tree_of(c->get(), commit);
    if (!tree) return Error{tree.error()};
    std::vector<std::string> files;
    auto collect = [](const char* root, const git_tree_entry* e, void* payload) -> int {
      // Blobs only (files and symlinks); submodule entries are commits, not files.
      if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
        // One allocation per path (not a temporary for `root` and another for the sum): a
        // 500-stack repo has 20,000 of them.
        const std::string_view dir(root), name(git_tree_entry_name(e));
        std::string path;
        path.reserve(dir.size() + name.size());
        path.append(dir).append(name);
        static_cast<std::vector<std::string>*>(payload)->push_back(std::move(path));
      }
      return 0;
    };
    const int rc = git_tree_walk(tree->get(), GIT_TREEWALK_PRE, collect, &files);
    if (rc < 0) {
      return Result<std::vector<std::string>>::fail(
          path_ + ": cannot list files at commit " +
          detail::commit_label(commit, git_commit_id(c->get())) + ": " + last_error(rc));
    }
    // A pre-order walk already yields byte order (git sorts a directory's entries as if its
    // name ended in '/', as the full paths do); sorting 20,000 sorted paths again cost ~5% of
    // plan-stacks on a 500-stack repo (docs/performance.md). Sorted only when it is not.
    if (!std::is_sorted(files.begin(), files.end())) std::sort(files.begin(), files.end());
    return files;
  }

  Result<std::vector<ChangedPath>> diff(std::string_view from, std::string_view to) const override {
    using R = Result<std::vector<ChangedPath>>;
    auto a = detail::lookup_commit(repo_.get(), path_, from);
    if (!a) return Error{a.error()};
    auto b = detail::lookup_commit(repo_.get(), path_, to);
    if (!b) return Error{b.error()};
    auto ta = tree_of(a->get(), from);
    if (!ta) return Error{ta.error()};
    auto tb = tree_of(b->get(), to);
    if (!tb) return Error{tb.error()};
    const std::string what = "cannot diff " + detail::commit_label(from, git_commit_id(a->get())) +
                             ".." + detail::commit_label(to, git_commit_id(b->get()));

    git_diff_options opts;
    int rc = git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    if (rc < 0) return R::fail(path_ + ": " + what + ": " + last_error(rc));
    opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;  // a file <-> symlink swap is one change, not two
    git_diff* raw = nullptr;
    rc = git_diff_tree_to_tree(&raw, repo_.get(), ta->get(), tb->get(), &opts);
    DiffPtr d(raw);
    if (rc < 0) return R::fail(path_ + ": " + what + ": " + last_error(rc));

    git_diff_find_options find;
    rc = git_diff_find_options_init(&find, GIT_DIFF_FIND_OPTIONS_VERSION);
    if (rc < 0) return R::fail(path_ + ": " + what + ": " + last_error(rc));
    find.flags = GIT_DIFF_FIND_RENAMES;  // git's default 50% similarity, as `git diff -M`
    rc = git_diff_find_similar(d.get(), &find);
    if (rc < 0) return R::fail(path_ + ": " + what + ": " + last_error(rc));

    std::vector<ChangedPath> out;
    const size_t n = git_diff_num_deltas(d.get());
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const git_diff_delta* delta = git_diff_get_delta(d.get(), i);
      ChangedPath cp;
      cp.path = delta->new_file.path ? delta->new_file.path : "";
      cp.old_path = delta->old_file.path ? delta->old_file.path : cp.path;
      cp.old_is_file = is_file(delta->old_file.mode);
      cp.new_is_file = is_file(delta->new_file.mode);
      switch (delta->status) {
        case GIT_DELTA_ADDED:
          cp.kind = ChangedPath::Kind::added;
          break;
        case GIT_DELTA_DELETED:
          cp.kind = ChangedPath::Kind::deleted;
          cp.path = cp.old_path;
          break;
        case GIT_DELTA_RENAMED:
          cp.kind = ChangedPath::Kind::renamed;
          break;
        case GIT_DELTA_TYPECHANGE:
          cp.kind = ChangedPath::Kind::typechange;
          break;
        case GIT_DELTA_COPIED:
          cp.kind = ChangedPath::Kind::added;
          break;  // not requested
        default:
          cp.kind = ChangedPath::Kind::modified;
          break;
      }
      if (cp.kind != ChangedPath::Kind::renamed) cp.old_path = cp.path;
      out.push_back(std::move(cp));
    }
    std::sort(out.begin(), out.end(), [](const ChangedPath& x, const ChangedPath& y) {
      return std::tie(x.path, x.old_path) < std::tie(y.path, y.old_path);
    });
    return out;
  }

  Result<CommitInfo> commit_info(std::string_view commit) const override {
    auto c = detail::lookup_commit(repo_.get(), path_, commit);
    if (!c) return Error{c.error()};
    CommitInfo info;
    info.sha = detail::to_hex(git_commit_id(c->get()));
    const char* msg = git_commit_message(c->get());
    info.message = msg ? msg : "";
    if (const git_signature* a = git_commit_author(c->get())) {
      info.author = std::string(a->name ? a->name : "") + " <" + (a->email ? a->email : "") + ">";
    }
    info.time = static_cast<long long>(git_commit_time(c->get()));
    return info;
  }

 private:
  // The blob of `path` at `commit` (errors as documented on Repo::read_file). Looking a blob up
  // does not inflate it (libgit2 reads the object header), so sizes are cheap.
  Result<BlobPtr> blob_at(std::string_view commit, std::string_view path) const {
    auto c = detail::lookup_commit(repo_.get(), path_, commit);
    if (!c) return Error{c.error()};
    auto tree = tree_of(c->get(), commit);
    if (!tree) return Error{tree.error()};
    const std::string p(path);
    const std::string at = detail::commit_label(commit, git_commit_id(c->get()));
    git_tree_entry* raw_entry = nullptr;
    int rc = git_tree_entry_bypath(&raw_entry, tree->get(), p.c_str());
    TreeEntryPtr entry(raw_entry);
    if (rc == GIT_ENOTFOUND) return Error{path_ + ": no file \"" + p + "\" at commit " + at};
    if (rc < 0)
      return Error{path_ + ": cannot look up \"" + p + "\" at commit " + at + ": " +
                   last_error(rc)};
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB)
      return Error{path_ + ": \"" + p + "\" at commit " + at + " is not a file"};
    git_blob* raw_blob = nullptr;
    rc = git_blob_lookup(&raw_blob, repo_.get(), git_tree_entry_id(entry.get()));
    BlobPtr blob(raw_blob);
    if (rc < 0)
      return Error{path_ + ": cannot read \"" + p + "\" at commit " + at + ": " + last_error(rc)};
    return blob;
  }

  Result<TreePtr> tree_of(git_commit* c, std::string_view rev) const {
    git_tree* raw = nullptr;
    const int rc = git_commit_tree(&raw, c);
    TreePtr tree(raw);
    if (rc < 0) {
      return Result<TreePtr>::fail(path_ + ": cannot read the tree of commit " +
                                   detail::commit_label(rev, git_commit_id(c)) + ": " +
                                   last_error(rc));
    }
    return tree;
  }

  std::string path_;
  RepoPtr repo_;
};

}  // namespace

Result<std::unique_ptr<Repo>> open_repo(const std::string& path) {
  auto repo = detail::open_at(path);
  if (!repo) return Error{repo.error()};
  return std::unique_ptr<Repo>(std::make_unique<Libgit2Repo>(path, std::move(*repo)));
}

}  // namespace stackrun::git
