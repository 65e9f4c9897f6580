// Hostile output on real processes: a step printing 300 MB (agent memory stays flat, the output
// up to the agent's cap is stored once and in order, then one truncation line), a 50 MB line
// (stored in bounded chunks, read back whole), 300,000 short lines before the verdict (the
// finish lands), a step whose agent is killed -9 mid-apply (the step is not SIGPIPEd, finishes
// under its supervisor, leaves no stray; a restarted agent resumes and reports it), and what
// descriptors a step sees. Every wait is bounded; the one numeric bound is on memory, not time.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "runner/http/http.hpp"
#include "tests/e2e/harness.hpp"

namespace stackrun::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::seconds;

// The pipeline of these tests: `command` on every changed stack.
std::string pipeline(const std::string& command, const std::string& extra = "") {
  std::string indented;
  std::istringstream in(command);
  for (std::string line; std::getline(in, line);) indented += "      " + line + "\n";
  return "version: 1\nname: apply\nkind: apply\nwhen:\n  - event: push\n"
         "stacks: {root: stacks, select: changed}\ntiers:\n  - {name: all, parallelism: 2}\n"
         "steps:\n  - name: out\n" +
         extra + "    command: |\n" + indented;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Peak resident memory (VmHWM) of `pid` in KiB; -1 if unreadable.
long long peak_rss_kib(pid_t pid) {
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  return -1;
}

// True once `pid` has exited (a zombie counts: nobody may be left to reap it).
bool process_gone(long long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

bool eventually(const std::function<bool()>& pred, seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

struct StoredChunk {
  std::string stream, data;
};

// Every stored chunk of `label`'s job in run `run`, read page by page over the API.
std::vector<StoredChunk> stored_chunks(const Cluster& c, long long run, const std::string& label) {
  http::Client op(c.server_url(), c.operator_token());
  std::vector<StoredChunk> out;
  long long after = 0;
  for (int page = 0; page < 100'000; ++page) {  // bounded: a page holds at least one chunk
    auto r = op.request("GET",
                        "/api/v1/runs/" + std::to_string(run) +
                            "/logs?after=" + std::to_string(after) + "&stack=" + label,
                        "", seconds(60));
    if (!r || r->status != 200) throw std::runtime_error("logs page failed");
    const json p = json::parse(r->body);
    for (const auto& ch : p["chunks"])
      out.push_back({ch.value("stream", ""), ch.value("data", "")});
    if (p.value("done", false) || p["chunks"].empty()) break;
    after = p.value("next", after);
  }
  return out;
}

// The output the agent shipped for `label`: its "out" chunks, concatenated.
std::string shipped(const std::vector<StoredChunk>& chunks) {
  std::string out;
  for (const auto& ch : chunks)
    if (ch.stream == "out") out += ch.data;
  return out;
}

// A step printing 300 MB: the agent's peak memory grows by at most 16 MiB, and the server holds
// the first 128 MiB (the default --max-output) of the attempt's output exactly once, in order,
// in chunks of at most 256 KiB, then one truncation line; the step's success still lands.
TEST(E2eOutput, ThreeHundredMegabytesKeepAgentMemoryFlatAndStoreUpToTheCapOnce) {
  const std::string line = "stackrun output line 0123456789 abcdefghijklmnopqrstuvwxyz";
  Cluster c(pipeline("yes '" + line + "' | head -c 300000000"));
  c.start_server("30s");
  const pid_t agent = c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  std::this_thread::sleep_for(seconds(1));  // the idle agent's own peak, before any output
  const long long idle_kib = peak_rss_kib(agent);
  ASSERT_GT(idle_kib, 0);
  const long long run = c.trigger_push();
  const json r = c.wait_run(run, seconds(240));
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  const json& att = job_of(r, "grafana")["attempts"][0];
  EXPECT_EQ(att.value("status", ""), "finished");
  const long long peak_kib = peak_rss_kib(agent);
  EXPECT_LE(peak_kib - idle_kib, 16 * 1024)
      << "agent peak RSS grew from " << idle_kib << " KiB to " << peak_kib << " KiB";

  const auto chunks = stored_chunks(c, run, "grafana");
  for (const auto& ch : chunks) ASSERT_LE(ch.data.size(), 256u * 1024) << "a chunk too big";
  const std::string out = shipped(chunks);
  const std::size_t cap = 128u << 20;
  const std::string marker = "[stackrun] output truncated after " + std::to_string(cap) +
                             " bytes (the agent's --max-output); the rest stays in the agent's "
                             "spool until the attempt ends\n";
  ASSERT_GT(out.size(), cap);
  EXPECT_EQ(out.substr(cap), "\n" + marker) << "the cap cuts a line: the marker starts a new one";
  // The cap's bytes: the step's header lines, then `yes` output, every byte once and in order.
  const std::string head = "$ yes '" + line + "' | head -c 300000000\n";
  const std::size_t start = out.find(head);
  ASSERT_NE(start, std::string::npos) << out.substr(0, 300);
  EXPECT_EQ(out.rfind("[stackrun] apply stacks/grafana @ ", 0), 0u) << out.substr(0, 300);
  const std::string unit = line + "\n";
  bool same = true;
  for (std::size_t at = start + head.size(), k = 0; at < cap; ++at, ++k)
    if (out[at] != unit[k % unit.size()]) {
      same = false;
      ADD_FAILURE() << "stored output differs at byte " << at;
      break;
    }
  EXPECT_TRUE(same);
}

// A single 50 MB line is stored in chunks of at most 256 KiB and `stackrun logs` prints it
// back as one whole line.
TEST(E2eOutput, FiftyMegabyteLineIsStoredInChunksAndReadBackWhole) {
  Cluster c(pipeline("head -c 50000000 /dev/zero | tr '\\0' x\necho\necho after"));
  c.start_server("30s");
  c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  const json r = c.wait_run(run, seconds(240));
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  const auto chunks = stored_chunks(c, run, "grafana");
  std::size_t pieces = 0;
  for (const auto& ch : chunks) {
    ASSERT_LE(ch.data.size(), 256u * 1024);
    pieces += ch.data.find('x') != std::string::npos;
  }
  EXPECT_GE(pieces, 50'000'000u / (256u * 1024)) << "the line went in many chunks";
  const auto logs = c.cli({"logs", std::to_string(run), "--stack", "grafana"}, seconds(240));
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  const std::string whole = "[grafana] " + std::string(50'000'000, 'x') + "\n";
  const std::size_t at = logs.out.find("[grafana] xxx");
  ASSERT_NE(at, std::string::npos);
  EXPECT_TRUE(logs.out.compare(at, whole.size(), whole) == 0) << "the line is not whole";
  EXPECT_NE(logs.out.find("[grafana] after\n"), std::string::npos);
}

// 300,000 short lines (5.6 MB) before the step ends: the verdicts land, success for one stack
// and fatal (with its error line) for the other; neither attempt is interrupted.
TEST(E2eOutput, ManyShortLinesBeforeTheVerdictStillLetTheFinishLand) {
  Cluster c(pipeline(
      "i=0; seq 1 300000 | sed 's/^/copying file/'\n"
      "if [ \"$STACKRUN_STACK_LABEL\" = immich ]; then echo 'Error: disk full'; exit 1; fi\n"));
  c.start_server("30s");
  c.start_agent("a1", 2);
  c.commit_change({"stacks/grafana/terragrunt.hcl", "stacks/immich/terragrunt.hcl"});
  const long long run = c.trigger_push();
  const json r = c.wait_run(run, seconds(240));
  const json& ok = job_of(r, "grafana");
  const json& bad = job_of(r, "immich");
  EXPECT_EQ(ok.value("status", ""), "success") << r.dump(2);
  ASSERT_EQ(ok["attempts"].size(), 1u) << r.dump(2);
  EXPECT_EQ(ok["attempts"][0].value("status", ""), "finished");
  EXPECT_EQ(bad.value("status", ""), "failed") << r.dump(2);
  ASSERT_EQ(bad["attempts"].size(), 1u) << r.dump(2);
  EXPECT_EQ(bad["attempts"][0].value("status", ""), "finished");
  EXPECT_EQ(bad["attempts"][0].value("class", ""), "fatal");
  EXPECT_EQ(bad["attempts"][0].value("line", ""), "Error: disk full");
  EXPECT_EQ(bad["attempts"][0].value("line_no", 0), 300'001) << "counted in the whole output";
}

// kill -9 of the agent mid-apply. The step goes on (writing after the agent died: no SIGPIPE),
// finishes under its supervisor, which records its exit status and kills the background child
// it left; the agent restarted on the same work dir within the lease resumes the attempt:
// ships the rest of the output, reports success, removes the attempt's directory.
TEST(E2eOutput, AgentKilledMidApplyStepFinishesAndTheRestartedAgentReportsIt) {
  testing::TempDir marks("stackrun-e2e-marks");
  const std::string gate = (marks.path() / "gate").string();
  const std::string done = (marks.path() / "done").string();
  Cluster c(
      pipeline("echo \"started $$\"\nsleep 300 & echo \"background $!\"\n"
               "while [ ! -e '" +
               gate +
               "' ]; do sleep 0.05; done\n"
               "echo 'written after the agent died'\necho applied > '" +
               done + "'\n"));
  c.start_server("20s");
  c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  std::string logs;
  ASSERT_TRUE(eventually(
      [&] {
        logs = c.cli({"logs", std::to_string(run), "--stack", "grafana"}).out;
        return logs.find("[grafana] background ") != std::string::npos;
      },
      seconds(60)))
      << logs;
  const auto field = [&](const std::string& key) {
    const auto at = logs.find("[grafana] " + key + " ") + key.size() + 11;
    return std::atoll(logs.c_str() + at);
  };
  const long long step = field("started"), background = field("background");
  ASSERT_GT(step, 0);
  ASSERT_GT(background, 0);
  c.kill_agent("a1", SIGKILL);
  const fs::path attempts = fs::path(c.root()) / "agents" / "a1" / "attempts";
  ASSERT_TRUE(fs::exists(attempts));
  EXPECT_FALSE(process_gone(step)) << "the step died with its agent";
  testing::write_file(gate, "");
  ASSERT_TRUE(eventually([&] { return fs::exists(done); }, seconds(30)))
      << "the step did not finish after its agent died";
  fs::path status;
  for (const auto& a : fs::directory_iterator(attempts)) status = a.path() / "step-0" / "status";
  ASSERT_TRUE(eventually([&] { return fs::exists(status); }, seconds(30)));
  EXPECT_EQ(read_text(status.string()),
            "stackrun-step-status 1\nexit_code 0\nsignal 0\ntimed_out 0\nstopped 0\n");
  EXPECT_TRUE(eventually([&] { return process_gone(background); }, seconds(30)))
      << "the step's background child outlived it";

  c.start_agent("a1");
  const json r = c.wait_run(run, seconds(60));
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  const json& job = job_of(r, "grafana");
  ASSERT_EQ(job["attempts"].size(), 1u) << r.dump(2);
  EXPECT_EQ(job["attempts"][0].value("status", ""), "finished");
  EXPECT_EQ(job["attempts"][0].value("agent", ""), "a1");
  logs = c.cli({"logs", std::to_string(run), "--stack", "grafana"}).out;
  std::size_t count = 0;
  for (std::size_t at = 0;
       (at = logs.find("[grafana] written after the agent died\n", at)) != std::string::npos; ++at)
    ++count;
  EXPECT_EQ(count, 1u) << logs;
  EXPECT_NE(logs.find("[grafana] [stackrun] the agent restarted while this attempt ran"),
            std::string::npos)
      << logs;
  EXPECT_TRUE(eventually([&] { return fs::is_empty(attempts); }, seconds(10)))
      << "the reported attempt's directory was kept";
  EXPECT_NE(read_text(c.root() + "/agent-a1.log").find("resuming attempt"), std::string::npos);
}

// The same with the lease long gone: the server marked the apply interrupted; the restarted
// agent still resumes the attempt and sends its late report, which the server records: the
// job, the stack's applied commit and the finished run get the true outcome.
TEST(E2eOutput, AgentRestartedAfterTheLeaseStillResumesAndCleansUp) {
  Cluster c(pipeline("echo started\nsleep 2\necho done\n"));
  c.start_server("2s");
  c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  ASSERT_TRUE(eventually(
      [&] {
        return c.cli({"logs", std::to_string(run), "--stack", "grafana"})
                   .out.find("[grafana] started") != std::string::npos;
      },
      seconds(60)));
  c.kill_agent("a1", SIGKILL);
  const json r = c.wait_run(run, seconds(60));
  EXPECT_EQ(job_of(r, "grafana").value("status", ""), "interrupted") << r.dump(2);
  const fs::path attempts = fs::path(c.root()) / "agents" / "a1" / "attempts";
  ASSERT_FALSE(fs::is_empty(attempts));
  c.start_agent("a1");
  ASSERT_TRUE(eventually([&] { return fs::is_empty(attempts); }, seconds(60)))
      << read_text(c.root() + "/agent-a1.log");
  const std::string log = read_text(c.root() + "/agent-a1.log");
  EXPECT_NE(log.find("resuming attempt"), std::string::npos) << log;
  json after;
  ASSERT_TRUE(eventually(
      [&] {
        after = c.wait_run(run, seconds(10));
        return after.value("status", "") == "success";
      },
      seconds(30)))
      << after.dump(2);
  const json& job = job_of(after, "grafana");
  EXPECT_EQ(job.value("status", ""), "success") << after.dump(2);
  ASSERT_EQ(job["attempts"].size(), 1u);
  EXPECT_EQ(job["attempts"][0].value("status", ""), "finished");
  const std::string logs = c.cli({"logs", std::to_string(run), "--stack", "grafana"}).out;
  EXPECT_NE(logs.find("» late report: agent a1 came back and reported apply attempt 1"),
            std::string::npos)
      << logs;
  const std::string all = c.cli({"logs", std::to_string(run)}).out;
  EXPECT_NE(all.find("run success (was failed before a late report)"), std::string::npos) << all;
}

// A step sees no descriptor of its agent: `ls /proc/self/fd` lists its own 0, 1, 2 and the
// directory it reads, nothing else (the agent's sockets to the server once leaked as 3-8).
TEST(E2eOutput, StepSeesOnlyItsOwnDescriptors) {
  Cluster c(pipeline("ls /proc/self/fd"));
  c.start_server("30s");
  c.start_agent("a1");
  c.commit_change({"stacks/grafana/terragrunt.hcl"});
  const long long run = c.trigger_push();
  const json r = c.wait_run(run, seconds(60));
  ASSERT_EQ(r.value("status", ""), "success") << r.dump(2);
  const auto logs = c.cli({"logs", std::to_string(run), "--stack", "grafana"});
  const std::string want = "[grafana] 0\n[grafana] 1\n[grafana] 2\n[grafana] 3\n[grafana] » ";
  EXPECT_NE(logs.out.find(want), std::string::npos) << logs.out;
}

}  // namespace
}  // namespace stackrun::e2e
