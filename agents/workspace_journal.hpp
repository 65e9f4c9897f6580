#pragma once
// A change journal for reusable workspaces (Linux inotify). While the agent runs, every
// directory of a workspace it wrote is watched; the journal records each name created, written,
// re-moded, removed or renamed in them, so the next job's verification looks at those paths
// only, and a reused workspace costs what changed rather than a stat of every file
// (docs/performance.md). When the journal cannot vouch for a tree it says so and the caller walks
// the whole tree against its state file (verify_tree): a watch that could not be added, a kernel
// queue overflow, a watched directory removed or moved away, or a tree it never watched (after
// an agent restart).
//
// What it cannot see (docs/security.md): a write through a hard link made from outside the
// tree, a write through a shared mapping, or a process that outlives its job. A job's own files
// are what the journal guards against, not a hostile process of the same user, which could
// alter the agent's git cache just as well.
//
// Trees are named by their root directory's (device, inode), which survives the renames that
// park and unpark them; call forget before removing a tree, since an inode is reused. Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace stackrun::agent {

struct TreeId {
  std::uint64_t dev = 0, ino = 0;
  auto operator<=>(const TreeId&) const = default;
};

// The id of the directory at `root` (not following a symlink); nullopt when it cannot be read.
std::optional<TreeId> tree_id(const std::string& root);

class WorkspaceJournal {
 public:
  WorkspaceJournal();  // without inotify (the limit reached, not Linux) every tree is unvouched
  ~WorkspaceJournal();
  WorkspaceJournal(const WorkspaceJournal&) = delete;
  WorkspaceJournal& operator=(const WorkspaceJournal&) = delete;

  // Starts recording tree `id` at `root`, watching `root` and each of `dirs` (relative,
  // '/'-separated, each an existing directory; parents need not be listed). Everything recorded
  // for `id` so far is dropped: the caller has just made the tree what its state says. Returns
  // whether the journal vouches for the tree from now on.
  bool start(TreeId id, const std::string& root, const std::vector<std::string>& dirs);

  // Adds watches for `dirs` (as above) of a tree being recorded, after the caller wrote them,
  // and drops what was recorded so far (the caller's own writes). Returns whether the journal
  // still vouches for the tree.
  bool settle(TreeId id, const std::string& root, const std::vector<std::string>& dirs);

  // The paths (relative, sorted, unique) changed in tree `id` since start/settle, or nullopt
  // when the journal cannot vouch for it. A path may name a directory (created by a job, or
  // re-moded) or something already gone.
  std::optional<std::vector<std::string>> changes(TreeId id);

  // Stops recording tree `id` (before it is removed).
  void forget(TreeId id);

  // The parent directories of `paths` ("a/b/c" gives "a" and "a/b"), sorted, unique. Pure.
  static std::vector<std::string> parents_of(const std::vector<std::string>& paths);

 private:
  struct Tree {
    std::map<std::string, int> watches;  // relative dir ("" the root) -> watch descriptor
    std::set<std::string> changed;
    bool vouched = true;
  };
  struct Watch {
    TreeId tree;
    std::string dir;  // relative, "" the root
  };

  void drain();  // reads every queued event; mu_ held
  bool add(TreeId id, Tree& t, const std::string& root, const std::string& dir);  // mu_ held
  void drop(TreeId id);                                                           // mu_ held

  int fd_ = -1;
  std::mutex mu_;
  std::map<TreeId, Tree> trees_;
  std::unordered_map<int, Watch> by_wd_;
};

}  // namespace stackrun::agent
