#include "runner/proc/step_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>
#include <vector>

namespace stackrun::proc {
namespace {

constexpr std::string_view kLaunchVersion = "stackrun-launch 2";
constexpr std::string_view kRecordVersion = "stackrun-supervisor 1";
constexpr std::string_view kStatusVersion = "stackrun-step-status 1";

std::string errno_text(int err) {
  return std::error_code(err, std::system_category()).message();
}

template <class Int>
bool to_int(std::string_view s, Int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// Reads the NUL-terminated fields of a launch file in order.
class Fields {
 public:
  explicit Fields(std::string_view text) : text_(text) {}
  bool next(std::string_view& out) {
    const std::size_t nul = text_.find('\0', pos_);
    if (nul == std::string_view::npos) return false;
    out = text_.substr(pos_, nul - pos_);
    pos_ = nul + 1;
    return true;
  }
  // The next field, which must be `key`, then its value.
  bool keyed(std::string_view key, std::string_view& value) {
    std::string_view k;
    return next(k) && k == key && next(value);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

void put(std::string& out, std::string_view field) {
  out.append(field);
  out.push_back('\0');
}

// "key value" lines after a version line: the value of `key` (rest of its line), if present.
bool line_value(std::string_view text, std::string_view key, std::string_view& value) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ') {
      value = line.substr(key.size() + 1);
      return true;
    }
    pos = end + 1;
  }
  return false;
}

bool starts_with_line(std::string_view text, std::string_view version) {
  return text.substr(0, version.size()) == version && text.size() > version.size() &&
         text[version.size()] == '\n';
}

template <class Int>
bool keyed_int(std::string_view text, std::string_view key, Int& out) {
  std::string_view v;
  return line_value(text, key, v) && to_int(v, out);
}

}  // namespace

std::string encode_launch_file(const LaunchFile& f) {
  std::string out;
  put(out, kLaunchVersion);
  put(out, "spool");
  put(out, f.spool);
  put(out, "search_path");
  put(out, f.search_path);
  put(out, "cwd");
  put(out, f.launch.cwd);
  put(out, "timeout_ms");
  put(out, std::to_string(f.launch.timeout.count()));
  put(out, "grace_ms");
  put(out, std::to_string(f.launch.grace.count()));
  put(out, "argv");
  put(out, std::to_string(f.launch.argv.size()));
  for (const auto& a : f.launch.argv) put(out, a);
  put(out, "env");
  put(out, std::to_string(f.launch.env.size()));
  for (const auto& [k, v] : f.launch.env) {
    put(out, k);
    put(out, v);
  }
  put(out, "mask");
  put(out, std::to_string(f.launch.mask.size()));
  for (const auto& m : f.launch.mask) put(out, m);
  return out;
}

Result<LaunchFile> decode_launch_file(std::string_view text) {
  Fields in(text);
  std::string_view v, n;
  if (!in.next(v) || v != kLaunchVersion)
    return Error{"launch file: not \"" + std::string(kLaunchVersion) + "\""};
  LaunchFile f;
  long long timeout = 0, grace = 0;
  std::size_t argc = 0, envc = 0;
  if (!in.keyed("spool", v)) return Error{"launch file: no spool"};
  f.spool = std::string(v);
  if (!in.keyed("search_path", v)) return Error{"launch file: no search_path"};
  f.search_path = std::string(v);
  if (!in.keyed("cwd", v)) return Error{"launch file: no cwd"};
  f.launch.cwd = std::string(v);
  if (!in.keyed("timeout_ms", v) || !to_int(v, timeout))
    return Error{"launch file: bad timeout_ms"};
  if (!in.keyed("grace_ms", v) || !to_int(v, grace)) return Error{"launch file: bad grace_ms"};
  f.launch.timeout = core::Duration(timeout);
  f.launch.grace = core::Duration(grace);
  if (!in.keyed("argv", n) || !to_int(n, argc)) return Error{"launch file: bad argv count"};
  for (std::size_t i = 0; i < argc; ++i) {
    if (!in.next(v)) return Error{"launch file: truncated argv"};
    f.launch.argv.emplace_back(v);
  }
  if (!in.keyed("env", n) || !to_int(n, envc)) return Error{"launch file: bad env count"};
  for (std::size_t i = 0; i < envc; ++i) {
    std::string_view k;
    if (!in.next(k) || !in.next(v)) return Error{"launch file: truncated env"};
    f.launch.env.emplace_back(std::string(k), std::string(v));
  }
  std::size_t maskc = 0;
  if (!in.keyed("mask", n) || !to_int(n, maskc)) return Error{"launch file: bad mask count"};
  for (std::size_t i = 0; i < maskc; ++i) {
    if (!in.next(v)) return Error{"launch file: truncated mask"};
    f.launch.mask.emplace_back(v);
  }
  return f;
}

std::string encode_supervisor_record(const SupervisorRecord& r) {
  return std::string(kRecordVersion) + "\npid " + std::to_string(r.pid) + "\nstart_time " +
         std::to_string(r.start_time) + "\nstep_pid " + std::to_string(r.step_pid) + "\n";
}

Result<SupervisorRecord> decode_supervisor_record(std::string_view text) {
  if (!starts_with_line(text, kRecordVersion))
    return Error{"supervisor record: not \"" + std::string(kRecordVersion) + "\""};
  SupervisorRecord r;
  if (!keyed_int(text, "pid", r.pid) || !keyed_int(text, "start_time", r.start_time) ||
      !keyed_int(text, "step_pid", r.step_pid) || r.pid <= 0)
    return Error{"supervisor record: missing or bad pid, start_time or step_pid"};
  return r;
}

std::string encode_step_status(const StepStatus& s) {
  std::string out = std::string(kStatusVersion) + "\nexit_code " +
                    std::to_string(s.exit.exit_code) + "\nsignal " + std::to_string(s.exit.signal) +
                    "\ntimed_out " + (s.exit.timed_out ? "1" : "0") + "\nstopped " +
                    (s.exit.stopped ? "1" : "0") + "\n";
  if (!s.error.empty()) {
    std::string line = s.error;  // one line: the error is a message, never output
    for (char& c : line)
      if (c == '\n' || c == '\r') c = ' ';
    out += "error " + line + "\n";
  }
  return out;
}

Result<StepStatus> decode_step_status(std::string_view text) {
  if (!starts_with_line(text, kStatusVersion))
    return Error{"step status: not \"" + std::string(kStatusVersion) + "\""};
  StepStatus s;
  int timed_out = 0, stopped = 0;
  if (!keyed_int(text, "exit_code", s.exit.exit_code) ||
      !keyed_int(text, "signal", s.exit.signal) || !keyed_int(text, "timed_out", timed_out) ||
      !keyed_int(text, "stopped", stopped))
    return Error{"step status: missing or bad exit_code, signal, timed_out or stopped"};
  s.exit.timed_out = timed_out != 0;
  s.exit.stopped = stopped != 0;
  std::string_view error;
  if (line_value(text, "error", error)) s.error = std::string(error);
  return s;
}

Status write_file_atomically(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"cannot write " + tmp + ": " + errno_text(errno)};
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{"cannot write " + tmp + ": " + errno_text(err)};
    }
    done += static_cast<std::size_t>(n);
  }
  // Why no fsync: these files must survive the agent's death, not the machine's; the page
  // cache outlives a killed process, and a rebooted machine has no running step to find.
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{"cannot rename " + tmp + ": " + errno_text(err)};
  }
  return ok_status();
}

Result<std::string> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot read " + path + ": " + errno_text(errno)};
  std::string out;
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error{"cannot read " + path + ": " + errno_text(err)};
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace stackrun::proc
