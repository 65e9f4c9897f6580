#include "runner/proc/proc_table.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <string>

namespace stackrun::proc {
namespace {

template <class Int>
bool to_int(std::string_view s, Int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// The file's first 1 KiB: a stat line is shorter.
std::optional<std::string> read_stat(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) < 0 && errno == EINTR) {
  }
  ::close(fd);
  if (n <= 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::optional<ProcEntry> parse_proc_stat(std::string_view line) {
  ProcEntry e;
  const std::size_t open = line.find(" (");
  const std::size_t close = line.rfind(") ");
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  if (!to_int(line.substr(0, open), e.pid)) return std::nullopt;
  // Fields 3.. after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime ...
  std::string_view rest = line.substr(close + 2);
  std::string_view fields[20];
  std::size_t count = 0;
  while (count < 20 && !rest.empty()) {
    const std::size_t sp = rest.find(' ');
    fields[count++] = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  }
  if (count < 20 || fields[0].size() != 1) return std::nullopt;
  e.state = fields[0][0];
  std::string_view start = fields[19];
  while (!start.empty() && !std::isdigit(static_cast<unsigned char>(start.back())))
    start.remove_suffix(1);  // a trailing newline when it is the last field
  if (!to_int(fields[1], e.ppid) || !to_int(fields[2], e.pgrp) || !to_int(fields[3], e.session) ||
      !to_int(start, e.start_time))
    return std::nullopt;
  return e;
}

std::optional<ProcEntry> read_process(pid_t pid) {
  auto text = read_stat(pid);
  if (!text) return std::nullopt;
  return parse_proc_stat(*text);
}

std::vector<ProcEntry> list_processes() {
  std::vector<ProcEntry> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* d = ::readdir(dir)) {
    pid_t pid = 0;
    if (!to_int(std::string_view(d->d_name), pid)) continue;
    if (auto e = read_process(pid)) out.push_back(*e);
  }
  ::closedir(dir);
  return out;
}

std::optional<std::vector<pid_t>> own_children() {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return std::nullopt;
  std::vector<pid_t> out;
  bool readable = true;
  while (const dirent* d = ::readdir(tasks)) {
    pid_t tid = 0;
    if (!to_int(std::string_view(d->d_name), tid)) continue;
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/children";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT &&
          ::access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK) != 0)
        continue;  // the thread ended meanwhile
      readable = false;
      break;
    }
    std::string text;
    char buf[4096];
    for (;;) {  // bounded by the file: "pid pid ... "
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        readable = readable && n == 0;
        break;
      }
      text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    std::string_view rest(text);
    while (!rest.empty()) {
      const std::size_t sp = rest.find(' ');
      pid_t pid = 0;
      if (to_int(rest.substr(0, sp), pid)) out.push_back(pid);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
  }
  ::closedir(tasks);
  if (!readable) return std::nullopt;
  return out;
}

}  // namespace stackrun::proc
