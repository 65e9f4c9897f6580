// lazy::symbol on real libraries: a library that is there, one that is not, a symbol that is
// not in it. (The forwarding files are exercised by every test that speaks HTTP, reads git or
// checks a signature; tests/cli/startup_cli_test.cpp shows what a start loads.)
#include "runner/lazy/lazy_lib.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace stackrun::lazy {
namespace {

TEST(LazySymbol, FindsAFunctionOfALoadableLibraryAndCallsIt) {
  auto* len = reinterpret_cast<decltype(&std::strlen)>(symbol("libc.so.6", "strlen"));
  ASSERT_NE(len, nullptr);
  EXPECT_EQ(len("stackrun"), 8u);
  // The same library again: the same address.
  EXPECT_EQ(reinterpret_cast<void*>(len), symbol("libc.so.6", "strlen"));
}

std::string error_of(const char* soname, const char* name) {
  try {
    symbol(soname, name);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(LazySymbol, AMissingLibraryIsAnErrorNamingIt) {
  const std::string e = error_of("libstackrun-absent.so.9", "anything");
  EXPECT_EQ(e.rfind("cannot load libstackrun-absent.so.9: ", 0), 0u) << e;
  EXPECT_NE(e.find("(scripts/install-deps installs it)"), std::string::npos) << e;
}

TEST(LazySymbol, AMissingSymbolIsAnErrorNamingLibraryAndSymbol) {
  const std::string e = error_of("libc.so.6", "stackrun_no_such_function");
  EXPECT_EQ(e.rfind("libc.so.6 has no stackrun_no_such_function: ", 0), 0u) << e;
}

}  // namespace
}  // namespace stackrun::lazy
