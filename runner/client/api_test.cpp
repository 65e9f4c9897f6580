// OperatorClient over a fake transport: the requests it sends, how each kind of answer becomes
// a value or an ApiError, and the bounded 503 retries (with a fake clock: no real waiting).
#include "runner/client/api.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace stackrun::client {
namespace {

using std::chrono::milliseconds;

struct Sent {
  std::string method, path, body;
  milliseconds timeout;
};

// Answers from a script, in order, and records every request. An answer with status 0 is a
// transport error whose text is the body.
class FakeTransport final : public Transport {
 public:
  FakeTransport(std::vector<Sent>& sent, std::deque<http::ClientResponse> answers)
      : sent_(sent), answers_(std::move(answers)) {}
  Result<http::ClientResponse> request(const std::string& method, const std::string& path,
                                       const std::string& body, milliseconds timeout) override {
    sent_.push_back({method, path, body, timeout});
    if (answers_.empty()) return Error{"fake: no answer scripted"};
    auto a = answers_.front();
    if (answers_.size() > 1) answers_.pop_front();  // the last answer repeats
    if (a.status == 0) return Error{a.body};
    return a;
  }

 private:
  std::vector<Sent>& sent_;
  std::deque<http::ClientResponse> answers_;
};

class OperatorClientTest : public ::testing::Test {
 protected:
  OperatorClient client(std::deque<http::ClientResponse> answers) {
    RetryOptions r;
    r.sleep = [this](milliseconds d) {
      slept_.push_back(d);
      now_ += d + milliseconds(100);  // each retried request also takes 100 ms
    };
    r.now = [this] { return now_; };
    return OperatorClient(std::make_unique<FakeTransport>(sent_, std::move(answers)), r);
  }

  std::vector<Sent> sent_;
  std::vector<milliseconds> slept_;
  std::chrono::steady_clock::time_point now_{};
};

// A page as log frames, as `stackrun logs` asks for it.
const std::string kPage = "stackrun-log-page 1 5 1 success 1\n5 out 7 2\ngrafanax\n";

TEST_F(OperatorClientTest, LogPageSendsItsQueryWithTheStackEncoded) {
  auto c = client({{200, kPage}});
  auto page = c.log_page(10, 4, "apps/grafana & co", 15'000);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->next, 5);
  EXPECT_TRUE(page->done);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].method, "GET");
  EXPECT_EQ(
      sent_[0].path,
      "/api/v1/runs/10/logs?after=4&wait_ms=15000&format=frames&stack=apps%2Fgrafana%20%26%20co");
  EXPECT_GT(sent_[0].timeout, milliseconds(15'000));  // outlasts the server's wait
}

TEST_F(OperatorClientTest, RequestsCarryTheirEncodedMessages) {
  auto c = client({{200, R"({"runs":[41]})"}});
  wire::TriggerRequest t;
  t.event = "manual";
  t.stack = "grafana";
  auto r = c.trigger(t);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->runs, (std::vector<wire::Id>{41}));
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].method, "POST");
  EXPECT_EQ(sent_[0].path, "/api/v1/runs");
  EXPECT_EQ(sent_[0].body, wire::encode(t));
}

TEST_F(OperatorClientTest, CancelAndRegistrations) {
  auto c = client({{200, R"({"status":"cancelled","already_finished":false})"}});
  ASSERT_TRUE(c.cancel(3, true).ok());
  EXPECT_EQ(sent_.back().path, "/api/v1/runs/3/cancel");
  EXPECT_EQ(sent_.back().body, R"({"force":true})");

  auto r = client({{200, R"({"id":1,"token":"tok"})"}});
  auto creds = r.register_agent({"agent-1", "", 2});
  ASSERT_TRUE(creds.ok()) << creds.error().message;
  EXPECT_EQ(creds->token, "tok");
  EXPECT_EQ(sent_.back().path, "/api/v1/agents");
  EXPECT_EQ(sent_.back().body, R"({"name":"agent-1","labels":"","capacity":2})");
}

TEST_F(OperatorClientTest, FourHundredsAreRefusedWithTheServersText) {
  auto c = client({{404, R"({"error":"no run 99"})"}});
  auto r = c.show_run(99);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ApiFailure::refused);
  EXPECT_EQ(r.error().status, 404);
  EXPECT_EQ(r.error().message, "no run 99");
  EXPECT_EQ(sent_.size(), 1u);  // never retried
  EXPECT_TRUE(slept_.empty());
}

