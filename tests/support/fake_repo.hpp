#pragma once
// FakeRepo: an in-memory git::Repo for tests of the code that reads repositories (run-input
// gathering, workspaces). Commits are added in order, each a full snapshot of files with one
// parent; revisions are the 40-hex ids it makes up, "<id>^", branch names and "HEAD". It
// records every read_file call, so a test can prove a file was never read.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runner/git/repo.hpp"

namespace stackrun::testing {

class FakeRepo : public git::Repo {
 public:
  using Files = std::map<std::string, std::string>;  // path -> content

  // Adds a commit whose tree is `files` on `branch` (parent: the branch's previous tip).
  // Returns its id.
  std::string commit(const Files& files, const std::string& message = "change",
                     const std::string& branch = "master");

  Result<std::string> resolve(std::string_view rev) const override;
  Result<std::string> read_file(std::string_view commit, std::string_view path) const override;
  Result<std::uint64_t> file_size(std::string_view commit, std::string_view path) const override;
  Result<std::vector<std::string>> list_files(std::string_view commit) const override;
  Result<std::vector<git::ChangedPath>> diff(std::string_view from,
                                             std::string_view to) const override;
  Result<git::CommitInfo> commit_info(std::string_view commit) const override;

  // Every path read_file was asked for, in order.
  const std::vector<std::string>& reads() const { return *reads_; }

  // An opener that hands out views of this repo for `url` and fails for anything else, as
  // git::open_repo would ("cannot open git repository <url>: ..."). The repo must outlive it.
  git::RepoOpener opener(const std::string& url) const;

 private:
  struct Commit {
    std::string id, parent, message;
    Files files;
  };
  const Commit* find(std::string_view rev) const;
  Result<const Commit*> lookup(std::string_view rev) const;

  std::vector<Commit> commits_;
  std::map<std::string, std::string> branches_;
  std::shared_ptr<std::vector<std::string>> reads_ = std::make_shared<std::vector<std::string>>();
};

}  // namespace stackrun::testing
