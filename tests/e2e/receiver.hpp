#pragma once
// A forge API and a chat webhook in one, on 127.0.0.1, for the e2e tests of statuses and
// notifications: records every request, answers 500 while `failing` (the default) and 201
// after stop_failing() (or from the start with Receiver(false)).
#include <mutex>
#include <string>
#include <vector>

#include "runner/http/http_test_support.hpp"

namespace stackrun::e2e {

struct Received {
  std::string path, authorization, body;
  int answered = 0;
};

// A forge API and a chat webhook in one: records every request and answers 500 while
// `failing`, then 201.
class Receiver {
 public:
  explicit Receiver(bool failing = true) : failing_(failing) {
    auto record = [this](const http::Request& r, http::Reply reply) {
      std::lock_guard lock(mu_);
      const int status = failing_ ? 500 : 201;
      all_.push_back({r.path, r.header("authorization"), r.body, status});
      reply(http::Response{status, "application/json", "{}", {}});
    };
    live_.server.route("POST", "/api/v1/repos/{owner}/{repo}/statuses/{sha}", record);
    live_.server.route("POST", "/hook", record);
  }
  std::string start() { return live_.start(); }
  const std::string& url() const { return live_.url(); }
  void stop_failing() {
    std::lock_guard lock(mu_);
    failing_ = false;
  }
  std::vector<Received> all() {
    std::lock_guard lock(mu_);
    return all_;
  }
  // The accepted requests whose path starts with `prefix`, in arrival order.
  std::vector<Received> accepted(const std::string& prefix) {
    std::vector<Received> out;
    for (const auto& r : all())
      if (r.answered == 201 && r.path.starts_with(prefix)) out.push_back(r);
    return out;
  }

 private:
  std::mutex mu_;
  bool failing_;
  std::vector<Received> all_;
  http::test_support::LiveServer live_;
};

}  // namespace stackrun::e2e
