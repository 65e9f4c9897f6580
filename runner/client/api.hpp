#pragma once
// The operator API as typed calls: one method per route the CLI uses, each answering the
// decoded wire message or an ApiError that says what kind of failure it was, so a command can
// pick its exit code (unreachable vs refused) without reading text.
//
// A 503 answer means the server's store was briefly unavailable and the request changed
// nothing; every call retries it with backoff (250 ms doubling to 4 s) for at most
// RetryOptions::budget (20 s) before giving up with ApiFailure::unavailable. Nothing else is
// retried here: a transport error may have reached the server (a trigger may have created its
// runs), so only the caller knows whether repeating is safe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "runner/client/client_config.hpp"
#include "runner/core/result.hpp"
#include "runner/http/http.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::client {

enum class ApiFailure {
  unreachable,  // no HTTP answer: connection refused, unknown host, timeout
  refused,      // 4xx: the server understood and said no (no such run, bad token, bad pipeline)
  unavailable,  // still 503 once the retry budget was spent: the store is busy or faulty
  server,       // another 5xx, or a 2xx whose body is not the expected message
};

struct ApiError {
  ApiFailure kind = ApiFailure::unreachable;
  int status = 0;  // the HTTP status; 0 when no answer came back
  // Refused: the server's own error text ("no run 9"). Otherwise what happened, naming the
  // request: "GET http://127.0.0.1:1/api/v1/runs: Couldn't connect to server",
  // "GET /api/v1/runs: 500: internal error: ...", "GET /api/v1/runs: malformed answer: ...".
  std::string message;
};

// A decoded answer or an ApiError; the same shape as Result<T>.
template <class T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  ApiResult(ApiError error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  const ApiError& error() const { return std::get<ApiError>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

// One HTTP exchange. An Error only when no answer came back; any status is a value.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<http::ClientResponse> request(const std::string& method, const std::string& path,
                                               const std::string& body,
                                               std::chrono::milliseconds timeout) = 0;
};

// The real transport: an http::Client (libcurl, keep-alive) with the operator token.
std::unique_ptr<Transport> http_transport(const ClientConfig& config);

struct RetryOptions {
  std::chrono::milliseconds budget{20'000};  // time spent on one call's 503 retries, at most
  // Injected so tests need not wait; defaults: std::this_thread::sleep_for, steady_clock.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<std::chrono::steady_clock::time_point()> now;
};

// How long to wait before retry number `retry` (0-based) of a 503 when `elapsed` has already
// passed since the first attempt: 250 ms doubling up to 4 s, cut to what is left of `budget`;
// nullopt once the budget is spent or after 30 retries.
std::optional<std::chrono::milliseconds> retry_delay(int retry, std::chrono::milliseconds elapsed,
                                                     std::chrono::milliseconds budget);

// `s` percent-encoded for a query value: everything but A-Z a-z 0-9 - . _ ~ becomes %XX.
std::string url_encode(std::string_view s);

// Not thread-safe (one per thread), like the http::Client under it.
class OperatorClient {
 public:
  explicit OperatorClient(const ClientConfig& config);
  OperatorClient(std::unique_ptr<Transport> transport, RetryOptions retry);

  // GET /runs?limit=N: newest first.
  ApiResult<wire::RunList> list_runs(int limit);
  // GET /deliveries?repo=..&limit=..: recorded webhook deliveries, newest first ("" = all repos).
  ApiResult<wire::DeliveryList> list_deliveries(const std::string& repo, int limit);
  // GET /schedules?repo=R ("" = every repo).
  ApiResult<wire::ScheduleList> list_schedules(const std::string& repo);
  // POST /schedules/{id}: enable, or disable with a reason. Unknown: refused (404); gone or
  // no reason: refused (409).
  ApiResult<wire::ScheduleSummary> change_schedule(wire::Id id, const wire::ScheduleChange& change);
  // GET /drift?repo=R ("" = every repo).
  ApiResult<wire::DriftReport> drift(const std::string& repo);
  // GET /runs/{id}. No such run: refused (404).
  ApiResult<wire::RunDetail> show_run(wire::Id run);
  // GET /runs/{id}/logs?after=..&stack=..&wait_ms=..: chunks after `after`; with wait_ms > 0
  // the server holds the request until there is something new (or the wait passes).
  // `stack` "" = every stack.
  ApiResult<wire::LogPage> log_page(wire::Id run, wire::Id after, const std::string& stack,
                                    wire::Millis wait_ms);
  // POST /runs: the runs created (possibly none). An invalid pipeline: refused (422).
  ApiResult<wire::TriggerAnswer> trigger(const wire::TriggerRequest& request);
  // POST /runs/{id}/cancel.
  ApiResult<wire::CancelAnswer> cancel(wire::Id run, bool force);
  // POST /runs/{id}/approve.
  ApiResult<wire::ApproveAnswer> approve(wire::Id run, const std::string& stack,
                                         const std::string& approver);
  // POST /repos, POST /agents.
  ApiResult<wire::Created> register_repo(const wire::RepoRegistration& request);
  ApiResult<wire::AgentCredentials> register_agent(const wire::AgentRegistration& request);

 private:
  // One request with the 503 retries: the answer's body when 2xx, else the error.
  ApiResult<std::string> exchange(const std::string& method, const std::string& path,
                                  const std::string& body, std::chrono::milliseconds timeout);
  template <class T>
  ApiResult<T> call(const std::string& method, const std::string& path, const std::string& body,
                    Result<T> (*decode)(std::string_view),
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

  std::unique_ptr<Transport> transport_;
  RetryOptions retry_;
};

}  // namespace stackrun::client
