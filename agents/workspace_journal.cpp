#include "agents/workspace_journal.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace stackrun::agent {
namespace {

// Every way a job can change what a name in a watched directory is: new, written, chmod/touch,
// removed, renamed; and the watched directory itself going away. Never through a symlink.
constexpr std::uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                IN_DONT_FOLLOW;

}  // namespace

std::optional<TreeId> tree_id(const std::string& root) {
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  return TreeId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

WorkspaceJournal::WorkspaceJournal() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

WorkspaceJournal::~WorkspaceJournal() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> WorkspaceJournal::parents_of(const std::vector<std::string>& paths) {
  std::set<std::string> dirs;
  for (const std::string& p : paths) {
    for (std::size_t at = p.find('/'); at != std::string::npos; at = p.find('/', at + 1))
      dirs.insert(p.substr(0, at));
  }
  return {dirs.begin(), dirs.end()};
}

bool WorkspaceJournal::add(TreeId id, Tree& t, const std::string& root, const std::string& dir) {
  if (t.watches.count(dir)) return true;
  const std::string path = dir.empty() ? root : root + "/" + dir;
  const int wd = ::inotify_add_watch(fd_, path.c_str(), kMask);
  if (wd < 0) return errno == ENOENT;  // gone again (pruned by the caller): nothing to watch
  const auto [it, fresh] = by_wd_.try_emplace(wd, Watch{id, dir});
  if (!fresh && (it->second.tree != id || it->second.dir != dir))
    return false;  // the same directory under two names: a job moved it
  t.watches[dir] = wd;
  return true;
}

void WorkspaceJournal::drop(TreeId id) {
  const auto it = trees_.find(id);
  if (it == trees_.end()) return;
  for (const auto& [dir, wd] : it->second.watches) {
    by_wd_.erase(wd);
    ::inotify_rm_watch(fd_, wd);  // its IN_IGNORED finds no watch: not counted against a tree
  }
  trees_.erase(it);
}

void WorkspaceJournal::drain() {
  if (fd_ < 0) return;
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: nothing queued
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      if (e->mask & IN_Q_OVERFLOW) {
        for (auto& [id, t] : trees_) t.vouched = false;
        continue;
      }
      const auto w = by_wd_.find(e->wd);
      if (w == by_wd_.end()) continue;
      const auto tree = trees_.find(w->second.tree);
      if (tree == trees_.end()) continue;
      Tree& t = tree->second;
      if (e->mask & IN_IGNORED) {  // the directory is gone (or no longer watchable)
        t.vouched = false;
        t.watches.erase(w->second.dir);
        by_wd_.erase(w);
        continue;
      }
      if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        // The root moves when the agent parks or takes the tree; any other directory moving or
        // going away leaves watches that no longer name what they watch.
        if (!(w->second.dir.empty() && (e->mask & IN_MOVE_SELF))) t.vouched = false;
        continue;
      }
      if (e->len == 0) continue;        // an event on the directory itself: seen from its parent
      const std::string name(e->name);  // NUL-padded
      t.changed.insert(w->second.dir.empty() ? name : w->second.dir + "/" + name);
    }
  }
}

bool WorkspaceJournal::start(TreeId id, const std::string& root,
                             const std::vector<std::string>& dirs) {
  std::lock_guard lk(mu_);
  if (fd_ < 0) return false;
  drain();
  drop(id);
  Tree& t = trees_[id];
  bool ok = add(id, t, root, "");
  for (const std::string& d : dirs) ok = ok && add(id, t, root, d);
  t.vouched = ok;
  return ok;
}

bool WorkspaceJournal::settle(TreeId id, const std::string& root,
                              const std::vector<std::string>& dirs) {
  std::lock_guard lk(mu_);
  drain();
  const auto it = trees_.find(id);
  if (it == trees_.end()) return false;
  Tree& t = it->second;
  // What happened since changes() was the caller's own update: the tree is what it wrote.
  t.changed.clear();
  t.vouched = true;
  for (const std::string& d : dirs) {
    if (!add(id, t, root, d)) t.vouched = false;
  }
  if (!t.vouched) drop(id);
  return trees_.count(id) > 0;
}

std::optional<std::vector<std::string>> WorkspaceJournal::changes(TreeId id) {
  std::lock_guard lk(mu_);
  drain();
  const auto it = trees_.find(id);
  if (it == trees_.end() || !it->second.vouched) return std::nullopt;
  return std::vector<std::string>(it->second.changed.begin(), it->second.changed.end());
}

void WorkspaceJournal::forget(TreeId id) {
  std::lock_guard lk(mu_);
  drain();
  drop(id);
}

}  // namespace stackrun::agent
