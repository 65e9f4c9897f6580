#include "agents/workspace.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "runner/git/repo.hpp"

namespace stackrun::agent {

namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_Digest(sha256) failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

}  // namespace

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
