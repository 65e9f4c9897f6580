#pragma once
// FakeServer: the server side of agent tests. It scripts the answers of the agent routes and
// records every request; factory() hands the agent FakeServerLinks that talk to it. Each link
// checks the ServerLink contract (used by one thread at a time). Thread-safe.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "agents/server_link.hpp"

namespace stackrun::testing {

class FakeServer {
 public:
  template <class T>
  using R = agent::LinkResult<T>;

  // Answers are used in call order, per route. With a route's queue empty: a claim parks until
  // an answer is pushed or its stop is requested (then: unavailable "fake: interrupted");
  // the others give their default, at first ok (LeaseAnswer{}, LogAck{batch size},
  // FinishAnswer{}).
  void push_claim(R<wire::Offer> answer);
  void push_offer(const wire::Offer& offer) { push_claim(R<wire::Offer>::of(offer)); }
  void push_start(R<wire::LeaseAnswer> answer);
  void push_heartbeat(R<wire::LeaseAnswer> answer);
  void push_logs(R<wire::LogAck> answer);
  void push_finish(R<wire::FinishAnswer> answer);
  void set_start_default(R<wire::LeaseAnswer> answer);
  void set_heartbeat_default(R<wire::LeaseAnswer> answer);
  void set_logs_default(R<wire::LogAck> answer);

  struct LogsCall {
    wire::LogBatch batch;
    agent::Answer answer;  // what the fake answered
  };
  std::vector<wire::ClaimRequest> claims() const;
  std::vector<wire::AttemptRef> starts() const;
  std::vector<wire::AttemptRef> heartbeats() const;
  std::vector<LogsCall> logs() const;
  std::vector<wire::FinishRequest> finishes() const;
  std::vector<std::string> routes() const;  // the route of every request, in order
  int parked() const;                       // claims waiting now
  int interrupted() const;                  // claims ended by their stop
  int links_made() const;
  int concurrent_uses() const;  // calls that entered a link already in use (a contract breach)
  // The data of the chunks the fake accepted, in seq order; "" if a seq is missing or was
  // accepted twice (then `problem` says which).
  std::string accepted_log(std::string* problem = nullptr) const;

  // Waits until `done()` holds, checking after every request and answer; false once `limit`
  // passed. `done` may call the accessors above.
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) const;

  agent::LinkFactory factory();

 private:
  friend class FakeServerLink;
  template <class T>
  R<T> next(std::deque<R<T>>& queue, const R<T>& fallback);
  void changed();  // caller holds mu_
  template <class V>
  V locked(const V& member) const;
  template <class Q, class A>
  void add(Q& queue, A answer);
  template <class D, class A>
  void set(D& fallback, A answer);

  mutable std::mutex mu_;
  mutable std::condition_variable_any cv_;
  std::uint64_t version_ = 0;  // bumped by every change
  std::deque<R<wire::Offer>> claim_q_;
  std::deque<R<wire::LeaseAnswer>> start_q_, beat_q_;
  std::deque<R<wire::LogAck>> logs_q_;
  std::deque<R<wire::FinishAnswer>> finish_q_;
  R<wire::LeaseAnswer> start_default_ = R<wire::LeaseAnswer>::of({});
  R<wire::LeaseAnswer> beat_default_ = R<wire::LeaseAnswer>::of({});
  R<wire::LogAck> logs_default_ = R<wire::LogAck>::of({});
  std::vector<wire::ClaimRequest> claims_;
  std::vector<wire::AttemptRef> starts_, beats_;
  std::vector<LogsCall> logs_;
  std::vector<wire::FinishRequest> finishes_;
  std::vector<std::string> routes_;
  int parked_ = 0, interrupted_ = 0, links_ = 0, concurrent_ = 0;
};

}  // namespace stackrun::testing
