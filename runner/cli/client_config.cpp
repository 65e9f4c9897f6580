#include "runner/cli/client_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "runner/cli/io.hpp"

namespace stackrun::cli {

std::string default_state_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* e = std::getenv("STACKRUN_STATE_DIR"); e && *e) return e;
  return ".stackrun-state";
}

Result<ClientConfig> resolve_client(const ClientFlags& f) {
  ClientConfig c{f.server, f.token};
  if (c.server.empty())
    if (const char* e = std::getenv("STACKRUN_SERVER"); e && *e) c.server = e;
  if (c.token.empty())
    if (const char* e = std::getenv("STACKRUN_TOKEN"); e && *e) c.token = e;
  if (c.server.empty() || c.token.empty()) {
    const std::string path = default_state_dir(f.state_dir) + "/client.json";
    auto text = read_file(path);
    if (!text) {
      if (c.server.empty())
        return Error{"no server given: pass --server URL, set STACKRUN_SERVER, or start one with `stackrun up` (" +
                     text.error() + ")"};
      return Error{"no token given: pass --token, set STACKRUN_TOKEN, or use `stackrun up`'s " + path};
    }
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error{path + ": not a JSON object"};
    if (c.server.empty()) c.server = j.value("server", "");
    if (c.token.empty()) c.token = j.value("token", "");
    if (c.server.empty() || c.token.empty()) return Error{path + ": needs \"server\" and \"token\""};
  }
  return c;
}

Status write_client_json(const std::string& state_dir, const ClientConfig& c) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  const std::string path = state_dir + "/client.json";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Error{tmp + ": " + std::strerror(errno)};
  const std::string body = nlohmann::json{{"server", c.server}, {"token", c.token}}.dump(2) + "\n";
  const bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ::fchmod(fd, 0600);
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) return Error{path + ": cannot write: " + std::strerror(errno)};
  return Ok{};
}

}  // namespace stackrun::cli
