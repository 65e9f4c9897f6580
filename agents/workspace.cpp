#include "agents/workspace.hpp"

#include <cctype>
#include <filesystem>

#include "runner/git/repo.hpp"

namespace stackrun::agent {

std::string cache_name(const std::string& url) {
  std::string s;
  for (char c : url) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (s.size() > 80) s = s.substr(s.size() - 80);
  return s + ".git";
}

Status GitWorkspaceMaker::make(const std::string& repo_url, const std::string& commit,
                               const std::string& dest) {
  const std::string cache = (std::filesystem::path(cache_dir_) / cache_name(repo_url)).string();
  if (Status fetched = git::ensure_commit(repo_url, cache, commit); !fetched) return fetched;
  return git::checkout_commit(cache, commit, dest);
}

}  // namespace stackrun::agent
