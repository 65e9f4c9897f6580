#include "runner/server/repo_fetch.hpp"

#include <cctype>

#include "runner/git/mirror.hpp"

namespace stackrun::server {
namespace {

// A full commit id (SHA-1 or SHA-256): what a webhook's `after` is.
bool is_full_commit_id(const std::string& rev) {
  if (rev.size() != 40 && rev.size() != 64) return false;
  for (char c : rev)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::string mirror_name(store::Id id, const std::string& repo_name) {
  std::string name = std::to_string(id) + "-";
  for (char c : repo_name) name += c == '/' ? '_' : c;
  return name;
}

Result<std::string> local_copy(const RepoFetch& fetch, const store::RepoRow& repo,
                               const std::string& rev) {
  if (fetch.mirrors_dir.empty() || !git::is_remote_url(repo.url)) return repo.url;
  git::MirrorSpec spec{mirror_name(repo.id, repo.name), repo.url,
                       fetch.credentials ? fetch.credentials(repo.name) : git::Credentials{},
                       fetch.mirrors_dir};
  const std::string from = "repo " + repo.name + ": ";
  std::string path, what;
  if (is_full_commit_id(rev)) {
    auto got = git::fetch_into_mirror(spec, rev);
    if (!got) return Error{from + got.error()};
    if (!got->fetched) return got->path;  // already there: the forge was not asked
    path = got->path;
    what = "commit " + rev.substr(0, 12);
  } else {
    auto got = git::refresh_mirror(spec);
    if (!got) return Error{from + got.error()};
    path = *got;
    what = "every branch and tag";
  }
  if (fetch.log) {
    fetch.log(from + "fetched " + what + " from " + git::redact_url(repo.url) + " into " + path +
              " (credentials: " + spec.credentials.describe() + ")");
  }
  return path;
}

}  // namespace stackrun::server
