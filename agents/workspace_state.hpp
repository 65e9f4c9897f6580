#pragma once
// What the agent knows of a reusable workspace: the commit its tree was written at and, per
// file, the lstat figures right after writing (like git's index). A job may alter its workspace
// in any way; verify_tree finds every alteration by comparing figures, so the next job rewrites
// only what differs (GitWorkspaceMaker, workspace.hpp). The state lives beside the tree, never
// inside it: <dir>.state while a job holds the tree, <pool>/<name>.state while it waits.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"

namespace stackrun::agent {

// The figures a write leaves: a later write, chmod, link or replacement changes ctime or ino
// (ctime cannot be set back by a job), an edit within the same clock tick still changes ctime.
struct FileStat {
  std::uint32_t mode = 0;  // st_mode: type and permission bits
  std::uint64_t size = 0, ino = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileStat&) const = default;
};

struct WorkspaceState {
  std::string commit;                     // 40 hex
  std::map<std::string, FileStat> files;  // repo-relative path -> figures; files and symlinks
  bool operator==(const WorkspaceState&) const = default;
};

// Text form: "stackrun-workspace 1", "commit C", "files N", N lines "mode size ino mtime ctime
// path", "end". A path holding '\n' cannot be written (error); parse_state refuses anything
// else than this exact shape (a truncated file is not trusted). Pure.
Result<std::string> format_state(const WorkspaceState& s);
Result<WorkspaceState> parse_state(std::string_view text);

// Reads / writes (via a temporary file and rename) a state file. Errors name the path.
Result<WorkspaceState> read_state(const std::string& path);
Status write_state(const std::string& path, const WorkspaceState& s);

struct Verified {
  std::vector<std::string> altered;  // files of the state that are missing or differ, sorted
  std::size_t removed = 0;           // entries removed: not a file of the state nor a directory
                                     // holding one (a job's output, caches, a swapped symlink)
};

// Walks `dir` without following symlinks, removing every entry that is neither a file of `s`
// nor a directory on the way to one, and listing the files of `s` that are missing or whose
// figures differ (they are left for the caller to rewrite). Errors name the path.
Result<Verified> verify_tree(const std::string& dir, const WorkspaceState& s);

// Updates `s` for `paths` under `dir`: a present file or symlink gets its current figures, an
// absent path is dropped. Errors name the path.
Status refresh_state(const std::string& dir, const std::vector<std::string>& paths,
                     WorkspaceState& s);

}  // namespace stackrun::agent
