#pragma once
// Inside the API only: the Api object shared by api.cpp (plumbing, waits), api_agent.cpp and
// api_operator.cpp (the routes). Everything here runs on the io thread.
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "runner/server/api.hpp"
#include "runner/wire/protocol.hpp"

namespace stackrun::server {

http::Response json_response(int status, std::string body);
// A log page, as JSON or (`frames`: ?format=frames) as log frames (wire/log_frames.hpp).
http::Response page_response(const wire::LogPage& page, bool frames);
http::Response error_response(int status, const std::string& message);
// 200 with `ok_body`, or the error status an outcome means (409 fenced, 403, 404).
http::Response outcome_response(Outcome o, std::string ok_body);
// The bearer token of a request ("" when absent); the scheme is matched case-insensitively.
std::string bearer_token(const http::Request& req);

class Api : public std::enable_shared_from_this<Api> {
 public:
  Api(http::Server& h, store::Store& s, Coordinator& c, RunWorker& w, std::function<Millis()> clk,
      ApiOptions o);

  // Runs `fn`, answering 503 when the store fails (the server keeps serving) and, after it,
  // waking whoever the coordinator's changes concern.
  void guarded(const http::Reply& reply, const std::function<void()>& fn);
  // After a coordinator call: wake parked claims and log followers, re-arm the timer.
  void after_change();
  // The request being handled found no work (an empty claim): it does not end an idle spell.
  void quiet() { quiet_ = true; }
  void log(const std::string& line) const;

  // --- auth
  std::optional<store::AgentRow> agent(const http::Request& req, const http::Reply& reply);
  bool operator_ok(const http::Request& req, const http::Reply& reply);

  // --- agent routes (api_agent.cpp)
  void claim(const http::Request& req, http::Reply reply);
  void start(const http::Request& req, const http::Reply& reply);
  void heartbeat(const http::Request& req, const http::Reply& reply);
  void logs(const http::Request& req, const http::Reply& reply);
  void finish(const http::Request& req, const http::Reply& reply);

  // --- operator routes (api_operator.cpp)
  void add_repo(const http::Request& req, const http::Reply& reply);
  void add_agent(const http::Request& req, const http::Reply& reply);
  void trigger(const http::Request& req, http::Reply reply);
  void list_runs(const http::Request& req, const http::Reply& reply);
  void show_run(const http::Request& req, const http::Reply& reply);
  void run_logs(const http::Request& req, http::Reply reply);
  void cancel(const http::Request& req, const http::Reply& reply);
  void approve(const http::Request& req, const http::Reply& reply);

  // --- schedules and drift (api_schedules.cpp)
  void list_schedules(const http::Request& req, const http::Reply& reply);
  void change_schedule(const http::Request& req, const http::Reply& reply);
  void drift(const http::Request& req, const http::Reply& reply);

  // --- webhook intake (api_hooks.cpp)
  void hook(const http::Request& req, const http::Reply& reply);
  void list_deliveries(const http::Request& req, const http::Reply& reply);

  // --- waits (api.cpp)
  void park_claim(store::AgentRow agent, Millis wait_ms,
                  std::shared_ptr<const std::atomic<bool>> closed, http::Reply reply);
  void park_follower(Id run, Id after, std::string stack, bool frames, Millis wait_ms,
                     std::shared_ptr<const std::atomic<bool>> closed, http::Reply reply);
  // The log page after `after`, or nullopt when there is nothing new and the run goes on.
  std::optional<wire::LogPage> log_page(Id run, Id after, const std::string& stack,
                                        bool answer_empty);
  void dispatch_claims();
  void wake_followers(const std::set<Id>& runs);
  void arm_timer();
  void on_timer(Millis armed_for);
  // Arms the timer 1 s from now (a store fault: look again soon).
  void retry_soon();
  void reopen_store();
  // Counts a request that did work and arms the idle release (ApiOptions::idle_release) unless
  // armed; when it fires after more work, it re-arms for the newest.
  void note_work();
  void arm_release(std::uint64_t seen);

  http::Server& http;
  store::Store& store;
  Coordinator& coord;
  RunWorker& worker;
  std::function<Millis()> clock;
  ApiOptions options;

 private:
  struct ParkedClaim {
    store::AgentRow agent;
    std::shared_ptr<const std::atomic<bool>> closed;
    http::Reply reply;
  };
  struct Follower {
    Id run = 0, after = 0;
    std::string stack;
    bool frames = false;  // answer in log frames, not JSON
    std::shared_ptr<const std::atomic<bool>> closed;
    http::Reply reply;
  };
  std::map<std::uint64_t, ParkedClaim> claims_;  // FIFO by id
  std::map<std::uint64_t, Follower> followers_;
  std::uint64_t next_waiter_ = 0;
  std::optional<Millis> armed_for_;  // the deadline the timer is armed for
  bool quiet_ = false;               // the request being handled did no work
  std::uint64_t work_ = 0;           // requests that did work
  bool release_armed_ = false;
};

// The door of POST /hooks/{source} (api_hooks.cpp): an unknown source is answered 404 and a
// body announced over forge::kMaxBodyBytes 413 (recorded) before any byte of the body is read.
http::RouteOptions hook_door(std::weak_ptr<Api> weak);

// Row -> wire views (views.cpp).
wire::RunSummary summary_of(const store::RunRow& r);
// plans_of: a job's latest saved plan (the destroy guard), asked only of jobs that have one.
wire::RunDetail detail_of(const store::RunRow& r, const std::vector<store::JobRow>& jobs,
                          const std::function<std::vector<store::AttemptRow>(Id)>& attempts_of,
                          const std::function<std::optional<store::SavedPlanRow>(Id)>& plans_of);
wire::Offer offer_of(const Claimed& c, const CoordinatorOptions& o);

}  // namespace stackrun::server
