// The io loop outlives exceptions thrown by functions given to Server::post and Server::after:
// each is reported through Options::on_error (or stderr) and the server keeps answering.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "runner/http/http.hpp"
#include "runner/http/http_test_support.hpp"

namespace stackrun::http {
namespace {

using namespace test_support;

TEST(HttpServerErrors, ThrowingPostedWorkAndTimersAreReportedAndServingContinues) {
  std::mutex mu;
  std::vector<std::string> errors;
  Server::Options options;
  options.on_error = [&](const std::string& text) {
    std::lock_guard lock(mu);
    errors.push_back(text);
  };
  LiveServer live(options);
  live.server.route("GET", "/ping", [](const Request&, Reply reply) { reply(text("pong")); });
  ASSERT_EQ(live.start(), "");
  live.server.post([] { throw std::runtime_error("database is locked"); });
  live.server.after(std::chrono::milliseconds(10), [] { throw std::runtime_error("disk I/O"); });
  live.server.post([] { throw 42; });
  auto error_count = [&] {
    std::lock_guard lock(mu);
    return errors.size();
  };
  ASSERT_TRUE(wait_until([&] { return error_count() == 3; })) << "errors: " << error_count();
  EXPECT_EQ(outcome(Client(live.url()).request("GET", "/ping", "", kWait)), "200 pong");
  // Timers and posted work still run after the failures.
  Latch posted, timed;
  live.server.post([&] { posted.open(); });
  live.server.after(std::chrono::milliseconds(1), [&] { timed.open(); });
  EXPECT_TRUE(posted.wait());
  EXPECT_TRUE(timed.wait());
  std::lock_guard lock(mu);
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "posted function threw a non-standard exception",
                        "posted function threw: database is locked",
                        "timer callback threw: disk I/O",
                    }));
}

TEST(HttpServerErrors, WithoutOnErrorTheTextGoesToStderr) {
  LiveServer live;
  live.server.route("GET", "/ping", [](const Request&, Reply reply) { reply(text("pong")); });
  ASSERT_EQ(live.start(), "");
  testing::internal::CaptureStderr();
  Latch after_throw;
  live.server.post([] { throw std::runtime_error("store fault"); });
  live.server.post([&] { after_throw.open(); });  // posted work runs in order
  bool ran = after_throw.wait();
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ran);
  EXPECT_NE(err.find("stackrun http: posted function threw: store fault\n"), std::string::npos)
      << err;
  EXPECT_EQ(outcome(Client(live.url()).request("GET", "/ping", "", kWait)), "200 pong");
}

TEST(HttpServerErrors, AThrowingOnErrorFallsBackToStderr) {
  Server::Options options;
  options.on_error = [](const std::string&) { throw std::runtime_error("reporter broke"); };
  LiveServer live(options);
  ASSERT_EQ(live.start(), "");
  testing::internal::CaptureStderr();
  Latch after_throw;
  live.server.post([] { throw std::runtime_error("store fault"); });
  live.server.post([&] { after_throw.open(); });
  bool ran = after_throw.wait();
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ran);
  EXPECT_NE(err.find("stackrun http: posted function threw: store fault\n"), std::string::npos)
      << err;
}

}  // namespace
}  // namespace stackrun::http
