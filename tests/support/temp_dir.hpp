#pragma once
// A temporary directory for one test. Removed on destruction unless keep() was called
// (failing e2e tests keep theirs and print the path).
#include <filesystem>
#include <string>

namespace stackrun::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "stackrun-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// Writes `content` to `path`, creating parent directories.
void write_file(const std::filesystem::path& path, const std::string& content);

}  // namespace stackrun::testing
