#pragma once
// The real ServerLink: the wire codec over one http::Client. Every request carries the bearer
// token and `Stackrun-Protocol: <wire::kProtocolVersion>` (the server answers 400 without it).
#include <chrono>
#include <string>

#include "agents/server_link.hpp"
#include "runner/http/http.hpp"

namespace stackrun::agent {

class HttpServerLink final : public ServerLink {
 public:
  // `server_url` e.g. "http://127.0.0.1:8480"; `token` this agent's bearer token.
  HttpServerLink(std::string server_url, std::string token);

  // Times out at request.wait_ms + 10 s (the server answers 204 when the wait ends). `stop`
  // triggers an http::Interrupt made for this call, so only the claim is cut short: a stopping
  // agent still heartbeats, ships logs and reports the jobs it runs.
  LinkResult<wire::Offer> claim(const wire::ClaimRequest& request, std::stop_token stop) override;
  // The others time out after 10 s.
  LinkResult<wire::LeaseAnswer> start(const wire::AttemptRef& attempt) override;
  LinkResult<wire::LeaseAnswer> heartbeat(const wire::AttemptRef& attempt) override;
  LinkResult<wire::LogAck> logs(const wire::LogBatch& batch) override;
  LinkResult<wire::FinishAnswer> finish(const wire::FinishRequest& report) override;

 private:
  // POSTs `body` to /api/v1/agent/<route> and sorts the answer; `decode` reads a 200 body.
  template <class T, class Decode>
  LinkResult<T> post(const char* route, const std::string& body, std::chrono::milliseconds timeout,
                     Decode decode, const char* content_type = "application/json");

  http::Client client_;
  std::string log_body_;  // reused: a batch is megabytes (see SpoolReader::buf_)
};

}  // namespace stackrun::agent