TEST_F(OperatorClientTest, TransportErrorsAreUnreachableAndNotRetried) {
  auto c = client({{0, "GET http://127.0.0.1:1/api/v1/runs?limit=5: Couldn't connect to server"}});
  auto r = c.list_runs(5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ApiFailure::unreachable);
  EXPECT_EQ(r.error().status, 0);
  EXPECT_EQ(r.error().message,
            "GET http://127.0.0.1:1/api/v1/runs?limit=5: Couldn't connect to server");
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(OperatorClientTest, OtherServerErrorsAndMalformedAnswers) {
  auto c = client({{500, R"({"error":"internal error: boom"})"}});
  auto r = c.list_runs(5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ApiFailure::server);
  EXPECT_EQ(r.error().message, "GET /api/v1/runs?limit=5: 500: internal error: boom");

  auto m = client({{200, R"({"runs":[{"id":"x"}]})"}});
  auto bad = m.list_runs(5);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ApiFailure::server);
  EXPECT_EQ(bad.error().message,
            "GET /api/v1/runs?limit=5: malformed answer: run list: field \"runs[0].id\": "
            "expected an integer");
}

TEST_F(OperatorClientTest, ServiceUnavailableIsRetriedUntilItClears) {
  auto c = client({{503, R"({"error":"store unavailable, retry later: database is locked"})"},
                   {503, R"({"error":"store unavailable, retry later: database is locked"})"},
                   {200, R"({"runs":[]})"}});
  auto r = c.list_runs(20);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(sent_.size(), 3u);
  EXPECT_EQ(slept_, (std::vector<milliseconds>{milliseconds(250), milliseconds(500)}));
}

TEST_F(OperatorClientTest, ServiceUnavailableGivesUpWithinTheBudget) {
  auto c = client({{503, R"({"error":"store unavailable, retry later: disk I/O error"})"}});
  auto r = c.list_runs(20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ApiFailure::unavailable);
  EXPECT_EQ(r.error().status, 503);
  EXPECT_EQ(r.error().message,
            "GET /api/v1/runs?limit=20: 503: store unavailable, retry later: disk I/O error "
            "(still unavailable after retrying for 20 s)");
  milliseconds total{0};
  for (auto d : slept_) total += d;
  EXPECT_LE(total, milliseconds(20'000));
  EXPECT_EQ(sent_.size(), slept_.size() + 1);
  EXPECT_LE(sent_.size(), 31u);
}

TEST(RetryDelay, Table) {
  struct Row {
    int retry;
    long long elapsed, budget;
    std::optional<long long> delay;
  };
  const Row rows[] = {
      {0, 0, 20'000, 250},
      {1, 250, 20'000, 500},
      {2, 750, 20'000, 1'000},
      {3, 1'750, 20'000, 2'000},
      {4, 3'750, 20'000, 4'000},
      {9, 10'000, 20'000, 4'000},
      {5, 18'500, 20'000, 1'500},  // cut to what is left
      {5, 20'000, 20'000, std::nullopt},
      {5, 25'000, 20'000, std::nullopt},
      {30, 0, 20'000, std::nullopt},
      {-1, 0, 20'000, std::nullopt},
      {0, 0, 0, std::nullopt},
  };
  for (const auto& r : rows) {
    auto d = retry_delay(r.retry, milliseconds(r.elapsed), milliseconds(r.budget));
    ASSERT_EQ(d.has_value(), r.delay.has_value()) << r.retry << " " << r.elapsed;
    if (d) {
      EXPECT_EQ(d->count(), *r.delay) << r.retry << " " << r.elapsed;
    }
  }
}

TEST(UrlEncode, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"grafana", "grafana"},
      {"stacks/grafana", "stacks%2Fgrafana"},
      {"a b&c=d?#+%", "a%20b%26c%3Dd%3F%23%2B%25"},
      {"A-Z_a.z~09", "A-Z_a.z~09"},
      {"ü", "%C3%BC"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(url_encode(in), out) << in;
}

}  // namespace
}  // namespace stackrun::client
