#include "agents/secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "runner/core/mask.hpp"

namespace stackrun::agent {
namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

// "secret "pg_password" (PGPASSWORD in step "apply")": names are validated by the loader
// ([A-Za-z_][A-Za-z0-9_]*), so they need no escaping.
std::string describe(const pipelines::SecretRef& r, const pipelines::Step& step) {
  return "secret " + quoted(r.name) + " (" + r.env + " in step " + quoted(step.name) + ")";
}

std::string strip_one_newline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

// The value of one secret, or nullopt when no source has it.
Result<std::optional<std::string>> lookup(const std::string& name, const SecretSources& sources,
                                          const ReadSecretFile& read) {
  if (auto v = proc::find_env(sources.env, std::string(proc::kSecretPrefix) + name))
    return std::optional<std::string>(*v);
  if (sources.dir.empty()) return std::optional<std::string>();
  auto file = read(sources.dir + "/" + name);
  if (!file) return file;
  if (!*file) return std::optional<std::string>();
  return std::optional<std::string>(strip_one_newline(std::move(**file)));
}

std::string not_set(const pipelines::SecretRef& r, const pipelines::Step& step,
                    const std::string& dir) {
  const std::string where = dir.empty()
                                ? "start the agent with --secrets-dir DIR holding a file " + r.name
                                : "write it to " + dir + "/" + r.name;
  return describe(r, step) + " is not set: set " + std::string(proc::kSecretPrefix) + r.name +
         " in the agent's environment or " + where;
}

}  // namespace

proc::EnvList secret_variables(const proc::EnvList& env) {
  proc::EnvList out;
  for (const auto& kv : env)
    if (kv.first.rfind(proc::kSecretPrefix, 0) == 0) out.push_back(kv);
  return out;
}

Result<std::optional<std::string>> read_secret_file(const std::string& path) {
  // Why O_NONBLOCK: opening a FIFO planted in the secrets dir must not hang the slot; the
  // fstat below then refuses anything but a regular file. Symlinks are followed on purpose:
  // Kubernetes secret volumes are made of them.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Error{path + ": cannot read: " + std::strerror(errno)};
  }
  struct stat st {};
  std::string out;
  std::string error;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
  } else if (static_cast<std::size_t>(st.st_size) > kMaxSecretBytes + 2) {  // + "\r\n"
    error = path + ": larger than " + std::to_string(kMaxSecretBytes / 1024) + " KiB";
  } else {
    char buf[4096];
    for (;;) {  // bounded: the size was checked, and read() returns 0 at the end
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) error = path + ": cannot read: " + std::strerror(errno);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (out.size() > kMaxSecretBytes + 2) {
        error = path + ": larger than " + std::to_string(kMaxSecretBytes / 1024) + " KiB";
        break;
      }
    }
  }
  ::close(fd);
  if (!error.empty()) return Error{error};
  return std::optional<std::string>(std::move(out));
}

Result<JobSecrets> resolve_secrets(const std::vector<pipelines::Step>& steps,
                                   const SecretSources& sources, const ReadSecretFile& read) {
  JobSecrets out;
  std::map<std::string, std::string> values;  // name -> value: each secret is looked up once
  for (const pipelines::Step& step : steps) {
    proc::EnvList& env = out.step_env.emplace_back();
    for (const pipelines::SecretRef& r : step.secrets) {
      auto known = values.find(r.name);
      if (known == values.end()) {
        auto v = lookup(r.name, sources, read);
        if (!v) return Error{describe(r, step) + ": " + v.error()};
        if (!*v) return Error{not_set(r, step, sources.dir)};
        const std::string& value = **v;
        if (value.find('\0') != std::string::npos)
          return Error{describe(r, step) +
                       " holds a NUL byte, which an environment variable cannot carry"};
        if (value.size() > kMaxSecretBytes)
          return Error{describe(r, step) + " is larger than " +
                       std::to_string(kMaxSecretBytes / 1024) + " KiB"};
        if (!value.empty() && value.size() < core::Masker::kMinSecretBytes)
          out.notes.push_back("secret " + quoted(r.name) + " is shorter than " +
                              std::to_string(core::Masker::kMinSecretBytes) +
                              " bytes: the step gets it, but it cannot be masked in logs");
        const bool maskable = value.size() >= core::Masker::kMinSecretBytes;
        if (maskable && std::find(out.mask.begin(), out.mask.end(), value) == out.mask.end())
          out.mask.push_back(value);
        known = values.emplace(r.name, value).first;
      }
      env.emplace_back(r.env, known->second);
    }
  }
  return out;
}

}  // namespace stackrun::agent
