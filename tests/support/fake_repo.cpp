#include "tests/support/fake_repo.hpp"

#include <cstdio>

namespace stackrun::testing {

std::string FakeRepo::commit(const Files& files, const std::string& message,
                             const std::string& branch) {
  char id[41];
  std::snprintf(id, sizeof id, "%040zx", commits_.size() + 1);
  const auto tip = branches_.find(branch);
  commits_.push_back({id, tip == branches_.end() ? "" : tip->second, message, files});
  branches_[branch] = id;
  return id;
}

const FakeRepo::Commit* FakeRepo::find(std::string_view rev) const {
  std::string r(rev);
  bool parent = false;
  if (r.ends_with("^")) {
    parent = true;
    r.pop_back();
  }
  if (r == "HEAD") r = "master";
  if (r.rfind("refs/heads/", 0) == 0) r = r.substr(11);
  if (auto b = branches_.find(r); b != branches_.end()) r = b->second;
  for (const auto& c : commits_) {
    if (c.id != r) continue;
    if (!parent) return &c;
    return c.parent.empty() ? nullptr : find(c.parent);
  }
  return nullptr;
}

Result<const FakeRepo::Commit*> FakeRepo::lookup(std::string_view rev) const {
  if (const Commit* c = find(rev)) return c;
  return Error{"fake: cannot resolve revision \"" + std::string(rev) + "\""};
}

Result<std::string> FakeRepo::resolve(std::string_view rev) const {
  auto c = lookup(rev);
  if (!c) return Error{c.error()};
  return (*c)->id;
}

Result<std::string> FakeRepo::read_file(std::string_view commit, std::string_view path) const {
  reads_->push_back(std::string(path));
  auto c = lookup(commit);
  if (!c) return Error{c.error()};
  auto it = (*c)->files.find(std::string(path));
  if (it == (*c)->files.end()) return Error{"fake: no file \"" + std::string(path) + "\""};
  return it->second;
}

Result<std::uint64_t> FakeRepo::file_size(std::string_view commit, std::string_view path) const {
  auto c = lookup(commit);
  if (!c) return Error{c.error()};
  auto it = (*c)->files.find(std::string(path));
  if (it == (*c)->files.end()) return Error{"fake: no file \"" + std::string(path) + "\""};
  return static_cast<std::uint64_t>(it->second.size());
}

Result<std::vector<std::string>> FakeRepo::list_files(std::string_view commit) const {
  auto c = lookup(commit);
  if (!c) return Error{c.error()};
  std::vector<std::string> out;
  for (const auto& [path, content] : (*c)->files) out.push_back(path);
  return out;
}

Result<std::vector<git::ChangedPath>> FakeRepo::diff(std::string_view from,
                                                     std::string_view to) const {
  auto a = lookup(from);
  if (!a) return Error{a.error()};
  auto b = lookup(to);
  if (!b) return Error{b.error()};
  std::vector<git::ChangedPath> out;
  for (const auto& [path, content] : (*b)->files) {
    auto old = (*a)->files.find(path);
    if (old == (*a)->files.end())
      out.push_back({git::ChangedPath::Kind::added, path, path});
    else if (old->second != content)
      out.push_back({git::ChangedPath::Kind::modified, path, path});
  }
  for (const auto& [path, content] : (*a)->files)
    if (!(*b)->files.count(path)) out.push_back({git::ChangedPath::Kind::deleted, path, path});
  return out;
}

Result<git::CommitInfo> FakeRepo::commit_info(std::string_view commit) const {
  auto c = lookup(commit);
  if (!c) return Error{c.error()};
  return git::CommitInfo{(*c)->id, (*c)->message, "Test <test@example.com>", 0};
}

namespace {

// A non-owning view: many openers may hand out the same repo, as open_repo would reopen it.
class View : public git::Repo {
 public:
  explicit View(const FakeRepo& r) : r_(r) {}
  Result<std::string> resolve(std::string_view rev) const override { return r_.resolve(rev); }
  Result<std::string> read_file(std::string_view c, std::string_view p) const override {
    return r_.read_file(c, p);
  }
  Result<std::uint64_t> file_size(std::string_view c, std::string_view p) const override {
    return r_.file_size(c, p);
  }
  Result<std::vector<std::string>> list_files(std::string_view c) const override {
    return r_.list_files(c);
  }
  Result<std::vector<git::ChangedPath>> diff(std::string_view a,
                                             std::string_view b) const override {
    return r_.diff(a, b);
  }
  Result<git::CommitInfo> commit_info(std::string_view c) const override {
    return r_.commit_info(c);
  }

 private:
  const FakeRepo& r_;
};

}  // namespace

git::RepoOpener FakeRepo::opener(const std::string& url) const {
  return [this, url](const std::string& path) -> Result<std::unique_ptr<git::Repo>> {
    if (path != url)
      return Error{"cannot open git repository " + path + ": fake knows only " + url};
    return std::unique_ptr<git::Repo>(std::make_unique<View>(*this));
  };
}

}  // namespace stackrun::testing
