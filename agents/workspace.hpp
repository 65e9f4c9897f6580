#pragma once
// Where a job's files come from: a directory holding one commit's tree. The real maker clones
// into a cache and checks out (libgit2); tests write a FakeRepo commit's files
// (tests/support/fake_workspace_maker.hpp).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agents/workspace_journal.hpp"
#include "runner/core/result.hpp"
#include "runner/git/credentials.hpp"

namespace stackrun::agent {

class WorkspaceMaker {
 public:
  virtual ~WorkspaceMaker() = default;
  // Writes the files of `commit` (a full hex id) of the repository at `repo_url` into `dest`
  // (must not exist or be empty). Fails with a text naming the repo and the commit.
  // Thread-safe: the agent's slots call it concurrently.
  virtual Status make(const std::string& repo_url, const std::string& commit,
                      const std::string& dest) = 0;
  // Takes back a workspace `make` wrote into `dest` once no process uses it any more; `dest`
  // is gone afterwards. The default removes it. Thread-safe; never fails (a workspace it
  // cannot keep is removed).
  virtual void release(const std::string& repo_url, const std::string& dest);
  // Every slot has been idle a while (AgentTimings::idle_release): give back what is only kept
  // to make the next job cheaper. The default keeps nothing. Thread-safe.
  virtual void idle() {}
};

// What GitWorkspaceMaker did so far (for tests, logs and scripts/bench).
struct WorkspaceCounts {
  std::uint64_t reused = 0;     // makes that moved a pooled workspace
  std::uint64_t journaled = 0;  // of those, verified by the change journal alone
  std::uint64_t rebuilt = 0;    // makes that wrote every file (nothing pooled, or not trusted)
  std::uint64_t written = 0;    // paths removed or written by makes
  std::uint64_t removed = 0;    // entries a job left that a walk of the tree removed
  std::uint64_t reported = 0;   // paths the journal reported changed by jobs
};

// The real one: a bare clone per repository URL under `cache_dir` (git::ensure_commit, safe to
// share between threads and processes), then a workspace at the pinned commit. Workspaces are
// reused: `release` parks the tree with its state (workspace_state.hpp) in
// <workspaces_dir>/<cache name>/, and the next `make` for that repository takes a parked one,
// verifies it (removing whatever a job added, finding whatever it altered) and rewrites only the
// paths that differ from the pinned commit plus the altered ones, so a job's cost follows the
// size of the change, not of the repository. Verification asks the change journal
// (workspace_journal.hpp) which paths jobs touched since this agent last wrote the tree; when
// the journal cannot vouch for it (after a restart, a directory a job removed or moved), the
// whole tree is walked against its state file (workspace_state.hpp). A workspace without a
// readable state, or that fails to update, is removed and written afresh. At most kMaxParked
// trees are parked per repository (one per slot in practice). `credentials` (the agent's
// --git-token-file / --git-ssh-key) answer the forge for a remote URL (git::is_remote_url); a
// local path is read without them.
class GitWorkspaceMaker final : public WorkspaceMaker {
 public:
  static constexpr std::size_t kMaxParked = 16;
  // `workspaces_dir` empty: "workspaces" beside `cache_dir`.
  explicit GitWorkspaceMaker(std::string cache_dir, git::Credentials credentials = {},
                             std::string workspaces_dir = {});
  Status make(const std::string& repo_url, const std::string& commit,
              const std::string& dest) override;
  void release(const std::string& repo_url, const std::string& dest) override;
  // Closes the caches' repository handles kept open between jobs (git::close_kept_repos).
  void idle() override;
  WorkspaceCounts counts() const;

 private:
  std::string cache_of(const std::string& url) const;
  std::string parked_dir(const std::string& url) const;
  bool take_parked(const std::string& url, const std::string& dest);
  Status update(const std::string& cache, const std::string& commit, const std::string& dest);
  Status walk_and_update(const std::string& cache, const std::string& commit,
                         const std::string& dest);
  Status rebuild(const std::string& cache, const std::string& commit, const std::string& dest);
  void watch(const std::string& dest, const std::string& commit,
             const std::vector<std::string>& files);
  void remove_tree(const std::string& tree);

  std::string cache_dir_, workspaces_dir_;
  git::Credentials credentials_;
  WorkspaceJournal journal_;
  mutable std::mutex mu_;                    // guards the parked trees and counts_
  std::mutex journal_mu_;                    // guards journaled_; never held while taking mu_
  std::map<TreeId, std::string> journaled_;  // trees the journal vouches for -> their commit
  WorkspaceCounts counts_;
};

// The cache directory name of `url`: a readable part (its alphanumerics, others '_', at most the
// last 40), '-', the SHA-256 of the whole URL in hex, ".git". Distinct URLs get distinct names
// (the readable part alone once let two URLs share a cache). Pure.
std::string cache_name(const std::string& url);

}  // namespace stackrun::agent
