// The API over real HTTP on 127.0.0.1, a real SQLite file and the run worker (with a FakeRepo
// standing in for git): protocol checks, waits that are events, clients that have gone, and
// store faults that answer 503 instead of killing the server.
#include "runner/server/api.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "runner/http/http_test_support.hpp"
#include "runner/server/tokens.hpp"
#include "runner/wire/protocol.hpp"
#include "tests/support/fake_repo.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

using http::test_support::LiveServer;
using http::test_support::wait_until;
using namespace std::chrono_literals;

const char* const kUrl = "https://forge.example/infra.git";
const char* const kApply = R"(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks}
tiers:
  - {name: all, parallelism: 4}
steps:
  - {name: apply, command: "terragrunt apply"}
)";

struct Cluster {
  CoordinatorOptions copts;
  testing::TempDir dir{"stackrun-api"};
  std::string db = (dir.path() / "db.sqlite").string();
  store::Store st{db, store::Db::Options{.read_only = false, .busy_timeout_ms = 200}};
  Coordinator coord{st, copts, wall_ms, [] { return 0.5; }};
  testing::FakeRepo repo;
  LiveServer live;
  std::unique_ptr<RunWorker> worker;
  std::shared_ptr<Api> api;
  std::vector<std::string> logged;
  std::mutex log_mu;
  std::atomic<int> idles{0};  // ApiOptions::on_idle calls
  const std::string op_token = "op-token", agent_token = "agent-token",
                    agent2_token = "agent2-token";

  explicit Cluster(CoordinatorOptions o = {30'000, 10'000}) : copts(o) {
    auto tx = st.begin();
    st.upsert_repo("infra", kUrl, "master", 1);
    st.ensure_api_token("ops", sha256_hex(op_token), 1);
    st.create_agent("agent-1", sha256_hex(agent_token), "", 2, 1);
    st.create_agent("agent-2", sha256_hex(agent2_token), "", 2, 1);
    tx.commit();
    repo.commit({{".stackrun/apply.yml", kApply}, {"stacks/a/terragrunt.hcl", "# a1\n"}});
    worker = std::make_unique<RunWorker>(
        db, repo.opener(kUrl),
        [this](std::function<void()> fn) { live.server.post(std::move(fn)); },
        [this](const std::vector<store::NewRun>& runs) { return insert_runs(*api, runs); });
    ApiOptions ao;
    ao.log = [this](const std::string& line) {
      std::lock_guard lk(log_mu);
      logged.push_back(line);
    };
    ao.idle_release = 50;
    ao.on_idle = [this] { ++idles; };
    api = install_routes(live.server, st, coord, *worker, wall_ms, ao);
    EXPECT_EQ(live.start(), "");
  }
  ~Cluster() { worker->stop(); }

  std::unique_ptr<http::Client> agent(const std::string& token, bool with_protocol = true) {
    auto c = std::make_unique<http::Client>(live.url(), token);
    if (with_protocol) c->set_header(wire::kProtocolHeader, std::to_string(wire::kProtocolVersion));
    return c;
  }
  std::unique_ptr<http::Client> operator_client() {
    return std::make_unique<http::Client>(live.url(), op_token);
  }

  // A push of a change to stacks/a; returns the run id.
  Id push() {
    repo.commit({{".stackrun/apply.yml", kApply},
                 {"stacks/a/terragrunt.hcl", "# a" + std::to_string(++pushes) + "\n"}});
    auto r =
        operator_client()->request("POST", "/api/v1/runs", wire::encode(wire::TriggerRequest{}));
    EXPECT_TRUE(r.ok() && r->status == 200) << http::test_support::outcome(r);
    auto answer = wire::decode_trigger_answer(r->body);
    EXPECT_TRUE(answer && answer->runs.size() == 1) << r->body;
    return answer->runs.at(0);
  }
  // Runs `fn` on the io thread (where the store lives) and returns its result.
  template <class Fn>
  auto on_io(Fn fn) {
    std::promise<decltype(fn())> p;
    auto f = p.get_future();
    live.server.post([&] { p.set_value(fn()); });
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }
  int pushes = 1;
};

