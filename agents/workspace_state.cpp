#include "agents/workspace_state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_set>

namespace stackrun::agent {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHeader = "stackrun-workspace 1";

template <class Int>
bool to_int(std::string_view s, Int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// Splits off the text up to the next '\n' (which must exist).
bool next_line(std::string_view& text, std::string_view& line) {
  const std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  line = text.substr(0, nl);
  text.remove_prefix(nl + 1);
  return true;
}

// Splits off the text up to the next ' ' and parses it.
template <class Int>
bool next_int(std::string_view& line, Int& out) {
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos || !to_int(line.substr(0, sp), out)) return false;
  line.remove_prefix(sp + 1);
  return true;
}

FileStat figures(const struct stat& st) {
  FileStat f;
  f.mode = st.st_mode;
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.ino = static_cast<std::uint64_t>(st.st_ino);
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return f;
}

bool is_file_or_link(std::uint32_t mode) {
  return S_ISREG(mode) || S_ISLNK(mode);
}

// The walk of verify_tree over one directory (`fd` open on it; `prefix` is its path relative to
// the root with a trailing '/', or empty). Cost per entry: one fstatat and one map lookup, no
// allocation beyond the path; the walk is the part of a reused workspace's cost that grows with
// the tree (docs/performance.md).
class Walker {
 public:
  Walker(const std::string& root, const WorkspaceState& s) : root_(root), s_(s) {
    seen_.reserve(s.files.size());
  }

  Status walk(int fd, std::string& prefix) {
    DIR* d = ::fdopendir(fd);
    if (!d) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Status::fail("cannot read " + root_ + "/" + prefix + ": " + why);
    }
    // Names first: visit may remove entries, which readdir must not see half-way.
    std::string names;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view n = e->d_name;
      if (n != "." && n != "..") names.append(n).push_back('\0');
    }
    Status st = ok_status();
    for (std::size_t at = 0; at < names.size();) {
      const char* name = names.c_str() + at;
      const std::size_t len = std::strlen(name);
      st = visit(::dirfd(d), prefix, std::string_view(name, len));
      if (!st) break;
      at += len + 1;
    }
    ::closedir(d);
    return st;
  }

  Verified done() {
    if (seen_.size() != s_.files.size()) {
      std::unordered_set<const FileStat*> seen(seen_.begin(), seen_.end());
      for (const auto& [path, stat] : s_.files)
        if (!seen.count(&stat)) out_.altered.push_back(path);
    }
    out_.altered.insert(out_.altered.end(), altered_.begin(), altered_.end());
    std::sort(out_.altered.begin(), out_.altered.end());
    return std::move(out_);
  }

 private:
  // Whether some file of the state lies under directory `rel` + '/' (the map is sorted).
  bool holds_files(const std::string& dir_slash) const {
    const auto it = s_.files.lower_bound(dir_slash);
    return it != s_.files.end() && it->first.compare(0, dir_slash.size(), dir_slash) == 0;
  }

  Status visit(int dir_fd, std::string& prefix, std::string_view name) {
    const std::size_t keep = prefix.size();
    prefix.append(name);
    Status st = visit_at(dir_fd, prefix, name.data());
    prefix.resize(keep);
    return st;
  }

  Status visit_at(int dir_fd, std::string& rel, const char* name) {
    struct stat st {};
    if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return ok_status();
      return Status::fail("cannot inspect " + root_ + "/" + rel + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      rel.push_back('/');
      if (holds_files(rel)) {
        const int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
          return Status::fail("cannot open " + root_ + "/" + rel + ": " + std::strerror(errno));
        return walk(fd, rel);
      }
      rel.pop_back();
    }
    const auto known = s_.files.find(rel);
    if (known != s_.files.end()) {
      seen_.push_back(&known->second);
      if (figures(st) == known->second) return ok_status();
      altered_.push_back(rel);  // removed now, so the rewrite never writes through a job's link
    } else {
      ++out_.removed;
    }
    if (S_ISDIR(st.st_mode)) {
      std::error_code ec;
      fs::remove_all(fs::path(root_) / rel, ec);
      if (ec) return Status::fail("cannot remove " + root_ + "/" + rel + ": " + ec.message());
    } else if (::unlinkat(dir_fd, name, 0) != 0 && errno != ENOENT) {
      return Status::fail("cannot remove " + root_ + "/" + rel + ": " + std::strerror(errno));
    }
    return ok_status();
  }

  const std::string& root_;
  const WorkspaceState& s_;
  std::vector<const FileStat*> seen_;  // files of the state found (altered or not)
  std::vector<std::string> altered_;   // found, figures differ
  Verified out_;
};

}  // namespace

