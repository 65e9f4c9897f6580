#pragma once
// Where a job's files come from: a directory holding one commit's tree. The real maker clones
// into a cache and checks out (libgit2); tests write a FakeRepo commit's files
// (tests/support/fake_workspace_maker.hpp).
#include <string>
#include <utility>

#include "runner/core/result.hpp"
#include "runner/git/credentials.hpp"

namespace stackrun::agent {

class WorkspaceMaker {
 public:
  virtual ~WorkspaceMaker() = default;
  // Writes the files of `commit` (a full hex id) of the repository at `repo_url` into `dest`
  // (created; must not exist or be empty). Fails with a text naming the repo and the commit.
  // Thread-safe: the agent's slots call it concurrently.
  virtual Status make(const std::string& repo_url, const std::string& commit,
                      const std::string& dest) = 0;
};

// The real one: a bare clone per repository URL under `cache_dir` (git::ensure_commit, safe to
// share between threads and processes), then git::checkout_commit into `dest`. `credentials`
// (the agent's --git-token-file / --git-ssh-key) answer the forge for a remote URL
// (git::is_remote_url); a local path is read without them.
class GitWorkspaceMaker final : public WorkspaceMaker {
 public:
  explicit GitWorkspaceMaker(std::string cache_dir, git::Credentials credentials = {})
      : cache_dir_(std::move(cache_dir)), credentials_(std::move(credentials)) {}
  Status make(const std::string& repo_url, const std::string& commit,
              const std::string& dest) override;

 private:
  std::string cache_dir_;
  git::Credentials credentials_;
};

// The cache directory name of `url`: a readable part (its alphanumerics, others '_', at most the
// last 40), '-', the SHA-256 of the whole URL in hex, ".git". Distinct URLs get distinct names
// (the readable part alone once let two URLs share a cache). Pure.
std::string cache_name(const std::string& url);

}  // namespace stackrun::agent
