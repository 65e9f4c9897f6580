#include "tests/support/fake_workspace_maker.hpp"

#include <filesystem>

#include "tests/support/temp_dir.hpp"

namespace stackrun::testing {

Status FakeWorkspaceMaker::make(const std::string& repo_url, const std::string& commit,
                                const std::string& dest) {
  std::function<void()> hook;
  std::optional<std::string> error;
  {
    std::lock_guard lk(mu_);
    calls_.push_back({repo_url, commit, dest});
    hook = hook_;
    error = error_;
  }
  if (hook) hook();
  if (error) return Error{*error};
  // FakeRepo is not thread-safe (it records reads): one make() at a time reads it.
  std::lock_guard repo_lock(repo_mu_);
  auto repo = opener_(repo_url);
  if (!repo) return Error{repo.error()};
  auto files = (*repo)->list_files(commit);
  if (!files) return Error{files.error()};
  std::filesystem::create_directories(dest);
  for (const auto& path : *files) {
    auto content = (*repo)->read_file(commit, path);
    if (!content) return Error{content.error()};
    write_file(std::filesystem::path(dest) / path, *content);
  }
  return ok_status();
}

void FakeWorkspaceMaker::fail_with(std::string error) {
  std::lock_guard lk(mu_);
  error_ = std::move(error);
}

void FakeWorkspaceMaker::on_make(std::function<void()> hook) {
  std::lock_guard lk(mu_);
  hook_ = std::move(hook);
}

std::vector<FakeWorkspaceMaker::Call> FakeWorkspaceMaker::calls() const {
  std::lock_guard lk(mu_);
  return calls_;
}

void FakeWorkspaceMaker::idle() {
  std::lock_guard lk(mu_);
  ++idles_;
}

int FakeWorkspaceMaker::idles() const {
  std::lock_guard lk(mu_);
  return idles_;
}

}  // namespace stackrun::testing
