#include "agents/workspace.hpp"

#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "agents/saved_plan.hpp"
#include "runner/git/repo.hpp"

namespace stackrun::agent {

std::string cache_name(const std::string& url) {
  std::string s;
  for (char c : url) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (s.size() > 40) s = s.substr(s.size() - 40);
  return s + "-" + sha256_hex(url) + ".git";
}

Status GitWorkspaceMaker::make(const std::string& repo_url, const std::string& commit,
                               const std::string& dest) {
  const std::string cache = (std::filesystem::path(cache_dir_) / cache_name(repo_url)).string();
  const git::Credentials none;
  const git::Credentials& creds = git::is_remote_url(repo_url) ? credentials_ : none;
  if (Status fetched = git::ensure_commit(repo_url, cache, commit, creds); !fetched) return fetched;
  return git::checkout_commit(cache, commit, dest);
}

}  // namespace stackrun::agent
