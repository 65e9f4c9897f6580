// The log routes over real HTTP on 127.0.0.1 and a real SQLite file: chunk size limit, logs
// refused once an attempt is over, and pages bounded by bytes.
#include <gtest/gtest.h>

#include "runner/http/http_test_support.hpp"
#include "runner/server/api.hpp"
#include "runner/server/tokens.hpp"
#include "runner/wire/log_frames.hpp"
#include "runner/wire/protocol.hpp"
#include "tests/support/fake_repo.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::server {
namespace {

using http::test_support::LiveServer;

const char* const kUrl = "https://forge.example/infra.git";
const char* const kApply = R"(version: 1
name: apply
kind: apply
when:
  - event: push
stacks: {root: stacks}
steps:
  - {name: apply, command: "terragrunt apply"}
)";

// A server with one repo, one agent and one operator token; one push makes one run.
struct LogServer {
  testing::TempDir dir{"stackrun-api-logs"};
  std::string db = (dir.path() / "db.sqlite").string();
  store::Store st{db};
  Coordinator coord{st, CoordinatorOptions{}, wall_ms, [] { return 0.5; }};
  testing::FakeRepo repo;
  LiveServer live;
  std::unique_ptr<RunWorker> worker;
  std::shared_ptr<Api> api;

  LogServer() {
    auto tx = st.begin();
    st.upsert_repo("infra", kUrl, "master", 1);
    st.ensure_api_token("ops", sha256_hex("op-token"), 1);
    st.create_agent("agent-1", sha256_hex("agent-token"), "", 1, 1);
    tx.commit();
    repo.commit({{".stackrun/apply.yml", kApply}, {"stacks/a/terragrunt.hcl", "# a1\n"}});
    repo.commit({{".stackrun/apply.yml", kApply}, {"stacks/a/terragrunt.hcl", "# a2\n"}});
    worker = std::make_unique<RunWorker>(
        db, repo.opener(kUrl),
        [this](std::function<void()> fn) { live.server.post(std::move(fn)); },
        [this](const std::vector<store::NewRun>& runs) { return insert_runs(*api, runs); });
    ApiOptions ao;
    ao.log = [](const std::string&) {};
    api = install_routes(live.server, st, coord, *worker, wall_ms, ao);
    EXPECT_EQ(live.start(), "");
  }
  ~LogServer() { worker->stop(); }

  std::unique_ptr<http::Client> agent() {
    auto c = std::make_unique<http::Client>(live.url(), "agent-token");
    c->set_header(wire::kProtocolHeader, std::to_string(wire::kProtocolVersion));
    return c;
  }
  std::unique_ptr<http::Client> op() {
    return std::make_unique<http::Client>(live.url(), "op-token");
  }

  // Pushes, claims and starts the run's only job. Returns the run id and the attempt.
  std::pair<Id, wire::AttemptRef> started() {
    auto r = op()->request("POST", "/api/v1/runs", wire::encode(wire::TriggerRequest{}));
    EXPECT_TRUE(r && r->status == 200) << http::test_support::outcome(r);
    const Id run = wire::decode_trigger_answer(r->body)->runs.at(0);
    auto a = agent();
    auto claim = a->request("POST", "/api/v1/agent/claim", wire::encode(wire::ClaimRequest{0, ""}));
    auto offer = wire::decode_offer(claim->body);
    EXPECT_TRUE(offer) << claim->body;
    const wire::AttemptRef ref{offer->attempt_id, offer->epoch};
    EXPECT_EQ(a->request("POST", "/api/v1/agent/start", wire::encode(ref))->status, 200);
    return {run, ref};
  }
  int send(const wire::AttemptRef& ref, std::vector<wire::LogChunk> chunks,
           std::string* body = nullptr) {
    auto r = agent()->request("POST", "/api/v1/agent/logs",
                              wire::encode(wire::LogBatch{ref.attempt_id, ref.epoch, chunks}));
    EXPECT_TRUE(r) << http::test_support::outcome(r);
    if (body) *body = r->body;
    return r->status;
  }
  // POSTs `body` as log frames (what agents send).
  int send_frames(const std::string& body, std::string* answer = nullptr) {
    auto r = agent()->request("POST", "/api/v1/agent/logs", body, std::chrono::seconds(30),
                              wire::kLogFramesType);
    EXPECT_TRUE(r) << http::test_support::outcome(r);
    if (answer) *answer = r->body;
    return r->status;
  }
  void finish(const wire::AttemptRef& ref) {
    wire::FinishRequest fin;
    fin.attempt_id = ref.attempt_id;
    fin.epoch = ref.epoch;
    fin.verdict.cls = core::Class::success;
    fin.verdict.rule = "exit:0";
    ASSERT_EQ(agent()->request("POST", "/api/v1/agent/finish", wire::encode(fin))->status, 200);
  }
  // GET a page with ?format=<format>: {status, body, content type is not checked}.
  std::pair<int, std::string> raw_page(Id run, Id after, const std::string& format) {
    auto r = op()->request("GET", "/api/v1/runs/" + std::to_string(run) +
                                      "/logs?after=" + std::to_string(after) + "&format=" + format);
    EXPECT_TRUE(r) << http::test_support::outcome(r);
    return {r->status, r->body};
  }
  wire::LogPage page(Id run, Id after) {
    auto r = op()->request(
        "GET", "/api/v1/runs/" + std::to_string(run) + "/logs?after=" + std::to_string(after));
    EXPECT_TRUE(r && r->status == 200) << http::test_support::outcome(r);
    auto p = wire::decode_log_page(r->body);
    EXPECT_TRUE(p) << p.error();
    return *p;
  }
};

