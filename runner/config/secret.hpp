#pragma once
// Secrets from the server configuration (webhook secrets, forge API tokens): resolved once, at
// load, from an environment variable or a file, into a type that never prints its value.
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "runner/core/result.hpp"

namespace stackrun::config {

// A secret value and where it came from ("env NAME" or "file PATH"). Printing it (operator<<,
// describe) shows only the origin; the value is reached through reveal() alone, so a grep for
// reveal() lists every place a secret leaves this type.
class Secret {
 public:
  Secret(std::string value, std::string origin)
      : value_(std::move(value)), origin_(std::move(origin)) {}
  const std::string& reveal() const { return value_; }
  const std::string& origin() const { return origin_; }
  // "secret from env NAME" / "secret from file PATH".
  std::string describe() const { return "secret from " + origin_; }

 private:
  std::string value_;
  std::string origin_;
};

// Prints describe(), never the value (gtest and loggers pick this up).
std::ostream& operator<<(std::ostream& os, const Secret& s);

// How secrets are read: injected so tests resolve them from a table.
struct SecretReader {
  // The variable's value, or nullopt when it is not set.
  std::function<std::optional<std::string>(const std::string& name)> env;
  // The file's whole content, or the reason it cannot be read ("No such file or directory").
  std::function<Result<std::string>(const std::string& path)> file;
};

// Secret files larger than this are refused (a secret is a line, not a document).
inline constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

// getenv and the filesystem (files over kMaxSecretFileBytes fail with "larger than 64 KiB").
SecretReader system_secret_reader();

}  // namespace stackrun::config
