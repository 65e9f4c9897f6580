#pragma once
// Small I/O helpers shared by CLI subcommands.
#include <iosfwd>
#include <string>

#include "runner/core/result.hpp"

namespace stackrun::cli {

// Whole file as bytes; error names the path and the OS reason.
Result<std::string> read_file(const std::string& path);
// Everything on `in` until EOF.
std::string read_all(std::istream& in);

}  // namespace stackrun::cli
