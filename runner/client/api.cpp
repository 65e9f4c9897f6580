#include "runner/client/api.hpp"

#include <algorithm>
#include <thread>

#include "runner/wire/log_frames.hpp"

namespace stackrun::client {
namespace {

using std::chrono::milliseconds;

constexpr const char* kApi = "/api/v1";
constexpr int kMaxRetries = 30;

class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(const ClientConfig& c) : client_(c.server, c.token) {}
  Result<http::ClientResponse> request(const std::string& method, const std::string& path,
                                       const std::string& body, milliseconds timeout) override {
    return client_.request(method, path, body, timeout);
  }

 private:
  http::Client client_;
};

RetryOptions with_defaults(RetryOptions r) {
  if (!r.sleep) r.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
  if (!r.now) r.now = [] { return std::chrono::steady_clock::now(); };
  return r;
}

}  // namespace

std::unique_ptr<Transport> http_transport(const ClientConfig& config) {
  return std::make_unique<HttpTransport>(config);
}

std::optional<milliseconds> retry_delay(int retry, milliseconds elapsed, milliseconds budget) {
  if (retry < 0 || retry >= kMaxRetries || elapsed >= budget) return std::nullopt;
  const milliseconds backoff(250LL << std::min(retry, 4));  // 250, 500, 1000, 2000, 4000...
  return std::min(backoff, budget - elapsed);
}

std::string url_encode(std::string_view s) {
  static const char* const hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

OperatorClient::OperatorClient(const ClientConfig& config)
    : OperatorClient(http_transport(config), RetryOptions{}) {}

OperatorClient::OperatorClient(std::unique_ptr<Transport> transport, RetryOptions retry)
    : transport_(std::move(transport)), retry_(with_defaults(std::move(retry))) {}

ApiResult<std::string> OperatorClient::exchange(const std::string& method, const std::string& path,
                                                const std::string& body, milliseconds timeout) {
  const auto start = retry_.now();
  for (int retry = 0;; ++retry) {  // bounded by retry_delay: count and budget
    auto r = transport_->request(method, path, body, timeout);
    if (!r) return ApiError{ApiFailure::unreachable, 0, r.error()};
    const int status = r->status;
    if (status >= 200 && status < 300) return std::move(r->body);
    const std::string text = wire::error_text(r->body);
    if (status >= 400 && status < 500) return ApiError{ApiFailure::refused, status, text};
    const std::string what = method + " " + path + ": " + std::to_string(status) + ": " + text;
    if (status != 503) return ApiError{ApiFailure::server, status, what};
    const auto elapsed = std::chrono::duration_cast<milliseconds>(retry_.now() - start);
    const auto delay = retry_delay(retry, elapsed, retry_.budget);
    if (!delay) {
      return ApiError{ApiFailure::unavailable, status,
                      what + " (still unavailable after retrying for " +
                          std::to_string(elapsed.count() / 1000) + " s)"};
    }
    retry_.sleep(*delay);
  }
}

template <class T>
ApiResult<T> OperatorClient::call(const std::string& method, const std::string& path,
                                  const std::string& body, Result<T> (*decode)(std::string_view),
                                  milliseconds timeout) {
  auto r = exchange(method, kApi + path, body, timeout);
  if (!r) return r.error();
  auto m = decode(*r);
  if (!m) {
    return ApiError{ApiFailure::server, 200,
                    method + " " + kApi + path + ": malformed answer: " + m.error()};
  }
  return std::move(*m);
}

ApiResult<wire::RunList> OperatorClient::list_runs(int limit) {
  return call("GET", "/runs?limit=" + std::to_string(limit), "", wire::decode_run_list);
}

ApiResult<wire::DeliveryList> OperatorClient::list_deliveries(const std::string& repo, int limit) {
  std::string path = "/deliveries?limit=" + std::to_string(limit);
  if (!repo.empty()) path += "&repo=" + url_encode(repo);
  return call("GET", path, "", wire::decode_delivery_list);
}

ApiResult<wire::ScheduleList> OperatorClient::list_schedules(const std::string& repo) {
  return call("GET", "/schedules" + (repo.empty() ? "" : "?repo=" + url_encode(repo)), "",
              wire::decode_schedule_list);
}

ApiResult<wire::ScheduleSummary> OperatorClient::change_schedule(
    wire::Id id, const wire::ScheduleChange& change) {
  return call("POST", "/schedules/" + std::to_string(id), wire::encode(change),
              wire::decode_schedule_summary);
}

ApiResult<wire::DriftReport> OperatorClient::drift(const std::string& repo) {
  return call("GET", "/drift" + (repo.empty() ? "" : "?repo=" + url_encode(repo)), "",
              wire::decode_drift_report);
}

ApiResult<wire::RunDetail> OperatorClient::show_run(wire::Id run) {
  return call("GET", "/runs/" + std::to_string(run), "", wire::decode_run_detail);
}

ApiResult<wire::LogPage> OperatorClient::log_page(wire::Id run, wire::Id after,
                                                  const std::string& stack, wire::Millis wait_ms) {
  std::string path = "/runs/" + std::to_string(run) + "/logs?after=" + std::to_string(after) +
                     "&wait_ms=" + std::to_string(wait_ms) + "&format=frames";
  if (!stack.empty()) path += "&stack=" + url_encode(stack);
  // The server may hold the request for wait_ms: the timeout must outlast it. Frames: a page
  // is megabytes of output, read as it is rather than unescaped from JSON.
  return call("GET", path, "", wire::decode_page_frames, milliseconds(wait_ms + 15'000));
}

ApiResult<wire::TriggerAnswer> OperatorClient::trigger(const wire::TriggerRequest& request) {
  return call("POST", "/runs", wire::encode(request), wire::decode_trigger_answer);
}

ApiResult<wire::CancelAnswer> OperatorClient::cancel(wire::Id run, bool force) {
  return call("POST", "/runs/" + std::to_string(run) + "/cancel",
              wire::encode(wire::CancelRequest{force}), wire::decode_cancel_answer);
}

ApiResult<wire::ApproveAnswer> OperatorClient::approve(wire::Id run, const std::string& stack,
                                                       const std::string& approver) {
  return call("POST", "/runs/" + std::to_string(run) + "/approve",
              wire::encode(wire::ApproveRequest{stack, approver}), wire::decode_approve_answer);
}

ApiResult<wire::Created> OperatorClient::register_repo(const wire::RepoRegistration& request) {
  return call("POST", "/repos", wire::encode(request), wire::decode_created);
}

ApiResult<wire::AgentCredentials> OperatorClient::register_agent(
    const wire::AgentRegistration& request) {
  return call("POST", "/agents", wire::encode(request), wire::decode_agent_credentials);
}

}  // namespace stackrun::client
