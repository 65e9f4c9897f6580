// Pure helpers over a diff's paths (repo.hpp): no libgit2 here.
#include <algorithm>

#include "runner/git/repo.hpp"

namespace stackrun::git {

std::vector<std::string> touched_paths(const std::vector<ChangedPath>& diff) {
  std::vector<std::string> out;
  for (const auto& c : diff) {
    out.push_back(c.path);
    if (c.old_path != c.path) out.push_back(c.old_path);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> files_before(std::vector<std::string> files_to,
                                      const std::vector<ChangedPath>& diff) {
  // Undo the diff: what its new side added to the tree goes, what its old side held comes
  // back. A modification removes and restores the same path; a rename moves it back; a side
  // that is a submodule (or absent) was never listed. Edited in place: a diff touches a few
  // paths of 20,000, and a second 20,000-path vector costs more in page faults than the rest.
  std::vector<std::string> back;
  std::vector<std::size_t> drop;
  for (const auto& c : diff) {
    if (c.old_is_file) back.push_back(c.old_path);
    if (!c.new_is_file) continue;
    const auto it = std::lower_bound(files_to.begin(), files_to.end(), c.path);
    if (it != files_to.end() && *it == c.path)
      drop.push_back(static_cast<std::size_t>(it - files_to.begin()));
  }
  std::sort(drop.begin(), drop.end());
  drop.erase(std::unique(drop.begin(), drop.end()), drop.end());
  if (!drop.empty()) {
    std::size_t w = drop.front(), d = 0;
    for (std::size_t i = drop.front(); i < files_to.size(); ++i) {
      if (d < drop.size() && drop[d] == i) {
        ++d;
        continue;
      }
      files_to[w++] = std::move(files_to[i]);
    }
    files_to.resize(w);
  }
  std::sort(back.begin(), back.end());
  back.erase(std::unique(back.begin(), back.end()), back.end());
  // Merged from the end, so each kept path moves at most once.
  std::size_t i = files_to.size(), j = back.size(), w = files_to.size() + back.size();
  files_to.resize(w);
  while (j > 0) {
    if (i > 0 && back[j - 1] < files_to[i - 1])
      files_to[--w] = std::move(files_to[--i]);
    else
      files_to[--w] = std::move(back[--j]);
  }
  return files_to;
}

}  // namespace stackrun::git
