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
          env_or_empty("STACKRUN_STATE_DIR"), env_or_empty("STACKRUN_TOKEN_FILE")};
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
  ClientConfig c{f.server.empty() ? env.server : f.server, ""};
  // The token: the first given of --token, --token-file, STACKRUN_TOKEN, STACKRUN_TOKEN_FILE.
  std::string token_file;
  if (!f.token.empty())
    c.token = f.token;
  else if (!f.token_file.empty())
    token_file = f.token_file;
  else if (!env.token.empty())
    c.token = env.token;
  else
    token_file = env.token_file;
  if (!token_file.empty()) {
    auto text = read(token_file);
    if (!text) return Error{"token file " + text.error()};
    auto token = token_from_file(*text, token_file);
    if (!token) return Error{token.error()};
    c.token = *token;
  }
  if (!c.server.empty() && !c.token.empty()) return c;
  const std::string path = state_dir(f.state_dir, env) + "/client.json";
  auto text = read(path);
  if (!text) {
    if (c.server.empty())
      return Error{
          "no server given: pass --server URL, set STACKRUN_SERVER, or start one with "
          "`stackrun up` (" +
          text.error() + ")"};
    return Error{
        "no token given: pass --token-file FILE (or --token), set STACKRUN_TOKEN_FILE or "
        "STACKRUN_TOKEN, or use `stackrun up`'s " +
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

Result<std::string> token_from_file(const std::string& text, const std::string& path) {
  std::string token = text;
  if (!token.empty() && token.back() == '\n') token.pop_back();
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.empty()) return Error{path + ": the token file is empty"};
  if (token.find_first_of("\r\n") != std::string::npos)
    return Error{path + ": the token file holds more than one line; put only the token in it"};
  return token;
}

Result<std::string> read_token_file(const std::string& path, std::string& loose) {
  loose.clear();
  auto text = read_whole_file(path);
  if (!text) return Error{text.error()};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    loose = path + " is accessible to group or others (mode " + mode + "); chmod 600 it";
  }
  return token_from_file(*text, path);
}

Status write_client_json(const std::string& dir, const ClientConfig& c) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return write_private_file(dir + "/client.json",
                            wire::encode(wire::ClientFile{c.server, c.token}) + "\n");
}

Status write_private_file(const std::string& path, const std::string& body) {
  const std::string tmp = path + ".tmp";
  // Created 0600 (not chmod-ed after): the token is never readable by others, not even briefly.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{tmp + ": " + std::strerror(errno)};
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