Result<http::ClientResponse> claim(http::Client& c, Millis wait_ms,
                                   std::chrono::milliseconds timeout = 15s) {
  return c.request("POST", "/api/v1/agent/claim", wire::encode(wire::ClaimRequest{wait_ms, ""}),
                   timeout);
}

// The idle release runs once after requests that did work, and claims that found none (what an
// idle cluster's agents send, forever) neither end the idle spell nor start one.
TEST(Api, AnIdleServerReleasesMemoryOnceAfterWorkAndEmptyClaimsDoNotCount) {
  Cluster c;
  auto a = c.agent(c.agent_token);
  ASSERT_EQ(claim(*a, 0)->status, 204);
  std::this_thread::sleep_for(300ms);  // 6 idle_release periods
  EXPECT_EQ(c.idles.load(), 0) << "an empty claim is not work";

  ASSERT_EQ(c.operator_client()->request("GET", "/api/v1/runs")->status, 200);
  ASSERT_TRUE(wait_until([&] { return c.idles.load() == 1; }));
  ASSERT_EQ(claim(*a, 0)->status, 204);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(c.idles.load(), 1) << "once per idle spell";

  ASSERT_EQ(c.operator_client()->request("GET", "/api/v1/runs")->status, 200);
  ASSERT_TRUE(wait_until([&] { return c.idles.load() == 2; }));
}

TEST(Api, AgentRequestsNameTheirProtocolVersion) {
  Cluster c;
  auto none = claim(*c.agent(c.agent_token, false), 0);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 400);
  EXPECT_EQ(wire::error_text(none->body),
            "missing Stackrun-Protocol header: this server speaks protocol 3; run the same "
            "stackrun version on "
            "agents and server");
  auto old = c.agent(c.agent_token, false);
  old->set_header("Stackrun-Protocol", "1");
  auto v1 = claim(*old, 0);
  EXPECT_EQ(wire::error_text(v1->body),
            "agent speaks protocol 1, this server speaks protocol 3; run the same stackrun version "
            "on agents and "
            "server");
  auto ok = claim(*c.agent(c.agent_token), 0);
  EXPECT_EQ(ok->status, 204);
}

TEST(Api, BadBodiesAre400NamingTheField) {
  Cluster c;
  auto r = c.agent(c.agent_token)->request("POST", "/api/v1/agent/claim", R"({"wait_ms": "soon"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(wire::error_text(r->body), "claim: field \"wait_ms\": expected an integer");
  auto t = c.operator_client()->request("POST", "/api/v1/runs", R"({"event": "tag"})");
  EXPECT_EQ(t->status, 400);
  EXPECT_EQ(wire::error_text(t->body), "\"event\" must be push or manual, got \"tag\"");
  auto q = c.operator_client()->request("GET", "/api/v1/runs?limit=ten");
  EXPECT_EQ(q->status, 400);
}

TEST(Api, TheBearerSchemeIsCaseInsensitive) {
  Cluster c;
  http::Client lower(c.live.url());
  lower.set_header("Authorization", "bearer " + c.op_token);
  auto r = lower.request("GET", "/api/v1/runs");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  http::Client wrong(c.live.url());
  wrong.set_header("Authorization", "Basic " + c.op_token);
  EXPECT_EQ(wrong.request("GET", "/api/v1/runs")->status, 401);
}

