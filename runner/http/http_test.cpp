// Loopback integration tests: a real Server on 127.0.0.1:<free port> served by its own thread,
// real Clients (curl) and, where the client cannot show it, a raw socket. Assertions are on
// outcomes and ordering, never on elapsed time; every wait is bounded by kWait.
#include "runner/http/http.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runner/http/http_test_support.hpp"

namespace stackrun::http {
namespace {

using namespace test_support;

TEST(HttpServer, RoutesWithCapturesAndDecodedQuery) {
  LiveServer live;
  live.server.route("GET", "/api/v1/runs/{id}/logs", [](const Request& r, Reply reply) {
    std::string out = r.method + " " + r.path + " id=" + r.params.at("id");
    for (const auto& [key, value] : r.query) out += " " + key + "=" + value;
    reply(text(out));
  });
  live.server.route("GET", "/api/v1/stacks/{name}",
                    [](const Request& r, Reply reply) { reply(text(r.params.at("name"))); });
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  EXPECT_EQ(
      outcome(client.request("GET", "/api/v1/runs/7/logs?after=10&q=a%20b+c&flag", "", kWait)),
      "200 GET /api/v1/runs/7/logs id=7 after=10 flag= q=a b c");
  EXPECT_EQ(outcome(client.request("GET", "/api/v1/stacks/live%2Fprod%2Fvpc", "", kWait)),
            "200 live/prod/vpc");
}

TEST(HttpServer, UnknownRouteIs404AndWrongMethodIs405) {
  LiveServer live;
  live.server.route("GET", "/api/v1/runs", [](const Request&, Reply reply) { reply(text("[]")); });
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  EXPECT_EQ(outcome(client.request("GET", "/x?y=1", "", kWait)),
            R"(404 {"error":"no route for GET /x"})");
  EXPECT_EQ(outcome(client.request("POST", "/api/v1/runs", "{}", kWait)),
            R"js(405 {"error":"method POST not allowed for /api/v1/runs (allowed: GET)"})js");
  std::string raw = raw_exchange(live.port(),
                                 "DELETE /api/v1/runs HTTP/1.1\r\nHost: t\r\n"
                                 "Connection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << raw;
  EXPECT_NE(raw.find("\r\nAllow: GET\r\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << raw;
}

TEST(HttpServer, BodyOverLimitGets413WithoutCallingTheHandler) {
  Server::Options options;
  options.max_body_bytes = 1024;
  LiveServer live(options);
  std::atomic<int> calls{0};
  live.server.route("POST", "/upload", [&](const Request& r, Reply reply) {
    ++calls;
    reply(text(std::to_string(r.body.size())));
  });
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  const std::string too_large = R"(413 {"error":"request body larger than 1024 bytes"})";
  EXPECT_EQ(outcome(client.request("POST", "/upload", std::string(1024, 'x'), kWait)), "200 1024");
  EXPECT_EQ(outcome(client.request("POST", "/upload", std::string(1025, 'x'), kWait)), too_large);
  EXPECT_EQ(outcome(client.request("POST", "/upload", std::string(1 << 20, 'x'), kWait)),
            too_large);
  EXPECT_EQ(calls.load(), 1);
  // The server closed that connection; the same client reconnects.
  EXPECT_EQ(outcome(client.request("POST", "/upload", "abc", kWait)), "200 3");
}

TEST(HttpServer, ThrowingHandlerGets500AndTheConnectionStaysUsable) {
  LiveServer live;
  live.server.route("GET", "/boom",
                    [](const Request&, Reply) { throw std::runtime_error("state \"x\" missing"); });
  live.server.route("GET", "/ok", [](const Request&, Reply reply) { reply(text("ok")); });
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  EXPECT_EQ(outcome(client.request("GET", "/boom", "", kWait)),
            R"(500 {"error":"internal error: state \"x\" missing"})");
  EXPECT_EQ(outcome(client.request("GET", "/ok", "", kWait)), "200 ok");
}

TEST(HttpServer, DroppedReplyGets500) {
  LiveServer live;
  live.server.route("GET", "/forgetful", [](const Request&, Reply) {});
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  EXPECT_EQ(outcome(client.request("GET", "/forgetful", "", kWait)),
            R"(500 {"error":"internal error: handler dropped its reply without answering"})");
}

TEST(HttpServer, HandlerRepliesFromAnotherThreadOnlyOnce) {
  LiveServer live;
  std::mutex mu;
  std::vector<std::thread> workers;
  live.server.route("POST", "/work", [&](const Request& r, Reply reply) {
    std::lock_guard lock(mu);
    workers.emplace_back([reply, body = r.body] {
      reply(text("done:" + body));
      reply(text("second answer, ignored"));
    });
  });
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  EXPECT_EQ(outcome(client.request("POST", "/work", "abc", kWait)), "200 done:abc");
  EXPECT_EQ(outcome(client.request("POST", "/work", "def", kWait)), "200 done:def");
  std::lock_guard lock(mu);
  for (auto& t : workers) t.join();
}

TEST(HttpServer, LongPollIsAnsweredLaterViaAfter) {
  LiveServer live;
  std::atomic<bool> handler_returned{false};
  live.server.route("GET", "/api/v1/runs/{id}/wait", [&](const Request& r, Reply reply) {
    live.server.after(200ms, [reply, id = r.params.at("id"), &handler_returned] {
      reply(text(handler_returned ? "run " + id + " finished" : "timer ran inside the handler"));
    });
    handler_returned = true;
  });
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  EXPECT_EQ(outcome(client.request("GET", "/api/v1/runs/9/wait", "", kWait)), "200 run 9 finished");
}

TEST(HttpServer, ManySequentialRequestsReuseOneConnection) {
  LiveServer live;
  live.server.route("GET", "/whoami", [](const Request& r, Reply reply) { reply(text(r.remote)); });
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  auto first = client.request("GET", "/whoami", "", kWait);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->body.rfind("127.0.0.1:", 0), 0u) << first->body;
  for (int i = 0; i < 100; ++i) {
    // Same peer address and port each time: the client kept the connection, the server kept
    // serving it.
    ASSERT_EQ(outcome(client.request("GET", "/whoami", "", kWait)), "200 " + first->body) << i;
  }
}

TEST(HttpServer, ConcurrentClientsAllGetTheirOwnAnswers) {
  LiveServer live;
  std::atomic<int> served{0};
  live.server.route("GET", "/echo/{n}", [&](const Request& r, Reply reply) {
    ++served;
    reply(text(r.query.at("t") + ":" + r.params.at("n")));
  });
  ASSERT_EQ(live.start(), "");
  constexpr int kThreads = 4, kRequests = 50;
  std::atomic<int> right{0};
  std::mutex mu;
  std::string first_wrong;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client client(live.url());
      for (int i = 0; i < kRequests; ++i) {
        std::string want = "200 " + std::to_string(t) + ":" + std::to_string(i);
        std::string got = outcome(client.request(
            "GET", "/echo/" + std::to_string(i) + "?t=" + std::to_string(t), "", kWait));
        if (got == want) {
          ++right;
        } else {
          std::lock_guard lock(mu);
          if (first_wrong.empty()) first_wrong = "want " + want + ", got " + got;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(right.load(), kThreads * kRequests) << first_wrong;
  EXPECT_EQ(served.load(), kThreads * kRequests);
}

TEST(HttpServer, SlowReplyDoesNotBlockOtherRequests) {
  LiveServer live;
  Latch slow_started;
  live.server.route("GET", "/slow", [&](const Request&, Reply reply) {
    live.server.after(500ms, [reply] { reply(text("slow")); });
    slow_started.open();
  });
  live.server.route("GET", "/fast", [](const Request&, Reply reply) { reply(text("fast")); });
  ASSERT_EQ(live.start(), "");
  std::mutex mu;
  std::vector<std::string> finished;
  auto record = [&](const Result<ClientResponse>& r) {
    std::lock_guard lock(mu);
    finished.push_back(r.ok() ? r->body : r.error());
  };
  auto slow = std::async(std::launch::async, [&] {
    Client client(live.url());
    record(client.request("GET", "/slow", "", kWait));
  });
  ASSERT_TRUE(slow_started.wait());
  Client client(live.url());
  record(client.request("GET", "/fast", "", kWait));
  ASSERT_EQ(slow.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(finished, (std::vector<std::string>{"fast", "slow"}));
}

TEST(HttpServer, StopWithARequestPendingReturnsRunAndDropsTheConnection) {
  auto live = std::make_unique<LiveServer>();
  Latch entered;
  std::mutex mu;
  Reply parked;
  live->server.route("GET", "/pending", [&](const Request&, Reply reply) {
    {
      std::lock_guard lock(mu);
      parked = std::move(reply);
    }
    entered.open();
  });
  ASSERT_EQ(live->start(), "");
  const std::string url = live->url();
  auto pending = std::async(std::launch::async, [url] {
    Client client(url);
    return client.request("GET", "/pending", "", kWait);
  });
  ASSERT_TRUE(entered.wait());
  live->server.stop();
  ASSERT_TRUE(live->wait_stopped()) << "run() did not return after stop()";
  ASSERT_EQ(pending.wait_for(kWait), std::future_status::ready);
  auto dropped = pending.get();
  ASSERT_FALSE(dropped.ok()) << outcome(dropped);
  EXPECT_EQ(dropped.error().rfind("GET " + url + "/pending: ", 0), 0u) << dropped.error();
  // Answering after the server is gone is a harmless no-op.
  live.reset();
  std::lock_guard lock(mu);
  parked(text("too late"));
}

TEST(HttpClient, ConnectionRefusedAfterStopNamesTheUrl) {
  LiveServer live;
  live.server.route("GET", "/ping", [](const Request&, Reply reply) { reply(text("pong")); });
  ASSERT_EQ(live.start(), "");
  const std::string url = live.url();
  EXPECT_EQ(outcome(Client(url).request("GET", "/ping", "", kWait)), "200 pong");
  live.server.stop();
  ASSERT_TRUE(live.wait_stopped());
  Client client(url);
  auto refused = client.request("GET", "/api/v1/x", "", kWait);
  ASSERT_FALSE(refused.ok()) << outcome(refused);
  EXPECT_EQ(refused.error().rfind("GET " + url + "/api/v1/x: ", 0), 0u) << refused.error();
  EXPECT_NE(refused.error().find("Couldn't connect to server"), std::string::npos)
      << refused.error();
}

TEST(HttpClient, SendsBearerTokenAndJsonContentTypeOnlyWhenSet) {
  LiveServer live;
  auto echo = [](const Request& r, Reply reply) {
    reply(text(r.method + "|" + r.header("authorization") + "|" + r.header("content-type") + "|" +
               r.header("content-length") + "|" + r.header("expect") + "|" + r.body));
  };
  for (const char* method : {"GET", "POST", "PUT", "DELETE"}) live.server.route(method, "/e", echo);
  ASSERT_EQ(live.start(), "");
  Client with_token(live.url(), "s3cret");
  EXPECT_EQ(outcome(with_token.request("POST", "/e", R"({"a":1})", kWait)),
            R"(200 POST|Bearer s3cret|application/json|7||{"a":1})");
  EXPECT_EQ(outcome(with_token.request("GET", "/e", "", kWait)), "200 GET|Bearer s3cret||||");
  EXPECT_EQ(outcome(with_token.request("POST", "/e", "", kWait)), "200 POST|Bearer s3cret||0||");
  EXPECT_EQ(outcome(with_token.request("DELETE", "/e", "", kWait)), "200 DELETE|Bearer s3cret||||");
  const std::string big(4096, 'b');  // large enough that curl would otherwise send Expect
  EXPECT_EQ(outcome(with_token.request("PUT", "/e", big, kWait)),
            "200 PUT|Bearer s3cret|application/json|4096||" + big);
  Client anonymous(live.url());
  EXPECT_EQ(outcome(anonymous.request("GET", "/e", "", kWait)), "200 GET|||||");
}

TEST(HttpClient, DoesNotFollowRedirects) {
  LiveServer live;
  std::atomic<int> followed{0};
  live.server.route("GET", "/old", [](const Request&, Reply reply) {
    reply(Response{302, "", "", {{"Location", "/new"}}});
  });
  live.server.route("GET", "/new", [&](const Request&, Reply reply) {
    ++followed;
    reply(text("new"));
  });
  ASSERT_EQ(live.start(), "");
  Client client(live.url());
  EXPECT_EQ(outcome(client.request("GET", "/old", "", kWait)), "302 ");
  EXPECT_EQ(followed.load(), 0);
}

TEST(HttpServer, ListenErrorsNameHostPortAndReason) {
  LiveServer first;
  ASSERT_EQ(first.start(), "");
  Server second;
  auto taken = second.listen("127.0.0.1", first.port());
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error(),
            "cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": address in use");
  auto named = second.listen("localhost", 8080);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error(),
            "cannot listen on localhost:8080: not an IP address (use e.g. 127.0.0.1 or ::1)");
  auto range = second.listen("127.0.0.1", 70000);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.error(), "cannot listen on 127.0.0.1:70000: port out of range 0-65535");
}

TEST(HttpServer, ServesIpv6Loopback) {
  LiveServer live;
  live.server.route("GET", "/whoami", [](const Request& r, Reply reply) { reply(text(r.remote)); });
  std::string error = live.start("::1");
  if (error.find("address not available") != std::string::npos) {
    GTEST_SKIP() << "no IPv6 loopback here: " << error;
  }
  ASSERT_EQ(error, "");
  auto got = Client(live.url()).request("GET", "/whoami", "", kWait);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->body.rfind("[::1]:", 0), 0u) << got->body;
}

TEST(HttpServer, IdleAndStalledConnectionsAreClosedAfterTheReadTimeout) {
  Server::Options options;
  options.read_timeout = std::chrono::seconds(1);
  LiveServer live(options);
  live.server.route("GET", "/x", [](const Request&, Reply reply) { reply(text("x")); });
  ASSERT_EQ(live.start(), "");
  EXPECT_EQ(raw_exchange(live.port(), ""), "");                            // closed, no answer
  EXPECT_EQ(raw_exchange(live.port(), "GET /x HTTP/1.1\r\nHost: t"), "");  // half a request
}

TEST(HttpServer, MalformedRequestGets400AndClose) {
  LiveServer live;
  ASSERT_EQ(live.start(), "");
  std::string raw = raw_exchange(live.port(), "GET /x HTTP/1.1\r\nno colon here\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << raw;
  EXPECT_NE(raw.find(R"({"error":"bad request: )"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("<timeout>"), std::string::npos) << raw;
}

TEST(HttpServer, PostAndHandlersRunOnTheIoThread) {
  LiveServer live;
  std::mutex mu;
  std::vector<std::thread::id> seen;
  live.server.route("GET", "/t", [&](const Request&, Reply reply) {
    std::lock_guard lock(mu);
    seen.push_back(std::this_thread::get_id());
    reply(text("t"));
  });
  ASSERT_EQ(live.start(), "");
  Latch posted;
  live.server.post([&] {
    std::lock_guard lock(mu);
    seen.push_back(std::this_thread::get_id());
    posted.open();
  });
  ASSERT_TRUE(posted.wait());
  EXPECT_EQ(outcome(Client(live.url()).request("GET", "/t", "", kWait)), "200 t");
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::thread::id>{live.thread_id(), live.thread_id()}));
}

TEST(HttpServer, StopBeforeRunMakesRunReturn) {
  Server server;
  server.stop();
  auto ran = std::async(std::launch::async, [&] { server.run(); });
  if (ran.wait_for(kWait) != std::future_status::ready) {
    std::fprintf(stderr, "run() ignored an earlier stop()\n");
    std::abort();  // the future's destructor would wait forever
  }
}

}  // namespace
}  // namespace stackrun::http
