#include "agents/workspace.hpp"

#include <cctype>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "agents/saved_plan.hpp"
#include "agents/workspace_state.hpp"
#include "runner/git/repo.hpp"

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;

std::string state_of(const std::string& tree) {
  return tree + ".state";
}

}  // namespace

void GitWorkspaceMaker::remove_tree(const std::string& tree) {
  if (const auto id = tree_id(tree)) {
    journal_.forget(*id);  // before the inode can be reused
    std::lock_guard lk(journal_mu_);
    journaled_.erase(*id);
  }
  std::error_code ec;
  fs::remove_all(tree, ec);
  fs::remove(state_of(tree), ec);
}

void WorkspaceMaker::release(const std::string& /*repo_url*/, const std::string& dest) {
  std::error_code ec;
  fs::remove_all(dest, ec);
}

std::string cache_name(const std::string& url) {
  std::string s;
  for (char c : url) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (s.size() > 40) s = s.substr(s.size() - 40);
  return s + "-" + sha256_hex(url) + ".git";
}

GitWorkspaceMaker::GitWorkspaceMaker(std::string cache_dir, git::Credentials credentials,
                                     std::string workspaces_dir)
    : cache_dir_(std::move(cache_dir)),
      workspaces_dir_(std::move(workspaces_dir)),
      credentials_(std::move(credentials)) {
  if (workspaces_dir_.empty())
    workspaces_dir_ = (fs::path(cache_dir_).parent_path() / "workspaces").string();
}

std::string GitWorkspaceMaker::cache_of(const std::string& url) const {
  return (fs::path(cache_dir_) / cache_name(url)).string();
}

std::string GitWorkspaceMaker::parked_dir(const std::string& url) const {
  std::string name = cache_name(url);
  name.resize(name.size() - 4);  // without ".git"
  return (fs::path(workspaces_dir_) / name).string();
}

WorkspaceCounts GitWorkspaceMaker::counts() const {
  std::lock_guard lk(mu_);
  return counts_;
}

Status GitWorkspaceMaker::make(const std::string& repo_url, const std::string& commit,
                               const std::string& dest) {
  const std::string cache = cache_of(repo_url);
  const git::Credentials none;
  const git::Credentials& creds = git::is_remote_url(repo_url) ? credentials_ : none;
  if (Status fetched = git::ensure_commit(repo_url, cache, commit, creds); !fetched) return fetched;
  std::error_code ec;
  fs::remove(state_of(dest), ec);  // a leftover of an earlier try at this path
  if (take_parked(repo_url, dest)) {
    if (update(cache, commit, dest)) return ok_status();
    remove_tree(dest);  // not trusted any more: written afresh below
  }
  return rebuild(cache, commit, dest);
}

// Moves one parked tree of `url` to `dest` (with its state), under the lock so that two slots
// never take the same one. Parked trees without a state (a crash between the two renames of
// release) are removed on the way.
bool GitWorkspaceMaker::take_parked(const std::string& url, const std::string& dest) {
  const std::string dir = parked_dir(url);
  std::lock_guard lk(mu_);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string tree = e.path().string();
    if (e.path().extension() == ".state" || e.path().extension() == ".tmp") continue;
    if (!fs::exists(state_of(tree), ec)) {
      remove_tree(tree);
      continue;
    }
    fs::create_directories(fs::path(dest).parent_path(), ec);
    fs::rename(tree, dest, ec);
    if (ec) continue;
    fs::rename(state_of(tree), state_of(dest), ec);
    if (ec) {
      remove_tree(dest);
      continue;
    }
    return true;
  }
  return false;
}

