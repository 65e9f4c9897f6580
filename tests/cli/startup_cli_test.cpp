// Black-box: what a start of `stackrun` loads. Each shared library costs page faults at every
// start (docs/performance.md), so libcurl, libgit2 and libcrypto are loaded only by a command
// that uses them (runner/lazy), and the per-step supervisor the agent starts for every job
// (stackrun-supervise) loads none of them. Observed with the dynamic loader's own trace
// (LD_DEBUG=libs, glibc), which names every library as it is loaded, including by dlopen.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

using stackrun::testing::run_command;
using stackrun::testing::TempDir;

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

TEST(Startup, VersionLoadsNeitherCurlNorLibgit2NorLibcrypto) {
  const std::string trace = loaded({kBin, "--version"});
  ASSERT_TRUE(mentions(trace, "libc.so")) << "no loader trace:\n" << trace;
  EXPECT_FALSE(mentions(trace, "libcurl")) << trace;
  EXPECT_FALSE(mentions(trace, "libgit2")) << trace;
  EXPECT_FALSE(mentions(trace, "libcrypto")) << trace;
}

TEST(Startup, ACommandReadingGitLoadsLibgit2WhenItOpensTheRepo) {
  TempDir dir;  // not a git repository: plan-stacks fails, after libgit2 tried to open it
  auto r = run_command({kBin, "plan-stacks", "--repo", dir.path().string(), "--to", "HEAD"}, "",
                       std::chrono::seconds(60), {{"LD_DEBUG", "libs"}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(mentions(r.err, "libgit2")) << r.err;
  EXPECT_FALSE(mentions(r.err, "libcurl")) << r.err;
}

TEST(Startup, AnHttpCommandLoadsCurlWhenItSendsItsRequest) {
  // Port 1 on loopback: refused at once; the request is still made through libcurl.
  const std::string trace =
      loaded({kBin, "runs", "--server", "http://127.0.0.1:1", "--token", "t"});
  EXPECT_TRUE(mentions(trace, "libcurl")) << trace;
}

// The supervisor starts once per job: it is a static executable (runner/proc/CMakeLists.txt),
// so no dynamic loader runs at all and its trace is empty; a sanitizer build links it
// dynamically, and then it must still load none of the three.
TEST(Startup, TheStepSupervisorLoadsNoSharedLibrary) {
  ASSERT_TRUE(std::filesystem::exists(kSupervise)) << kSupervise;
  auto r = run_command({kSupervise}, "", std::chrono::seconds(60), {{"LD_DEBUG", "libs"}});
  EXPECT_EQ(r.exit_code, 2);  // usage: it wants the step's directory
  EXPECT_NE(r.err.find("usage:"), std::string::npos) << r.err;
  if (STACKRUN_SUPERVISE_STATIC) {
    EXPECT_FALSE(mentions(r.err, "libc.so")) << "a dynamic loader ran:\n" << r.err;
    EXPECT_EQ(r.err.find(".so"), std::string::npos) << r.err;
  } else {
    ASSERT_TRUE(mentions(r.err, "libc.so")) << "no loader trace:\n" << r.err;
  }
  EXPECT_FALSE(mentions(r.err, "libcurl")) << r.err;
  EXPECT_FALSE(mentions(r.err, "libgit2")) << r.err;
  EXPECT_FALSE(mentions(r.err, "libcrypto")) << r.err;
}

}  // namespace