TEST(Api, AParkedClaimIsAnsweredWhenARunIsCreated) {
  Cluster c;
  auto agent = c.agent(c.agent_token);
  auto parked = std::async(std::launch::async, [&] { return claim(*agent, 20'000, 30s); });
  ASSERT_EQ(parked.wait_for(300ms), std::future_status::timeout);  // nothing to offer yet
  const Id run = c.push();
  ASSERT_EQ(parked.wait_for(10s), std::future_status::ready);
  auto r = parked.get();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto offer = wire::decode_offer(r->body);
  ASSERT_TRUE(offer) << offer.error();
  EXPECT_EQ(offer->run_id, run);
  EXPECT_EQ(offer->stack, "stacks/a");
  EXPECT_EQ(offer->offer_ms, 10'000);
  EXPECT_EQ(offer->pipeline_yaml, kApply);
}

TEST(Api, AJobRunsThroughOfferStartHeartbeatLogsAndFinish) {
  Cluster c;
  const Id run = c.push();
  auto agent = c.agent(c.agent_token);
  auto offer = wire::decode_offer(claim(*agent, 0)->body);
  ASSERT_TRUE(offer);
  const wire::AttemptRef ref{offer->attempt_id, offer->epoch};
  // Another agent cannot start it; the right one can, twice (a retried start is answered).
  EXPECT_EQ(
      c.agent(c.agent2_token)->request("POST", "/api/v1/agent/start", wire::encode(ref))->status,
      403);
  EXPECT_EQ(agent->request("POST", "/api/v1/agent/start", wire::encode(ref))->status, 200);
  EXPECT_EQ(agent->request("POST", "/api/v1/agent/start", wire::encode(ref))->status, 200);
  auto beat = agent->request("POST", "/api/v1/agent/heartbeat", wire::encode(ref));
  ASSERT_EQ(beat->status, 200);
  EXPECT_FALSE(wire::decode_lease_answer(beat->body)->cancel);
  wire::LogBatch batch{ref.attempt_id, ref.epoch, {{0, "Apply complete!\n"}}};
  EXPECT_EQ(agent->request("POST", "/api/v1/agent/logs", wire::encode(batch))->status, 200);
  wire::FinishRequest fin;
  fin.attempt_id = ref.attempt_id;
  fin.epoch = ref.epoch;
  fin.seq_count = 1;
  fin.verdict.cls = core::Class::success;
  fin.verdict.rule = "exit:0";
  auto done = agent->request("POST", "/api/v1/agent/finish", wire::encode(fin));
  ASSERT_EQ(done->status, 200);
  EXPECT_FALSE(wire::decode_finish_answer(done->body)->idempotent);
  EXPECT_TRUE(wire::decode_finish_answer(
                  agent->request("POST", "/api/v1/agent/finish", wire::encode(fin))->body)
                  ->idempotent);
  auto shown = c.operator_client()->request("GET", "/api/v1/runs/" + std::to_string(run));
  auto detail = wire::decode_run_detail(shown->body);
  ASSERT_TRUE(detail) << detail.error();
  EXPECT_EQ(detail->run.status, core::RunStatus::success);
  ASSERT_EQ(detail->jobs.size(), 1u);
  ASSERT_EQ(detail->jobs[0].attempts.size(), 1u);
  EXPECT_EQ(detail->jobs[0].attempts[0].status, core::AttemptStatus::finished);
  EXPECT_EQ(detail->jobs[0].attempts[0].cls, core::Class::success);
}

// A finish that asks to claim gets the agent's next job with the report, in one request; the
// offer is as real as a claim's (it starts), and with nothing left there is no offer.
TEST(Api, AFinishCanClaimTheSlotsNextJob) {
  Cluster c;
  c.repo.commit({{".stackrun/apply.yml", kApply},
                 {"stacks/a/terragrunt.hcl", "# a2\n"},
                 {"stacks/b/terragrunt.hcl", "# b2\n"}});
  auto t =
      c.operator_client()->request("POST", "/api/v1/runs", wire::encode(wire::TriggerRequest{}));
  ASSERT_EQ(t->status, 200) << t->body;
  const Id run = wire::decode_trigger_answer(t->body)->runs.at(0);
  auto agent = c.agent(c.agent_token);
  const auto finish = [&](const wire::Offer& o, std::optional<std::string> labels) {
    const wire::AttemptRef ref{o.attempt_id, o.epoch};
    EXPECT_EQ(agent->request("POST", "/api/v1/agent/start", wire::encode(ref))->status, 200);
    wire::FinishRequest fin;
    fin.attempt_id = o.attempt_id;
    fin.epoch = o.epoch;
    fin.verdict.cls = core::Class::success;
    fin.claim_labels = std::move(labels);
    auto r = agent->request("POST", "/api/v1/agent/finish", wire::encode(fin));
    EXPECT_EQ(r->status, 200) << r->body;
    return *wire::decode_finish_answer(r->body);
  };
  auto first = wire::decode_offer(claim(*agent, 0)->body);
  ASSERT_TRUE(first) << first.error();
  const auto a1 = finish(*first, "");
  ASSERT_TRUE(a1.offer) << "the run's other job comes with the report";
  EXPECT_EQ(a1.offer->run_id, run);
  EXPECT_NE(a1.offer->stack, first->stack);
  const auto a2 = finish(*a1.offer, "");
  EXPECT_FALSE(a2.offer) << "nothing left to offer";
  EXPECT_FALSE(a2.idempotent);
  auto detail = wire::decode_run_detail(
      c.operator_client()->request("GET", "/api/v1/runs/" + std::to_string(run))->body);
  ASSERT_TRUE(detail) << detail.error();
  EXPECT_EQ(detail->run.status, core::RunStatus::success);
  EXPECT_EQ(claim(*agent, 0)->status, 204);
}

TEST(Api, AFinishWithoutClaimLeavesTheNextJobQueued) {
  Cluster c;
  c.repo.commit({{".stackrun/apply.yml", kApply},
                 {"stacks/a/terragrunt.hcl", "# a2\n"},
                 {"stacks/b/terragrunt.hcl", "# b2\n"}});
  ASSERT_EQ(c.operator_client()
                ->request("POST", "/api/v1/runs", wire::encode(wire::TriggerRequest{}))
                ->status,
            200);
  auto agent = c.agent(c.agent_token);
  auto first = wire::decode_offer(claim(*agent, 0)->body);
  ASSERT_TRUE(first) << first.error();
  const wire::AttemptRef ref{first->attempt_id, first->epoch};
  ASSERT_EQ(agent->request("POST", "/api/v1/agent/start", wire::encode(ref))->status, 200);
  wire::FinishRequest fin;
  fin.attempt_id = first->attempt_id;
  fin.epoch = first->epoch + 1;  // stale: refused, and so no claim either
  fin.verdict.cls = core::Class::success;
  fin.claim_labels = "";
  EXPECT_EQ(agent->request("POST", "/api/v1/agent/finish", wire::encode(fin))->status, 409);
  fin.epoch = first->epoch;
  fin.claim_labels.reset();
  auto done = agent->request("POST", "/api/v1/agent/finish", wire::encode(fin));
  ASSERT_EQ(done->status, 200);
  EXPECT_FALSE(wire::decode_finish_answer(done->body)->offer);
  auto next = wire::decode_offer(claim(*agent, 0)->body);
  ASSERT_TRUE(next) << "the other job is still there for a claim";
  EXPECT_NE(next->stack, first->stack);
}

TEST(Api, ALogFollowerIsWokenByANewLine) {
  Cluster c;
  const Id run = c.push();
  auto agent = c.agent(c.agent_token);
  auto offer = wire::decode_offer(claim(*agent, 0)->body);
  ASSERT_TRUE(offer);
  const wire::AttemptRef ref{offer->attempt_id, offer->epoch};
  ASSERT_EQ(agent->request("POST", "/api/v1/agent/start", wire::encode(ref))->status, 200);
  auto page = wire::decode_log_page(
      c.operator_client()
          ->request("GET", "/api/v1/runs/" + std::to_string(run) + "/logs?after=0")
          ->body);
  ASSERT_TRUE(page);
  const Id seen = page->next;
  auto follower = std::async(std::launch::async, [&] {
    return c.operator_client()->request("GET",
                                        "/api/v1/runs/" + std::to_string(run) + "/logs?after=" +
                                            std::to_string(seen) + "&wait_ms=20000",
                                        "", 30s);
  });
  ASSERT_EQ(follower.wait_for(300ms), std::future_status::timeout);  // nothing new yet
  wire::LogBatch batch{ref.attempt_id, ref.epoch, {{0, "Refreshing state...\n"}}};
  ASSERT_EQ(agent->request("POST", "/api/v1/agent/logs", wire::encode(batch))->status, 200);
  ASSERT_EQ(follower.wait_for(10s), std::future_status::ready);
  auto woke = wire::decode_log_page(follower.get()->body);
  ASSERT_TRUE(woke);
  ASSERT_EQ(woke->chunks.size(), 1u);
  EXPECT_EQ(woke->chunks[0].data, "Refreshing state...\n");
  EXPECT_EQ(woke->chunks[0].stack, "a");
  EXPECT_FALSE(woke->done);
}

TEST(Api, AClaimWhoseClientHasGoneIsNeverOffered) {
  Cluster c;
  auto gone = c.agent(c.agent_token);
  auto timed_out = claim(*gone, 20'000, 200ms);  // curl gives up and closes the connection
  ASSERT_FALSE(timed_out);
  // Give the server's io thread a moment to read the close (a wait, not a timing assertion:
  // without the peer-closed check the offer below goes to the dead claim however long we wait).
  std::this_thread::sleep_for(500ms);
  c.push();
  auto live_claim = claim(*c.agent(c.agent2_token), 5'000);
  ASSERT_TRUE(live_claim);
  ASSERT_EQ(live_claim->status, 200) << "the job went to a claim nobody was waiting for";
  EXPECT_EQ(wire::decode_offer(live_claim->body)->stack, "stacks/a");
}

TEST(Api, AStoreLockedByAnotherConnectionAnswers503AndTheServerRecovers) {
  Cluster c;
  store::Store holder(c.db);
  {
    auto lock = holder.begin();  // BEGIN IMMEDIATE: the write lock, held past the busy timeout
    auto r = c.operator_client()->request("POST", "/api/v1/agents",
                                          wire::encode(wire::AgentRegistration{"x", "", 1}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_NE(wire::error_text(r->body).find("store unavailable, retry later"), std::string::npos)
        << r->body;
    auto health = c.operator_client()->request("GET", "/api/v1/health");
    EXPECT_EQ(health->status, 200);
    auto beat =
        c.agent(c.agent_token)
            ->request("POST", "/api/v1/agent/heartbeat", wire::encode(wire::AttemptRef{1, 1}));
    EXPECT_EQ(beat->status, 503);
  }
  auto again = c.operator_client()->request("POST", "/api/v1/agents",
                                            wire::encode(wire::AgentRegistration{"x", "", 1}));
  EXPECT_EQ(again->status, 200);
  std::lock_guard lk(c.log_mu);
  EXPECT_FALSE(c.logged.empty());  // the fault was reported, not swallowed
}

TEST(Api, AnOversizePipelineIsRefusedWith422) {
  Cluster c;
  c.repo.commit(
      {{".stackrun/apply.yml", std::string(300 * 1024, '#')}, {"stacks/a/terragrunt.hcl", "x"}});
  auto r = c.operator_client()->request("POST", "/api/v1/runs", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_NE(wire::error_text(r->body).find("over the 256 KiB limit for pipeline files"),
            std::string::npos)
      << r->body;
}

TEST(Api, AnUnconfirmedOfferGoesToTheNextAgentAfterItExpires) {
  Cluster c({30'000, 300});  // offers expire after 300 ms
  c.push();
  auto first = claim(*c.agent(c.agent_token), 0);
  ASSERT_EQ(first->status, 200);  // offered, and never confirmed
  auto second = claim(*c.agent(c.agent2_token), 10'000, 20s);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 200) << "the expired offer did not return to the queue";
  auto offer = wire::decode_offer(second->body);
  EXPECT_EQ(offer->n, 1);  // the unconfirmed offer left no attempt behind
  EXPECT_GT(offer->epoch, wire::decode_offer(first->body)->epoch);
}

// The door: each route is refused from its headers (route, protocol, token, body limit) while
// the client has sent no body byte; raw sockets, since curl would send the body regardless.
TEST(Api, RefusedRequestsAreAnsweredBeforeTheirBodyIsSent) {
  using http::test_support::body_of;
  using http::test_support::RawConnection;
  using http::test_support::status_line;
  using http::test_support::upload_head;
  Cluster c;
  const std::string v2 = "Stackrun-Protocol: " + std::to_string(wire::kProtocolVersion) + "\r\n";
  const std::string agent = "Authorization: Bearer " + c.agent_token + "\r\n";
  const std::string op = "Authorization: Bearer " + c.op_token + "\r\n";
  struct Row {
    std::string path, headers;
    std::size_t length;
    std::string want_status, want_error;
  };
  const std::string four_mib_status = "HTTP/1.1 401 Unauthorized";
  const Row rows[] = {
      {"/api/v1/agent/logs", v2, 4 << 20, four_mib_status, "missing or unknown agent token"},
      {"/api/v1/agent/logs", v2 + "Authorization: Bearer forged\r\n", 4 << 20, four_mib_status,
       "missing or unknown agent token"},
      // An operator token is not an agent token, and the other way round.
      {"/api/v1/agent/finish", v2 + op, 200 << 10, four_mib_status,
       "missing or unknown agent token"},
      {"/api/v1/runs", agent, 60 << 10, four_mib_status,
       "missing or unknown API token (see client.json written by `stackrun up`)"},
      {"/api/v1/agents", "", 60 << 10, four_mib_status,
       "missing or unknown API token (see client.json written by `stackrun up`)"},
      {"/api/v1/agent/claim", agent, 1000, "HTTP/1.1 400 Bad Request",
       "missing Stackrun-Protocol header: this server speaks protocol 3; run the same stackrun "
       "version on agents and server"},
      {"/api/v1/nope", agent + v2, 4 << 20, "HTTP/1.1 404 Not Found",
       "no route for POST /api/v1/nope"},
      // Per-route limits, with valid credentials.
      {"/api/v1/agent/finish", agent + v2, (24 << 20) + 1, "HTTP/1.1 413 Payload Too Large",
       "request body larger than 25165824 bytes"},
      {"/api/v1/agent/heartbeat", agent + v2, (64 << 10) + 1, "HTTP/1.1 413 Payload Too Large",
       "request body larger than 65536 bytes"},
      {"/api/v1/agent/logs", agent + v2, (4 << 20) + 1, "HTTP/1.1 413 Payload Too Large",
       "request body larger than 4194304 bytes"},
      {"/api/v1/runs", op, (64 << 10) + 1, "HTTP/1.1 413 Payload Too Large",
       "request body larger than 65536 bytes"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.path + " " + std::to_string(row.length) + " " + row.headers);
    RawConnection conn(c.live.port());
    ASSERT_TRUE(conn.send(upload_head(row.path, row.length, row.headers)));
    const std::string raw = conn.read_until_close();
    EXPECT_EQ(status_line(raw), row.want_status) << raw;
    EXPECT_EQ(wire::error_text(body_of(raw)), row.want_error) << raw;
  }
  EXPECT_EQ(c.live.server.stats().body_bytes_read, 0u);

  // Positive control: the same head with the agent's token waits for the body and stores it.
  const Id run = c.push();
  auto client = c.agent(c.agent_token);
  auto offer = wire::decode_offer(claim(*client, 0)->body);
  ASSERT_TRUE(offer);
  const wire::AttemptRef ref{offer->attempt_id, offer->epoch};
  ASSERT_EQ(client->request("POST", "/api/v1/agent/start", wire::encode(ref))->status, 200);
  const std::string body =
      wire::encode(wire::LogBatch{ref.attempt_id, ref.epoch, {{0, "Apply complete!\n"}}});
  const auto read_before = c.live.server.stats().body_bytes_read;
  RawConnection logs(c.live.port());
  ASSERT_TRUE(logs.send(
      upload_head("/api/v1/agent/logs", body.size(), agent + v2 + "Connection: close\r\n")));
  ASSERT_TRUE(logs.send(body));
  const std::string raw = logs.read_until_close();
  EXPECT_EQ(status_line(raw), "HTTP/1.1 200 OK") << raw;
  EXPECT_EQ(body_of(raw), wire::encode(wire::LogAck{1}));
  EXPECT_EQ(c.live.server.stats().body_bytes_read - read_before, body.size());
  auto page = wire::decode_log_page(
      c.operator_client()->request("GET", "/api/v1/runs/" + std::to_string(run) + "/logs")->body);
  ASSERT_TRUE(page);
  std::string text;
  for (const auto& chunk : page->chunks) text += chunk.data;
  EXPECT_NE(text.find("Apply complete!\n"), std::string::npos) << text;
}

TEST(Api, HealthNeedsNoToken) {
  Cluster c;
  auto r = http::Client(c.live.url()).request("GET", "/api/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

}  // namespace
}  // namespace stackrun::server
