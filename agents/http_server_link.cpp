#include "agents/http_server_link.hpp"

#include <algorithm>
#include <memory>

#include "runner/wire/log_frames.hpp"

namespace stackrun::agent {
namespace {

constexpr std::chrono::milliseconds kRequestTimeout{10'000};
// Beyond the claim's own wait: the server answers 204 when the wait ends, so this only
// covers a slow network or a server that stopped answering.
constexpr std::chrono::milliseconds kClaimSlack{10'000};

}  // namespace

HttpServerLink::HttpServerLink(std::string server_url, std::string token)
    : client_(std::move(server_url), std::move(token)) {
  client_.set_header(wire::kProtocolHeader, std::to_string(wire::kProtocolVersion));
}

template <class T, class Decode>
LinkResult<T> HttpServerLink::post(const char* route, const std::string& body,
                                   std::chrono::milliseconds timeout, Decode decode,
                                   const char* content_type) {
  const std::string path = std::string("/api/v1/agent/") + route;
  auto r = client_.request("POST", path, body, timeout, content_type);
  if (!r) return LinkResult<T>::unavailable(r.error());
  const int status = r->status;
  if (status == 200) {
    Result<T> value = decode(r->body);
    if (!value)
      return LinkResult<T>::unavailable("unreadable answer to " + path + ": " + value.error(), 200);
    return LinkResult<T>::of(std::move(*value));
  }
  if (status == 204) return LinkResult<T>::nothing();
  if (status >= 400 && status < 500)
    return LinkResult<T>::refused(status, wire::error_text(r->body));
  return LinkResult<T>::unavailable("server answered " + std::to_string(status) + " to " + path +
                                        ": " + wire::error_text(r->body),
                                    status);
}

LinkResult<wire::Offer> HttpServerLink::claim(const wire::ClaimRequest& request,
                                              std::stop_token stop) {
  // A fresh Interrupt per claim: it is one-way, and only this request may be cut short.
  auto interrupt = std::make_shared<http::Interrupt>();
  client_.set_interrupt(interrupt);
  LinkResult<wire::Offer> r;
  {
    // Runs trigger() on the thread that requests the stop (at once if it already was); its
    // destructor waits for a trigger() in progress, so `interrupt` outlives it.
    std::stop_callback wake(stop, [&interrupt] { interrupt->trigger(); });
    r = post<wire::Offer>(
        "claim", wire::encode(request),
        std::chrono::milliseconds(std::max<wire::Millis>(request.wait_ms, 0)) + kClaimSlack,
        wire::decode_offer);
  }
  client_.set_interrupt(nullptr);
  return r;
}

LinkResult<wire::LeaseAnswer> HttpServerLink::start(const wire::AttemptRef& attempt) {
  return post<wire::LeaseAnswer>("start", wire::encode(attempt), kRequestTimeout,
                                 wire::decode_lease_answer);
}

LinkResult<wire::LeaseAnswer> HttpServerLink::heartbeat(const wire::AttemptRef& attempt) {
  return post<wire::LeaseAnswer>("heartbeat", wire::encode(attempt), kRequestTimeout,
                                 wire::decode_lease_answer);
}

LinkResult<wire::LogAck> HttpServerLink::logs(const wire::LogBatch& batch) {
  // Framed, not JSON: the step's bytes go as they are (wire/log_frames.hpp).
  wire::encode_frames(batch, log_body_);
  return post<wire::LogAck>("logs", log_body_, kRequestTimeout, wire::decode_log_ack,
                            wire::kLogFramesType);
}

LinkResult<wire::FinishAnswer> HttpServerLink::finish(const wire::FinishRequest& report) {
  return post<wire::FinishAnswer>("finish", wire::encode(report), kRequestTimeout,
                                  wire::decode_finish_answer);
}

}  // namespace stackrun::agent
