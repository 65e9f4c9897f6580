// The supervised step's file formats: round trips and refusals.
#include "runner/proc/step_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"

namespace stackrun::proc {
namespace {

LaunchFile sample() {
  LaunchFile f;
  f.launch.argv = {"/bin/sh", "-ec", "echo 'a\nb'", ""};
  f.launch.env = {{"PATH", "/usr/bin:/bin"}, {"EMPTY", ""}, {"WITH_EQ", "a=b"}, {"NL", "x\ny"}};
  f.launch.cwd = "/ws/stacks/app";
  f.launch.timeout = std::chrono::minutes(5);
  f.launch.grace = std::chrono::milliseconds(250);
  f.spool = "/work/attempts/7/output";
  f.search_path = "/usr/bin:/bin";
  f.launch.mask = {"s3cr3t-value", "two\nlines"};
  return f;
}

bool same(const LaunchFile& a, const LaunchFile& b) {
  return a.spool == b.spool && a.search_path == b.search_path && a.launch.argv == b.launch.argv &&
         a.launch.env == b.launch.env && a.launch.cwd == b.launch.cwd &&
         a.launch.timeout == b.launch.timeout && a.launch.grace == b.launch.grace &&
         a.launch.mask == b.launch.mask;
}

TEST(LaunchFile, RoundTripsEveryByteButNul) {
  const LaunchFile f = sample();
  auto back = decode_launch_file(encode_launch_file(f));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(same(*back, f));
  LaunchFile empty;
  auto e = decode_launch_file(encode_launch_file(empty));
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_TRUE(same(*e, empty));
}

TEST(LaunchFile, RefusesOtherVersionsAndTruncation) {
  const std::string text = encode_launch_file(sample());
  EXPECT_EQ(decode_launch_file("stackrun-launch 1" + std::string(1, '\0')).error(),
            "launch file: not \"stackrun-launch 2\"");
  EXPECT_EQ(decode_launch_file(text.substr(0, text.size() - 1)).error(),
            "launch file: truncated mask");
  EXPECT_EQ(decode_launch_file(text.substr(0, text.find("mask"))).error(),
            "launch file: bad mask count");
  EXPECT_EQ(decode_launch_file(text.substr(0, text.find("mask") - 1)).error(),
            "launch file: truncated env");
  EXPECT_EQ(decode_launch_file(text.substr(0, text.find("argv"))).error(),
            "launch file: bad argv count");
}

TEST(SupervisorRecord, RoundTripsAndRefuses) {
  const SupervisorRecord r{1234, 987654321ULL, 1240};
  EXPECT_EQ(encode_supervisor_record(r),
            "stackrun-supervisor 1\npid 1234\nstart_time 987654321\nstep_pid 1240\n");
  auto back = decode_supervisor_record(encode_supervisor_record(r));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, r);
  EXPECT_FALSE(decode_supervisor_record("stackrun-supervisor 2\npid 1\n").ok());
  EXPECT_FALSE(decode_supervisor_record("stackrun-supervisor 1\npid x\n").ok());
  EXPECT_FALSE(
      decode_supervisor_record("stackrun-supervisor 1\npid 0\nstart_time 1\nstep_pid 0\n").ok());
}

TEST(StepStatus, RoundTripsAndKeepsTheErrorOnOneLine) {
  const StepStatus s{{130, 2, true, true}, ""};
  EXPECT_EQ(encode_step_status(s),
            "stackrun-step-status 1\nexit_code 130\nsignal 2\ntimed_out 1\nstopped 1\n");
  auto back = decode_step_status(encode_step_status(s));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, s);
  const StepStatus e{{}, "cannot start \"x\": no\nsuch"};
  auto err = decode_step_status(encode_step_status(e));
  ASSERT_TRUE(err.ok()) << err.error();
  EXPECT_EQ(err->error, "cannot start \"x\": no such");
  EXPECT_FALSE(decode_step_status("stackrun-step-status 1\nexit_code 0\n").ok());
  EXPECT_FALSE(decode_step_status("").ok());
}

TEST(StepFilesIo, AtomicWriteIsPrivateAndReadBack) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "status").string();
  ASSERT_TRUE(write_file_atomically(path, "one").ok());
  ASSERT_TRUE(write_file_atomically(path, "two").ok());
  auto text = read_whole_file(path);
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_EQ(*text, "two");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(read_whole_file(path + "-missing").error(),
            "cannot read " + path + "-missing: No such file or directory");
}

}  // namespace
}  // namespace stackrun::proc
