#pragma once
// Test data of the forge tests: the real webhook payloads copied from the shared corpus into
// tests/data/webhooks/ (a clone alone passes).
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace stackrun::forge::testdata {

inline std::string read_data(const std::string& name) {
  std::ifstream in(std::string(STACKRUN_DATA_DIR) + "/webhooks/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test data " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace stackrun::forge::testdata
