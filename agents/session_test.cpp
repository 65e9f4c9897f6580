#include "agents/session.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/support/fake_server_link.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::agent {
namespace {

using std::chrono::milliseconds;

// A drain() that lands while the log thread pauses to let a burst of output join must still end
// the shipping at once. The pause used to spend drain()'s wake-up, and the thread then slept a
// whole fallback wait (1 s in the agent) before it noticed the output had ended.
TEST(Session, ADrainDuringTheCoalescingPauseEndsTheShippingAtOnce) {
  testing::TempDir dir;
  const std::string spool = (dir.path() / "output").string();
  testing::write_file(spool, "");
  testing::FakeServer server;
  auto make = server.factory();
  auto logs = make(), beats = make();
  SessionOptions o;
  o.coalesce = milliseconds(400);
  o.fallback = std::chrono::minutes(10);  // longer than drain()'s limit below
  Session s(
      {1, 1}, wire::LeaseAnswer{}, o, {spool, "", {}}, *logs, *beats, [](const std::string&) {},
      "attempt 1");

  std::this_thread::sleep_for(milliseconds(100));  // the log thread waits for output
  // Two writes inside one pause ship together, and the second one's wake-up is still queued:
  // the thread wakes with nothing new, pauses again, and drain() comes during that pause.
  const int fd = ::open(spool.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "a\n", 2), 2);
  std::this_thread::sleep_for(milliseconds(100));
  ASSERT_EQ(::write(fd, "b\n", 2), 2);
  ::close(fd);
  ASSERT_TRUE(
      server.wait_until([&] { return server.accepted_log() == "a\nb\n"; }, milliseconds(10'000)));
  std::this_thread::sleep_for(milliseconds(100));

  EXPECT_TRUE(s.drain(milliseconds(20'000)));
  EXPECT_EQ(server.accepted_log(), "a\nb\n");
}

}  // namespace
}  // namespace stackrun::agent
