#pragma once
// FakeWorkspaceMaker: an agent::WorkspaceMaker that writes a commit's files, read through a
// git::RepoOpener (FakeRepo::opener in tests), into the workspace directory, and records every
// call. Thread-safe.
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agents/workspace.hpp"
#include "runner/git/repo.hpp"

namespace stackrun::testing {

class FakeWorkspaceMaker : public agent::WorkspaceMaker {
 public:
  struct Call {
    std::string repo_url, commit, dest;
  };

  explicit FakeWorkspaceMaker(git::RepoOpener opener) : opener_(std::move(opener)) {}

  // Errors of the opener and the repo pass through as they are.
  Status make(const std::string& repo_url, const std::string& commit,
              const std::string& dest) override;

  // Every later make() fails with `error` (after recording the call), writing nothing.
  void fail_with(std::string error);
  // Runs at the start of every make() (e.g. to check what the server was told by then).
  void on_make(std::function<void()> hook);
  std::vector<Call> calls() const;
  void idle() override;
  int idles() const;  // idle() calls so far

 private:
  git::RepoOpener opener_;
  std::mutex repo_mu_;  // serialises the opener and the repos it opens
  mutable std::mutex mu_;
  std::optional<std::string> error_;
  std::function<void()> hook_;
  std::vector<Call> calls_;
  int idles_ = 0;
};

}  // namespace stackrun::testing