Result<std::string> format_state(const WorkspaceState& s) {
  std::string out(kHeader);
  out += "\ncommit " + s.commit + "\nfiles " + std::to_string(s.files.size()) + "\n";
  for (const auto& [path, f] : s.files) {
    if (path.find('\n') != std::string::npos)
      return Result<std::string>::fail("workspace state: a path holds a newline");
    out += std::to_string(f.mode) + ' ' + std::to_string(f.size) + ' ' + std::to_string(f.ino) +
           ' ' + std::to_string(f.mtime_ns) + ' ' + std::to_string(f.ctime_ns) + ' ' + path + '\n';
  }
  out += "end\n";
  return out;
}

Result<WorkspaceState> parse_state(std::string_view text) {
  using R = Result<WorkspaceState>;
  std::string_view line;
  if (!next_line(text, line) || line != kHeader) return R::fail("workspace state: bad header");
  WorkspaceState s;
  if (!next_line(text, line) || line.substr(0, 7) != "commit " || line.size() != 47)
    return R::fail("workspace state: bad commit line");
  s.commit = std::string(line.substr(7));
  std::size_t n = 0;
  if (!next_line(text, line) || line.substr(0, 6) != "files " || !to_int(line.substr(6), n))
    return R::fail("workspace state: bad files line");
  for (std::size_t i = 0; i < n; ++i) {
    FileStat f;
    if (!next_line(text, line) || !next_int(line, f.mode) || !next_int(line, f.size) ||
        !next_int(line, f.ino) || !next_int(line, f.mtime_ns) || !next_int(line, f.ctime_ns) ||
        line.empty()) {
      return R::fail("workspace state: bad file line " + std::to_string(i + 1));
    }
    s.files.emplace_hint(s.files.end(), std::string(line), f);  // written sorted
  }
  if (s.files.size() != n) return R::fail("workspace state: a path is listed twice");
  if (!next_line(text, line) || line != "end" || !text.empty())
    return R::fail("workspace state: truncated or trailing text");
  return s;
}

Result<WorkspaceState> read_state(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return Result<WorkspaceState>::fail("cannot read " + path);
  std::string text(static_cast<std::size_t>(f.tellg()), '\0');
  f.seekg(0);
  if (!f.read(text.data(), static_cast<std::streamsize>(text.size())))
    return Result<WorkspaceState>::fail("cannot read " + path);
  auto s = parse_state(text);
  if (!s) return Result<WorkspaceState>::fail(path + ": " + s.error());
  return s;
}

Status write_state(const std::string& path, const WorkspaceState& s) {
  auto text = format_state(s);
  if (!text) return Status::fail(path + ": " + text.error());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << *text;
    if (!f.flush()) return Status::fail("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::fail("cannot move " + tmp + " to " + path + ": " + ec.message());
  return ok_status();
}

Result<Verified> verify_tree(const std::string& dir, const WorkspaceState& s) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Result<Verified>::fail("cannot open " + dir + ": " + std::strerror(errno));
  Walker w(dir, s);
  std::string prefix;
  if (auto st = w.walk(fd, prefix); !st) return Error{st.error()};
  return w.done();
}

Status refresh_state(const std::string& dir, const std::vector<std::string>& paths,
                     WorkspaceState& s) {
  for (const std::string& p : paths) {
    const std::string full = dir + "/" + p;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR)
        return Status::fail("cannot inspect " + full + ": " + std::strerror(errno));
      s.files.erase(p);
    } else if (is_file_or_link(st.st_mode)) {
      s.files[p] = figures(st);
    } else {
      s.files.erase(p);  // a directory (a submodule's place): not a file the state tracks
    }
  }
  return ok_status();
}

}  // namespace stackrun::agent
