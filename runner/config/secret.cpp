#include "runner/config/secret.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>

namespace stackrun::config {

std::ostream& operator<<(std::ostream& os, const Secret& s) {
  return os << s.describe();
}

SecretReader system_secret_reader() {
  SecretReader r;
  r.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  r.file = [](const std::string& path) -> Result<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Result<std::string>::fail(std::strerror(errno));
    std::string text(kMaxSecretFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) return Result<std::string>::fail(std::strerror(errno));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxSecretFileBytes)
      return Result<std::string>::fail("larger than " + std::to_string(kMaxSecretFileBytes / 1024) +
                                       " KiB (a secret file holds one line)");
    return text;
  };
  return r;
}

}  // namespace stackrun::config
