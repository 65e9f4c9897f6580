#include "runner/client/client_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runner/wire/cli_formats.hpp"

namespace stackrun::client {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

ClientEnv client_env() {
  return {env_or_empty("STACKRUN_SERVER"), env_or_empty("STACKRUN_TOKEN"),
          env_or_empty("STACKRUN_STATE_DIR")};
}

std::string state_dir(const std::string& flag, const ClientEnv& env) {
  if (!flag.empty()) return flag;
  if (!env.state_dir.empty()) return env.state_dir;
  return ".stackrun-state";
}

std::string default_state_dir(const std::string& flag) {
  return state_dir(flag, client_env());
}

Result<ClientConfig> resolve_client(const ClientFlags& f, const ClientEnv& env,
                                    const ReadFile& read) {
  ClientConfig c{f.server.empty() ? env.server : f.server, f.token.empty() ? env.token : f.token};
  if (!c.server.empty() && !c.token.empty()) return c;
  const std::string path = state_dir(f.state_dir, env) + "/client.json";
  auto text = read(path);
  if (!text) {
    if (c.server.empty())
      return Error{
          "no server given: pass --server URL, set STACKRUN_SERVER, or start one with "
          "`stackrun up` (" +
          text.error() + ")"};
    return Error{"no token given: pass --token, set STACKRUN_TOKEN, or use `stackrun up`'s " +
                 path};
  }
  auto file = wire::decode_client_file(*text);
  if (!file) return Error{path + ": " + file.error()};
  if (c.server.empty()) c.server = file->server;
  if (c.token.empty()) c.token = file->token;
  if (c.server.empty() || c.token.empty()) return Error{path + ": needs \"server\" and \"token\""};
  return c;
}

Result<ClientConfig> resolve_client(const ClientFlags& flags) {
  return resolve_client(flags, client_env(), read_whole_file);
}

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error{path + ": cannot read: " + std::strerror(errno)};
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Status write_client_json(const std::string& dir, const ClientConfig& c) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/client.json";
  const std::string tmp = path + ".tmp";
  // Created 0600 (not chmod-ed after): the token is never readable by others, not even briefly.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{tmp + ": " + std::strerror(errno)};
  const std::string body = wire::encode(wire::ClientFile{c.server, c.token}) + "\n";
  const ssize_t n = ::write(fd, body.data(), body.size());
  const int write_errno = n < 0 ? errno : 0;
  ::fchmod(fd, 0600);  // an existing .tmp kept its old mode through O_TRUNC
  ::close(fd);
  if (n != static_cast<ssize_t>(body.size()))
    return Error{tmp + ": cannot write: " +
                 (write_errno ? std::strerror(write_errno) : std::string("short write"))};
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Error{path + ": cannot write: " + std::strerror(errno)};
  return Ok{};
}

}  // namespace stackrun::client