TEST(ApiLogs, AChunkOverTheLimitIs400AndNothingOfItsBatchIsStored) {
  LogServer s;
  const auto [run, ref] = s.started();
  std::string body;
  EXPECT_EQ(s.send(ref, {{0, "fine\n"}, {1, std::string(kMaxLogChunkBytes + 1, 'x')}}, &body), 400);
  EXPECT_EQ(wire::error_text(body),
            "logs: chunk 1 holds 524289 bytes, over the limit of 524288 per chunk; split it");
  EXPECT_EQ(s.send(ref, {{0, std::string(kMaxLogChunkBytes, 'y')}}), 200);
  const auto p = s.page(run, 0);
  std::size_t out = 0;
  for (const auto& c : p.chunks)
    if (c.stream == "out") out += c.data.size();
  EXPECT_EQ(out, kMaxLogChunkBytes);
}

// A fenced or late agent cannot add to an attempt that is over (the agent ships all its output
// before it reports).
TEST(ApiLogs, LogsForAnAttemptThatIsOverAre409) {
  LogServer s;
  const auto [run, ref] = s.started();
  EXPECT_EQ(s.send(ref, {{0, "Apply complete!\n"}}), 200);
  EXPECT_EQ(s.send({ref.attempt_id, ref.epoch + 1}, {{1, "stale epoch\n"}}), 409);
  s.finish(ref);
  std::string body;
  EXPECT_EQ(s.send(ref, {{1, "after the report\n"}}, &body), 409);
  EXPECT_EQ(wire::error_text(body), "attempt is no longer running under this epoch (fenced)");
  for (const auto& c : s.page(run, 0).chunks) EXPECT_EQ(c.data.find("after"), std::string::npos);
}

TEST(ApiLogs, APageHoldsAtMostItsByteBudgetAndIsNotDoneUntilTheLast) {
  LogServer s;
  const auto [run, ref] = s.started();
  const std::size_t chunk = 400 * 1024;
  for (std::int64_t seq = 0; seq < 6; ++seq)  // 2.4 MB of output, one chunk per request
    ASSERT_EQ(s.send(ref, {{seq, std::string(chunk, static_cast<char>('a' + seq))}}), 200);
  s.finish(ref);
  std::string all;
  Id after = 0;
  int pages = 0;
  for (; pages < 20; ++pages) {  // bounded
    const auto p = s.page(run, after);
    std::size_t bytes = 0;
    for (const auto& c : p.chunks) {
      bytes += c.data.size();
      if (c.stream == "out") all += c.data;
    }
    EXPECT_LE(bytes, static_cast<std::size_t>(kLogPageBytes)) << pages;
    after = p.next;
    if (p.done) break;
    EXPECT_FALSE(p.chunks.empty()) << pages;
  }
  EXPECT_GE(pages, 2);  // 2.4 MB cannot come in fewer than three 1 MiB pages
  ASSERT_EQ(all.size(), 6 * chunk);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(all[i * chunk], static_cast<char>('a' + i));
}

// Frames carry the step's bytes as they are, both ways: what JSON would escape or replace
// (control characters, a NUL, invalid UTF-8) comes back byte for byte.
TEST(ApiLogs, FramesGoInAndComeOutByteForByte) {
  LogServer s;
  const auto [run, ref] = s.started();
  const std::string raw("\x1b[1mbold\x00\xff\xfe \"q\" \\\n", 19);
  const std::string second = "Apply complete!\n";
  std::string answer;
  ASSERT_EQ(s.send_frames(wire::encode_frames(
                              wire::LogBatch{ref.attempt_id, ref.epoch, {{0, raw}, {1, second}}}),
                          &answer),
            200);
  EXPECT_EQ(wire::decode_log_ack(answer)->acked, 2);
  s.finish(ref);
  const auto [status, body] = s.raw_page(run, 0, "frames");
  ASSERT_EQ(status, 200);
  auto p = wire::decode_page_frames(body);
  ASSERT_TRUE(p) << p.error();
  EXPECT_TRUE(p->done);
  std::string out;
  for (const auto& c : p->chunks)
    if (c.stream == "out") out += c.data;
  EXPECT_EQ(out, raw + second);
  // The same chunks as JSON: the invalid bytes replaced, the rest equal.
  std::string json_out;
  for (const auto& c : s.page(run, 0).chunks)
    if (c.stream == "out") json_out += c.data;
  EXPECT_EQ(json_out.find("\xff"), std::string::npos);
  EXPECT_NE(json_out.find("Apply complete!"), std::string::npos);
}

TEST(ApiLogs, MalformedFramesAre400AndStoreNothing) {
  LogServer s;
  const auto [run, ref] = s.started();
  std::string body = wire::encode_frames(
      wire::LogBatch{ref.attempt_id, ref.epoch, {{0, "first\n"}, {1, "second\n"}}});
  body.pop_back();  // the last frame is one byte short
  std::string answer;
  EXPECT_EQ(s.send_frames(body, &answer), 400);
  EXPECT_EQ(wire::error_text(answer), "log frames: frame 2: 7 bytes announced, 6 left");
  const auto [status, text] = s.raw_page(run, 0, "yaml");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(wire::error_text(text), "format: expected json or frames, not \"yaml\"");
  for (const auto& c : s.page(run, 0).chunks) EXPECT_NE(c.stream, "out");
}

}  // namespace
}  // namespace stackrun::server
