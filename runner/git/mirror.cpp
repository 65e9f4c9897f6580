#include "runner/git/mirror.hpp"

#include <cctype>
#include <filesystem>

#include "runner/git/repo.hpp"

namespace stackrun::git {
namespace {

bool safe_name(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

// The full id of `commit` in the mirror at `path`, if it is there; no network.
Result<std::string> resolve_in(const std::string& path, const std::string& commit) {
  auto repo = open_repo(path);
  if (!repo) return Error{repo.error()};
  return (*repo)->resolve(commit);
}

}  // namespace

Result<std::string> mirror_path(const std::string& mirrors_dir, const std::string& name) {
  if (!safe_name(name)) {
    return Result<std::string>::fail("repo name \"" + name +
                                     "\" cannot name a mirror: use letters, digits, '.', '_' and "
                                     "'-', not starting with '.'");
  }
  return (std::filesystem::path(mirrors_dir) / (name + ".git")).string();
}

Result<MirrorCommit> fetch_into_mirror(const MirrorSpec& spec, const std::string& commit) {
  auto path = mirror_path(spec.mirrors_dir, spec.name);
  if (!path) return Error{path.error()};
  // Checked before the fast path too: a secret in the URL is refused even when no fetch runs.
  if (Status s = check_url_has_no_secret(spec.url); !s) return Error{s.error()};
  MirrorCommit out{*path, "", false};
  std::error_code ec;
  // Why look first: a delivery of a commit already fetched (the mirror forge's copy of a push,
  // a redelivery) must not cost a round trip to the forge.
  if (std::filesystem::exists(out.path, ec)) {
    if (auto sha = resolve_in(out.path, commit); sha && sha->rfind(commit, 0) == 0) {
      out.commit = *sha;
      return out;
    }
  }
  if (Status s = ensure_commit(spec.url, out.path, commit, spec.credentials); !s)
    return Error{s.error()};
  auto sha = resolve_in(out.path, commit);
  if (!sha) return Error{sha.error()};
  out.commit = *sha;
  out.fetched = true;
  return out;
}

Result<std::string> refresh_mirror(const MirrorSpec& spec) {
  auto path = mirror_path(spec.mirrors_dir, spec.name);
  if (!path) return Error{path.error()};
  if (Status s = fetch_all_refs(spec.url, *path, spec.credentials); !s) return Error{s.error()};
  return *path;
}

}  // namespace stackrun::git
