// Black-box: what a start of `stackrun` loads. Each shared library costs page faults at every
// start (docs/performance.md), so libcurl is loaded only by a command that makes an HTTP
// request, and the per-step supervisor the agent starts for every job (stackrun-supervise)
// loads neither libcurl nor libgit2. Observed with the dynamic loader's own trace
// (LD_DEBUG=libs, glibc), which names every library as it is loaded, including by dlopen.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/run_command.hpp"

using stackrun::testing::run_command;

namespace {

const std::string kBin = STACKRUN_BIN;
const std::string kSupervise =
    (std::filesystem::path(STACKRUN_BIN).parent_path() / "stackrun-supervise").string();

// The loader's trace of one command: its stderr with LD_DEBUG=libs.
std::string loaded(const std::vector<std::string>& argv) {
  auto r = run_command(argv, "", std::chrono::seconds(60), {{"LD_DEBUG", "libs"}});
  return r.err;
}

bool mentions(const std::string& trace, const std::string& lib) {
  return trace.find("/" + lib) != std::string::npos;  // "trying file=/lib/.../libcurl..."
}

TEST(Startup, VersionDoesNotLoadCurl) {
  const std::string trace = loaded({kBin, "--version"});
  ASSERT_TRUE(mentions(trace, "libc.so")) << "no loader trace:\n" << trace;
  EXPECT_FALSE(mentions(trace, "libcurl")) << trace;
}

TEST(Startup, AnHttpCommandLoadsCurlWhenItSendsItsRequest) {
  // Port 1 on loopback: refused at once; the request is still made through libcurl.
  const std::string trace =
      loaded({kBin, "runs", "--server", "http://127.0.0.1:1", "--token", "t"});
  EXPECT_TRUE(mentions(trace, "libcurl")) << trace;
}

TEST(Startup, TheStepSupervisorLoadsNeitherCurlNorLibgit2) {
  ASSERT_TRUE(std::filesystem::exists(kSupervise)) << kSupervise;
  auto r = run_command({kSupervise}, "", std::chrono::seconds(60), {{"LD_DEBUG", "libs"}});
  EXPECT_EQ(r.exit_code, 2);  // usage: it wants the step's directory
  ASSERT_TRUE(mentions(r.err, "libc.so")) << "no loader trace:\n" << r.err;
  EXPECT_FALSE(mentions(r.err, "libcurl")) << r.err;
  EXPECT_FALSE(mentions(r.err, "libgit2")) << r.err;
}

}  // namespace
