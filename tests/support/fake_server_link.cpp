#include "tests/support/fake_server_link.hpp"

#include <atomic>
#include <map>

namespace stackrun::testing {

// One agent-side link to a FakeServer.
class FakeServerLink : public agent::ServerLink {
 public:
  explicit FakeServerLink(FakeServer& s) : s_(s) {}

  agent::LinkResult<wire::Offer> claim(const wire::ClaimRequest& request,
                                       std::stop_token stop) override {
    Use use(*this);
    std::unique_lock lk(s_.mu_);
    s_.claims_.push_back(request);
    s_.routes_.push_back("claim");
    ++s_.parked_;
    s_.changed();
    const bool answered = s_.cv_.wait(lk, stop, [this] { return !s_.claim_q_.empty(); });
    --s_.parked_;
    if (!answered) {
      ++s_.interrupted_;
      s_.changed();
      return agent::LinkResult<wire::Offer>::unavailable("fake: interrupted");
    }
    auto r = std::move(s_.claim_q_.front());
    s_.claim_q_.pop_front();
    s_.changed();
    return r;
  }

  agent::LinkResult<wire::LeaseAnswer> start(const wire::AttemptRef& a) override {
    Use use(*this);
    std::lock_guard lk(s_.mu_);
    s_.starts_.push_back(a);
    s_.routes_.push_back("start");
    return s_.next(s_.start_q_, s_.start_default_);
  }

  agent::LinkResult<wire::LeaseAnswer> heartbeat(const wire::AttemptRef& a) override {
    Use use(*this);
    std::lock_guard lk(s_.mu_);
    s_.beats_.push_back(a);
    s_.routes_.push_back("heartbeat");
    return s_.next(s_.beat_q_, s_.beat_default_);
  }

  agent::LinkResult<wire::LogAck> logs(const wire::LogBatch& batch) override {
    Use use(*this);
    std::lock_guard lk(s_.mu_);
    auto r = s_.next(s_.logs_q_, s_.logs_default_);
    if (r.ok()) r.value.acked = static_cast<std::int64_t>(batch.chunks.size());
    s_.logs_.push_back({batch, r.answer});
    s_.routes_.push_back("logs");
    return r;
  }

  agent::LinkResult<wire::FinishAnswer> finish(const wire::FinishRequest& report) override {
    Use use(*this);
    std::lock_guard lk(s_.mu_);
    s_.finishes_.push_back(report);
    s_.routes_.push_back("finish");
    return s_.next(s_.finish_q_, agent::LinkResult<wire::FinishAnswer>::of({}));
  }

 private:
  // Marks the link busy for one call, counting a call that finds it busy already.
  struct Use {
    explicit Use(FakeServerLink& l) : link(l) {
      if (link.busy_.exchange(true)) {
        std::lock_guard lk(link.s_.mu_);
        ++link.s_.concurrent_;
      }
    }
    ~Use() { link.busy_ = false; }
    FakeServerLink& link;
  };

  FakeServer& s_;
  std::atomic<bool> busy_{false};
};

template <class T>
FakeServer::R<T> FakeServer::next(std::deque<R<T>>& queue, const R<T>& fallback) {
  R<T> r = fallback;
  if (!queue.empty()) {
    r = std::move(queue.front());
    queue.pop_front();
  }
  changed();
  return r;
}

void FakeServer::changed() {
  ++version_;
  cv_.notify_all();
}

template <class V>
V FakeServer::locked(const V& member) const {
  std::lock_guard lk(mu_);
  return member;
}

template <class Q, class A>
void FakeServer::add(Q& queue, A answer) {
  std::lock_guard lk(mu_);
  queue.push_back(std::move(answer));
  changed();
}

template <class D, class A>
void FakeServer::set(D& fallback, A answer) {
  std::lock_guard lk(mu_);
  fallback = std::move(answer);
  changed();
}

void FakeServer::push_claim(R<wire::Offer> a) {
  add(claim_q_, std::move(a));
}
void FakeServer::push_start(R<wire::LeaseAnswer> a) {
  add(start_q_, std::move(a));
}
void FakeServer::push_heartbeat(R<wire::LeaseAnswer> a) {
  add(beat_q_, std::move(a));
}
void FakeServer::push_logs(R<wire::LogAck> a) {
  add(logs_q_, std::move(a));
}
void FakeServer::push_finish(R<wire::FinishAnswer> a) {
  add(finish_q_, std::move(a));
}
void FakeServer::set_start_default(R<wire::LeaseAnswer> a) {
  set(start_default_, std::move(a));
}
void FakeServer::set_heartbeat_default(R<wire::LeaseAnswer> a) {
  set(beat_default_, std::move(a));
}
void FakeServer::set_logs_default(R<wire::LogAck> a) {
  set(logs_default_, std::move(a));
}

std::vector<wire::ClaimRequest> FakeServer::claims() const {
  return locked(claims_);
}
std::vector<wire::AttemptRef> FakeServer::starts() const {
  return locked(starts_);
}
std::vector<wire::AttemptRef> FakeServer::heartbeats() const {
  return locked(beats_);
}
std::vector<FakeServer::LogsCall> FakeServer::logs() const {
  return locked(logs_);
}
std::vector<wire::FinishRequest> FakeServer::finishes() const {
  return locked(finishes_);
}
std::vector<std::string> FakeServer::routes() const {
  return locked(routes_);
}
int FakeServer::parked() const {
  return locked(parked_);
}
int FakeServer::interrupted() const {
  return locked(interrupted_);
}
int FakeServer::links_made() const {
  return locked(links_);
}
int FakeServer::concurrent_uses() const {
  return locked(concurrent_);
}

std::string FakeServer::accepted_log(std::string* problem) const {
  std::lock_guard lk(mu_);
  std::map<std::int64_t, std::string> by_seq;
  auto fail = [&](const std::string& why) {
    if (problem) *problem = why;
    return std::string();
  };
  for (const auto& call : logs_) {
    if (call.answer != agent::Answer::ok) continue;
    for (const auto& c : call.batch.chunks)
      if (!by_seq.emplace(c.seq, c.data).second)
        return fail("seq " + std::to_string(c.seq) + " accepted twice");
  }
  std::string out;
  std::int64_t expect = 0;
  for (const auto& [seq, data] : by_seq) {
    if (seq != expect) return fail("seq " + std::to_string(expect) + " missing");
    out += data;
    ++expect;
  }
  return out;
}

bool FakeServer::wait_until(const std::function<bool()>& done,
                            std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lk(mu_);
      seen = version_;
    }
    if (done()) return true;
    std::unique_lock lk(mu_);
    if (!cv_.wait_until(lk, deadline, [&] { return version_ != seen; })) {
      lk.unlock();
      return done();
    }
  }
}

agent::LinkFactory FakeServer::factory() {
  return [this]() -> std::unique_ptr<agent::ServerLink> {
    std::lock_guard lk(mu_);
    ++links_;
    return std::make_unique<FakeServerLink>(*this);
  };
}

}  // namespace stackrun::testing