// The journal's way when it vouches for the tree (the cost follows what the last job touched
// and what the commits change), else the walk's.
Status GitWorkspaceMaker::update(const std::string& cache, const std::string& commit,
                                 const std::string& dest) {
  const auto id = tree_id(dest);
  std::string from;
  if (id) {
    std::lock_guard lk(journal_mu_);
    if (const auto it = journaled_.find(*id); it != journaled_.end()) from = it->second;
  }
  const auto changed = from.empty() ? std::nullopt : journal_.changes(*id);
  if (!changed) return walk_and_update(cache, commit, dest);
  // Every reported path is removed and, when the commit has it, written again: a job's file,
  // an edit, a link put in place of a file, a git directory a step made all end the same way.
  auto touched = git::update_checkout(cache, from, commit, dest, *changed);
  if (!touched) return Error{touched.error()};
  const bool vouched = journal_.settle(*id, dest, WorkspaceJournal::parents_of(*touched));
  {
    std::lock_guard lk(journal_mu_);
    if (vouched) {
      journaled_[*id] = commit;
    } else {
      journaled_.erase(*id);
    }
  }
  // The state file keeps the figures of an older write; a walk against it stays correct (a
  // file written since has other figures and is rewritten), so it is not rewritten per job.
  std::lock_guard lk(mu_);
  ++counts_.reused;
  ++counts_.journaled;
  counts_.written += touched->size();
  counts_.reported += changed->size();
  return ok_status();
}

Status GitWorkspaceMaker::walk_and_update(const std::string& cache, const std::string& commit,
                                          const std::string& dest) {
  auto state = read_state(state_of(dest));
  if (!state) return Error{state.error()};
  auto verified = verify_tree(dest, *state);
  if (!verified) return Error{verified.error()};
  auto touched = git::update_checkout(cache, state->commit, commit, dest, verified->altered);
  if (!touched) return Error{touched.error()};
  if (auto s = refresh_state(dest, *touched, *state); !s) return s;
  state->commit = commit;
  if (auto s = write_state(state_of(dest), *state); !s) return s;
  std::vector<std::string> files;
  files.reserve(state->files.size());
  for (const auto& [path, stat] : state->files) files.push_back(path);
  watch(dest, commit, files);
  std::lock_guard lk(mu_);
  ++counts_.reused;
  counts_.written += touched->size();
  counts_.removed += verified->removed;
  return ok_status();
}

// Starts the journal on a tree that is exactly `commit` with `files`.
void GitWorkspaceMaker::watch(const std::string& dest, const std::string& commit,
                              const std::vector<std::string>& files) {
  const auto id = tree_id(dest);
  if (!id) return;
  const bool vouched = journal_.start(*id, dest, WorkspaceJournal::parents_of(files));
  std::lock_guard lk(journal_mu_);
  if (vouched) {
    journaled_[*id] = commit;
  } else {
    journaled_.erase(*id);
  }
}

Status GitWorkspaceMaker::rebuild(const std::string& cache, const std::string& commit,
                                  const std::string& dest) {
  std::error_code ec;
  if (fs::exists(dest, ec) && !fs::is_empty(dest, ec)) {
    return Status::fail("cannot check out into " + dest +
                        ": it exists and is not an empty directory");
  }
  auto written = git::update_checkout(cache, std::nullopt, commit, dest, {});
  if (!written) return Error{written.error()};
  WorkspaceState state{commit, {}};
  // A state that cannot be written only costs the reuse: release removes the tree.
  if (refresh_state(dest, *written, state) && write_state(state_of(dest), state))
    watch(dest, commit, *written);
  std::lock_guard lk(mu_);
  ++counts_.rebuilt;
  counts_.written += written->size();
  return ok_status();
}

void GitWorkspaceMaker::idle() {
  git::close_kept_repos();
}

void GitWorkspaceMaker::release(const std::string& repo_url, const std::string& dest) {
  std::error_code ec;
  if (!fs::exists(state_of(dest), ec)) return remove_tree(dest);
  const std::string dir = parked_dir(repo_url);
  const std::string parked = (fs::path(dir) / fs::path(dest).filename()).string();
  std::lock_guard lk(mu_);
  fs::create_directories(dir, ec);
  std::size_t count = 0;
  for (const auto& e : fs::directory_iterator(dir, ec))
    count += e.path().extension() != ".state" ? 1 : 0;
  if (ec || count >= kMaxParked) return remove_tree(dest);
  remove_tree(parked);
  // Tree first, state second: a crash in between leaves a tree without state, never trusted.
  fs::rename(dest, parked, ec);
  if (ec) return remove_tree(dest);
  fs::rename(state_of(dest), state_of(parked), ec);
  if (ec) remove_tree(parked);
}

}  // namespace stackrun::agent
