#pragma once
// How the agent talks to the server: one method per agent route of schema/protocol.md, in wire
// types. The real link is HttpServerLink (http_server_link.hpp); tests script a FakeServer
// (tests/support/fake_server_link.hpp). This header knows nothing of HTTP or JSON.
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>

#include "runner/wire/protocol.hpp"

namespace stackrun::agent {

// How one request ended, as far as the agent's decisions go.
enum class Answer {
  ok,           // 200 with a readable body: `value` holds it
  none,         // 204: nothing to offer (claim)
  refused,      // 4xx: the server will never take this request as sent
  unavailable,  // 5xx, transport error, interrupted, or an unreadable body: may work later
};

inline std::string_view to_string(Answer a) {
  switch (a) {
    case Answer::ok:
      return "ok";
    case Answer::none:
      return "none";
    case Answer::refused:
      return "refused";
    case Answer::unavailable:
      return "unavailable";
  }
  return "?";
}

template <class T>
struct LinkResult {
  Answer answer = Answer::unavailable;
  T value{};         // meaningful only when answer == ok
  int status = 0;    // HTTP status; 0 for a transport error or an interrupted request
  std::string text;  // refused/unavailable: the server's error text or the transport error

  bool ok() const { return answer == Answer::ok; }
  static LinkResult of(T v) { return {Answer::ok, std::move(v), 200, ""}; }
  static LinkResult nothing() { return {Answer::none, T{}, 204, ""}; }
  static LinkResult refused(int status, std::string text) {
    return {Answer::refused, T{}, status, std::move(text)};
  }
  static LinkResult unavailable(std::string text, int status = 0) {
    return {Answer::unavailable, T{}, status, std::move(text)};
  }
};

// One agent's connection to the server. Not thread-safe: a link is used by one thread at a
// time (the agent makes one per thread that talks to the server, see LinkFactory). Every call
// blocks until the server answers, the link's own timeout passes, or (claim only) `stop`.
class ServerLink {
 public:
  virtual ~ServerLink() = default;
  // POST /agent/claim, long-polling up to request.wait_ms: ok = an offer to confirm with
  // start(); none = nothing to do. Once `stop` is requested (also before the call) it returns
  // unavailable promptly, with text ending in "interrupted"; an offer lost that way expires on
  // the server.
  virtual LinkResult<wire::Offer> claim(const wire::ClaimRequest& request,
                                        std::stop_token stop) = 0;
  // POST /agent/start: confirms an offer. refused 404/409: the offer expired or was withdrawn.
  virtual LinkResult<wire::LeaseAnswer> start(const wire::AttemptRef& attempt) = 0;
  // POST /agent/heartbeat. refused (409 and any 4xx): the attempt is fenced.
  virtual LinkResult<wire::LeaseAnswer> heartbeat(const wire::AttemptRef& attempt) = 0;
  // POST /agent/logs (idempotent per seq). refused: fenced.
  virtual LinkResult<wire::LogAck> logs(const wire::LogBatch& batch) = 0;
  // POST /agent/finish (idempotent: a repeat answers idempotent=true).
  virtual LinkResult<wire::FinishAnswer> finish(const wire::FinishRequest& report) = 0;
};

// Makes a new link. run_agent calls it on its own thread, before the slots start.
using LinkFactory = std::function<std::unique_ptr<ServerLink>()>;

}  // namespace stackrun::agent
