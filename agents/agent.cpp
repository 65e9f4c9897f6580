#include "agents/agent.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agents/job.hpp"
#include "agents/line_buffer.hpp"
#include "pipelines/classifier_rules.hpp"
#include "pipelines/loader.hpp"
#include "runner/core/classify.hpp"
#include "runner/git/repo.hpp"
#include "runner/http/http.hpp"
#include "runner/proc/launch.hpp"
#include "runner/proc/process.hpp"

namespace stackrun::agent {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

void log_line(const AgentOptions& o, const std::string& msg) {
  std::fprintf(stderr, "stackrun agent %s: %s\n", o.name.c_str(), msg.c_str());
}

ClaimedJob parse_claim(const json& j) {
  ClaimedJob c;
  c.attempt_id = j.value("attempt_id", std::int64_t{0});
  c.job_id = j.value("job_id", std::int64_t{0});
  c.run_id = j.value("run_id", std::int64_t{0});
  c.epoch = j.value("epoch", std::int64_t{0});
  c.lease_ms = j.value("lease_ms", std::int64_t{30'000});
  c.n = j.value("n", 1);
  for (auto [field, key] : {std::pair{&c.repo_url, "repo_url"}, {&c.commit, "commit"}, {&c.ref, "ref"},
                            {&c.stack, "stack"}, {&c.label, "label"}, {&c.tier, "tier"}, {&c.kind, "kind"},
                            {&c.event, "event"}, {&c.pipeline, "pipeline"}, {&c.pipeline_file, "pipeline_file"},
                            {&c.pipeline_yaml, "pipeline_yaml"}, {&c.message, "message"}})
    *field = j.value(key, "");
  return c;
}

std::string cache_name(const std::string& url) {
  std::string s;
  for (char c : url) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (s.size() > 80) s = s.substr(s.size() - 80);
  return s + ".git";
}

// One claimed attempt: a side thread ships logs and heartbeats while the slot thread runs
// the steps. Shared state is guarded by mu_.
class Session {
 public:
  Session(const AgentOptions& o, ClaimedJob job) : o_(o), job_(std::move(job)) {
    side_ = std::thread([this] { side_loop(); });
  }
  ~Session() {
    {
      std::lock_guard lk(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    if (side_.joinable()) side_.join();
  }

  void output(std::string_view bytes) {
    std::lock_guard lk(mu_);
    for (auto& c : lines_.add(bytes)) pending_.push_back({next_seq_++, std::move(c)});
  }
  void note(const std::string& line) { output("[stackrun] " + line + "\n"); }

  bool should_stop() {
    std::lock_guard lk(mu_);
    return cancel_ || fenced_ || self_fenced_;
  }
  bool fenced() {
    std::lock_guard lk(mu_);
    return fenced_;
  }
  bool self_fenced() {
    std::lock_guard lk(mu_);
    return self_fenced_;
  }
  bool cancelled() {
    std::lock_guard lk(mu_);
    return cancel_;
  }

  // Sends every buffered line; true when all were acknowledged (bounded wait).
  bool drain(std::chrono::seconds limit) {
    {
      std::lock_guard lk(mu_);
      auto tail = lines_.flush();
      if (!tail.empty()) pending_.push_back({next_seq_++, std::move(tail)});
      draining_ = true;
    }
    cv_.notify_all();
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [this] { return pending_.empty() || fenced_; }) && pending_.empty();
  }

  std::int64_t seq_count() {
    std::lock_guard lk(mu_);
    return next_seq_;
  }

 private:
  struct Chunk {
    std::int64_t seq;
    std::string data;
  };

  void side_loop() {
    http::Client client(o_.server_url, o_.token);
    const auto beat_every = std::chrono::milliseconds(std::max<std::int64_t>(200, job_.lease_ms / 3));
    auto last_beat = Clock::now() - beat_every;
    auto last_ok = Clock::now();
    auto retry_delay = std::chrono::milliseconds(200);
    for (;;) {
      std::vector<Chunk> batch;
      {
        std::unique_lock lk(mu_);
        // Wake early only to close, or to flush promptly once the job's output has ended.
        cv_.wait_for(lk, retry_delay, [this] { return closing_ || (draining_ && !pending_.empty() && !failing_); });
        failing_ = false;
        if (closing_) return;
        std::size_t bytes = 0;
        for (const auto& c : pending_) {
          if (bytes > 256 * 1024) break;
          batch.push_back(c);
          bytes += c.data.size();
        }
      }
      if (!batch.empty()) {
        json chunks = json::array();
        for (const auto& c : batch) chunks.push_back({{"seq", c.seq}, {"data", c.data}});
        auto r = client.request("POST", "/api/v1/agent/logs",
                                json{{"attempt_id", job_.attempt_id}, {"epoch", job_.epoch}, {"chunks", chunks}}
                                    .dump(-1, ' ', false, json::error_handler_t::replace),
                                std::chrono::seconds(10));
        std::lock_guard lk(mu_);
        if (r && r->status == 200) {
          pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(batch.size()));
          retry_delay = std::chrono::milliseconds(200);
        } else if (r && r->status >= 400 && r->status < 500) {
          fenced_ = true;  // the server will never take these; stop trying
        } else {
          failing_ = true;  // server down or restarting: keep the lines, retry with backoff
          retry_delay = std::min(retry_delay * 2, std::chrono::milliseconds(2000));
        }
        if (pending_.empty() || fenced_) cv_.notify_all();
      }
      if (Clock::now() - last_beat >= beat_every) {
        last_beat = Clock::now();
        auto r = client.request("POST", "/api/v1/agent/heartbeat",
                                json{{"attempt_id", job_.attempt_id}, {"epoch", job_.epoch}}.dump(),
                                std::chrono::seconds(5));
        std::lock_guard lk(mu_);
        if (r && r->status == 200) {
          last_ok = Clock::now();
          auto body = json::parse(r->body, nullptr, false);
          if (!body.is_discarded() && body.value("cancel", false) && !cancel_) {
            cancel_ = true;
            log_line(o_, "run " + std::to_string(job_.run_id) + " cancelled: stopping " + job_.stack);
          }
        } else if (r && r->status >= 400 && r->status < 500) {
          if (!fenced_) log_line(o_, "attempt " + std::to_string(job_.attempt_id) + " fenced by the server (" +
                                         std::to_string(r->status) + "): stopping " + job_.stack);
          fenced_ = true;
          cv_.notify_all();
        } else if (Clock::now() - last_ok > std::chrono::milliseconds(job_.lease_ms) && !self_fenced_) {
          // Self-fencing: the server may already have declared this attempt lost; stop
          // gracefully rather than keep changing state nobody is tracking.
          self_fenced_ = true;
          log_line(o_, "no heartbeat accepted for a whole lease: stopping " + job_.stack);
        }
      }
    }
  }

  const AgentOptions& o_;
  ClaimedJob job_;
  std::mutex mu_;
  std::condition_variable cv_;
  LineBuffer lines_;
  std::vector<Chunk> pending_;
  std::int64_t next_seq_ = 0;
  bool cancel_ = false, fenced_ = false, self_fenced_ = false, closing_ = false, draining_ = false, failing_ = false;
  std::thread side_;
};

struct Outcome {
  int exit_code = 0;
  core::Verdict verdict;
};

Outcome run_steps(const AgentOptions& o, const ClaimedJob& job, Session& s, const fs::path& workspace) {
  Outcome out;
  auto loaded = pipelines::load_pipeline(job.pipeline_yaml, job.pipeline_file);
  if (!loaded.pipeline) {
    out.exit_code = 1;
    out.verdict = {core::Class::fatal, "agent.pipeline", loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].str(), 0, {}};
    return out;
  }
  auto classifier = core::Classifier::create(pipelines::rule_specs(*loaded.pipeline));
  if (!classifier) {
    out.exit_code = 1;
    out.verdict = {core::Class::fatal, "agent.classify-rules", classifier.error(), 0, {}};
    return out;
  }
  auto runner = proc::make_process_runner();
  const Env base = proc::current_environment();
  Env ci = ci_variables(job);
  for (const auto& step : loaded.pipeline->steps) {
    Env overrides = ci;
    overrides.insert(overrides.end(), step.env.begin(), step.env.end());
    const fs::path cwd = workspace / job.stack / step.dir;
    auto launch = proc::make_shell_launch(step.command, base, overrides, cwd.string(), step.timeout, o.grace);
    s.note(job.kind + " " + job.stack + " @ " + job.commit.substr(0, 12) + " step \"" + step.name + "\"");
    s.output("$ " + step.command + "\n");
    std::string captured;
    constexpr std::size_t kKeep = 64u << 20;
    auto r = runner->run(
        launch,
        [&](std::string_view bytes) {
          s.output(bytes);
          captured.append(bytes);
          if (captured.size() > kKeep) captured.erase(0, captured.size() - kKeep);
        },
        [&] { return s.should_stop(); });
    if (!r) {
      out.exit_code = 127;
      out.verdict = {core::Class::fatal, "agent.spawn", r.error(), 0, {}};
      s.note(r.error());
      return out;
    }
    out.exit_code = r->exit_code;
    out.verdict = classifier->classify(captured, r->exit_code, step.exit_codes);
    if (r->timed_out) {
      out.verdict = {core::Class::fatal, "agent.timeout",
                     "step \"" + step.name + "\" timed out after " + core::format_duration(step.timeout), 0, {}};
    } else if (s.self_fenced()) {
      out.verdict = {core::Class::fatal, "agent.self-fenced",
                     "stopped: the server did not accept a heartbeat for a whole lease", 0, {}};
    }
    if (out.verdict.cls != core::Class::success || r->stopped) break;
  }
  return out;
}

void execute(const AgentOptions& o, const ClaimedJob& job) {
  log_line(o, "claimed " + job.kind + " of " + job.stack + " (run " + std::to_string(job.run_id) + ", attempt " +
                  std::to_string(job.n) + ")");
  Session session(o, job);
  const fs::path workspace = fs::path(o.work_dir) / "jobs" / ("attempt-" + std::to_string(job.attempt_id));
  Outcome out;
  const std::string cache = (fs::path(o.work_dir) / "cache" / cache_name(job.repo_url)).string();
  std::error_code ec;
  fs::remove_all(workspace, ec);
  auto fetched = git::ensure_commit(job.repo_url, cache, job.commit);
  auto checked = fetched ? git::checkout_commit(cache, job.commit, workspace.string()) : fetched;
  if (!checked) {
    session.note("checkout failed: " + checked.error());
    out.exit_code = 1;
    out.verdict = {core::Class::transient, "agent.checkout", checked.error(), 0, {}};
  } else {
    out = run_steps(o, job, session, workspace);
  }
  const bool drained = session.drain(std::chrono::seconds(600));
  if (!o.keep_workspaces) fs::remove_all(workspace, ec);
  if (session.fenced()) {
    log_line(o, "attempt " + std::to_string(job.attempt_id) + " was fenced; not reporting it");
    return;
  }
  if (!drained) log_line(o, "could not deliver every log line of attempt " + std::to_string(job.attempt_id));
  json verdict{{"class", core::to_string(out.verdict.cls)},
               {"rule", out.verdict.rule},
               {"line", out.verdict.line},
               {"line_no", out.verdict.line_no}};
  if (out.verdict.lock) {
    const auto& l = *out.verdict.lock;
    verdict["lock"] = {{"id", l.id},   {"path", l.path},       {"operation", l.operation}, {"who", l.who},
                       {"version", l.version}, {"created", l.created}, {"info", l.info}};
  }
  const std::string body = json{{"attempt_id", job.attempt_id},
                                {"epoch", job.epoch},
                                {"exit_code", out.exit_code},
                                {"stopped", session.cancelled()},
                                {"seq_count", session.seq_count()},
                                {"verdict", verdict}}
                               .dump(-1, ' ', false, json::error_handler_t::replace);
  http::Client client(o.server_url, o.token);
  // The report must land: retry through server restarts, bounded to 10 minutes.
  const auto deadline = Clock::now() + std::chrono::minutes(10);
  auto delay = std::chrono::milliseconds(200);
  while (Clock::now() < deadline) {
    auto r = client.request("POST", "/api/v1/agent/finish", body, std::chrono::seconds(10));
    if (r && r->status < 500) {
      if (r->status != 200) log_line(o, "finish of attempt " + std::to_string(job.attempt_id) + " refused: " + r->body);
      log_line(o, "finished " + job.stack + ": " + std::string(core::to_string(out.verdict.cls)));
      return;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
  log_line(o, "gave up reporting attempt " + std::to_string(job.attempt_id));
}

void slot_loop(const AgentOptions& o, const std::atomic<bool>& stop, std::atomic<bool>& unauthorized) {
  http::Client client(o.server_url, o.token);
  auto delay = std::chrono::milliseconds(200);
  while (!stop && !unauthorized) {
    auto r = client.request("POST", "/api/v1/agent/claim", json{{"wait_ms", o.claim_wait_ms}, {"labels", o.labels}}.dump(),
                            std::chrono::milliseconds(o.claim_wait_ms + 10'000));
    if (!r || r->status >= 500) {
      // Server down or restarting: back off (bounded) and reconnect.
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(2000));
      continue;
    }
    delay = std::chrono::milliseconds(200);
    if (r->status == 204) continue;
    if (r->status == 401 || r->status == 403) {
      log_line(o, "server refused this agent's token: " + r->body);
      unauthorized = true;
      return;
    }
    if (r->status != 200) {
      log_line(o, "unexpected claim answer " + std::to_string(r->status) + ": " + r->body);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) continue;
    execute(o, parse_claim(j));
  }
}

}  // namespace

int run_agent(const AgentOptions& o, const std::atomic<bool>& stop) {
  std::atomic<bool> unauthorized{false};
  std::vector<std::thread> slots;
  for (int i = 0; i < std::max(1, o.capacity); ++i) slots.emplace_back([&] { slot_loop(o, stop, unauthorized); });
  for (auto& t : slots) t.join();
  return unauthorized ? 1 : 0;
}

}  // namespace stackrun::agent
