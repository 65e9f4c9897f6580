// Integration tests of the real ProcessRunner: real /bin/sh children under a real supervisor
// process (STACKRUN_TEST_SUPERVISOR: stackrun-supervise, the agent's supervisor), real
// signals, output read back from the spool file. Every test is bounded by a launch timeout
// (and should_stop); none asserts elapsed time.
#include "runner/proc/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runner/proc/step_files.hpp"
#include "tests/support/temp_dir.hpp"

namespace stackrun::proc {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPath[] = "/usr/local/bin:/usr/bin:/bin";

std::unique_ptr<ProcessRunner> runner() {
  return make_process_runner({STACKRUN_TEST_SUPERVISOR});
}

Launch sh(std::string script, milliseconds timeout = seconds(20), milliseconds grace = seconds(2)) {
  Launch l;
  l.argv = {"/bin/sh", "-c", std::move(script)};
  l.env = {{"PATH", kPath}};
  l.timeout = timeout;
  l.grace = grace;
  return l;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct Outcome {
  Result<ExitInfo> result = Error{"not run"};
  std::string output;
};

// A step's files in a temp dir of their own.
struct Files {
  testing::TempDir dir;
  StepFiles files{(dir.path() / "step").string(), (dir.path() / "output").string()};
  std::string output() const { return read_text(files.spool); }
};

// Runs `launch`; should_stop() is true once `stop_when(output so far)` is.
Outcome run(const Launch& launch,
            const std::function<bool(const std::string&)>& stop_when = nullptr) {
  Files f;
  Outcome o;
  o.result = runner()->run(launch, f.files, [&] { return stop_when && stop_when(f.output()); });
  o.output = f.output();
  return o;
}

// The state letter from /proc/<pid>/stat ('R', 'S', 'T', 'Z', ...), or 0 if no such process.
char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

// True once `pid` is gone or a zombie (its orphan reaper may be slow); bounded to 10 s.
bool ends_soon(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    const char s = process_state(pid);
    if (s == 0 || s == 'Z' || s == 'X') return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

// Polls `pred` every 10 ms for up to 10 s.
bool soon(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

// A stop_when for scripts that print "ready" once their traps are set.
bool ready(const std::string& output) {
  return output.find("ready\n") != std::string::npos;
}

pid_t first_line_as_pid(const std::string& output) {
  return static_cast<pid_t>(std::stol(output.substr(0, output.find('\n'))));
}

TEST(ProcessRunner, MergesStdoutAndStderrInWriteOrder) {
  const Outcome o = run(sh("echo a; echo b >&2; echo c"));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "a\nb\nc\n");
  EXPECT_EQ(o.result->exit_code, 0);
}

TEST(ProcessRunner, ReportsExitCodes) {
  for (int code : {0, 1, 3, 127, 255}) {
    const Outcome o = run(sh("exit " + std::to_string(code)));
    ASSERT_TRUE(o.result.ok()) << o.result.error();
    EXPECT_EQ(o.result->exit_code, code);
    EXPECT_EQ(o.result->signal, 0);
    EXPECT_FALSE(o.result->timed_out);
    EXPECT_FALSE(o.result->stopped);
  }
}

TEST(ProcessRunner, ReportsDeathBySignalAs128PlusSignal) {
  const Outcome o = run(sh("kill -TERM $$; sleep 5"));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.result->signal, SIGTERM);
  EXPECT_EQ(o.result->exit_code, 128 + SIGTERM);
  EXPECT_FALSE(o.result->timed_out);
  EXPECT_FALSE(o.result->stopped);
}

TEST(ProcessRunner, EnvironmentIsExactlyTheLaunchEnv) {
  ASSERT_EQ(::setenv("STACKRUN_PROC_TEST_LEAK", "leaked", 1), 0);
  Launch l;
  l.argv = {"env"};  // found through the launch env's PATH
  l.env = {{"PATH", kPath}, {"TF_LOG", "debug"}, {"EMPTY", ""}, {"WITH_EQ", "a=b"}};
  l.timeout = seconds(20);
  const Outcome o = run(l);
  ::unsetenv("STACKRUN_PROC_TEST_LEAK");
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, std::string("PATH=") + kPath + "\nTF_LOG=debug\nEMPTY=\nWITH_EQ=a=b\n");
}

TEST(ProcessRunner, RepeatedEnvNameLastWins) {
  Launch l = sh("echo \"$X\"");
  l.env.emplace_back("X", "first");
  l.env.emplace_back("X", "second");
  const Outcome o = run(l);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "second\n");
}

TEST(ProcessRunner, ArgvReachesTheChildUnchanged) {
  // "; exit 0" keeps sh from exec'ing cat in its place (dash does that for a last command).
  Launch l = sh("cat /proc/$$/cmdline; exit 0");
  l.argv[0] = "sh";  // looked up in PATH, but the child still sees "sh", not "/usr/bin/sh"
  l.argv.insert(l.argv.end(), {"zero", "", "two words"});
  const Outcome o = run(l);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  std::string want;
  for (const std::string& arg : l.argv) want += arg + '\0';
  EXPECT_EQ(o.output, want);
}

TEST(ProcessRunner, LooksUpArgv0InTheLaunchPath) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "bin" / "mytool", "#!/bin/sh\necho \"mytool $1\"\n");
  ASSERT_EQ(::chmod((dir.path() / "bin" / "mytool").c_str(), 0755), 0);
  Launch l;
  l.argv = {"mytool", "ran"};
  l.env = {{"PATH", (dir.path() / "bin").string() + ":" + kPath}};
  l.timeout = seconds(20);
  const Outcome o = run(l);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "mytool ran\n");
}

TEST(ProcessRunner, FallsBackToTheAgentPathWhenTheLaunchHasNone) {
  Launch l;
  l.argv = {"sh", "-c", "echo ok"};
  l.timeout = seconds(20);
  const Outcome o = run(l);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "ok\n");
}

TEST(ProcessRunner, RunsInTheLaunchCwd) {
  testing::TempDir dir;
  Launch l = sh("pwd -P");
  l.cwd = dir.path().string();
  const Outcome o = run(l);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(ProcessRunner, StdinIsDevNull) {
  const Outcome o = run(sh("readlink /proc/$$/fd/0; cat; echo done"));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "/dev/null\ndone\n");
  EXPECT_FALSE(o.result->timed_out);
}

// Exec-failure choice: an error Result, no output, no child left behind.
TEST(ProcessRunner, ProgramNotFoundIsAStartError) {
  Launch l;
  l.argv = {"no-such-program-stackrun"};
  l.env = {{"PATH", "/nonexistent:/usr/bin:/bin"}};
  const Outcome o = run(l);
  ASSERT_FALSE(o.result.ok());
  EXPECT_EQ(o.result.error(),
            "cannot start \"no-such-program-stackrun\": not found in PATH "
            "\"/nonexistent:/usr/bin:/bin\"");
  EXPECT_EQ(o.output, "");
}

TEST(ProcessRunner, LaunchPathIsNotWidenedByTheAgentPath) {
  Launch l;
  l.argv = {"sh", "-c", "true"};
  l.env = {{"PATH", "/nonexistent"}};
  const Outcome o = run(l);
  ASSERT_FALSE(o.result.ok());
  EXPECT_EQ(o.result.error(), "cannot start \"sh\": not found in PATH \"/nonexistent\"");
}

TEST(ProcessRunner, ExecFailureIsAStartErrorAndTheForkIsReaped) {
  testing::TempDir dir;
  const std::string script = (dir.path() / "not-executable.sh").string();
  testing::write_file(script, "#!/bin/sh\necho never\n");
  Launch l;
  l.argv = {script};
  l.env = {{"PATH", kPath}};
  const Outcome o = run(l);
  ASSERT_FALSE(o.result.ok());
  EXPECT_EQ(o.result.error(), "cannot start \"" + script + "\": Permission denied");
  EXPECT_EQ(o.output, "");
  // The supervisor was reaped: this process has no children left.
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ProcessRunner, MissingCwdIsAStartError) {
  Launch l = sh("echo never");
  l.cwd = "/nonexistent/stackrun-workspace";
  const Outcome o = run(l);
  ASSERT_FALSE(o.result.ok());
  EXPECT_EQ(o.result.error(),
            "cannot start \"/bin/sh\": working directory \"/nonexistent/stackrun-workspace\": "
            "No such file or directory");
  EXPECT_EQ(o.output, "");
}

TEST(ProcessRunner, EmptyArgvIsAStartError) {
  const Outcome o = run(Launch{});
  ASSERT_FALSE(o.result.ok());
  EXPECT_EQ(o.result.error(), "cannot start \"\": the command line is empty");
}

TEST(ProcessRunner, InvalidEnvNameIsAStartError) {
  Launch l = sh("true");
  l.env.emplace_back("A=B", "c");
  const Outcome o = run(l);
  ASSERT_FALSE(o.result.ok());
  EXPECT_EQ(o.result.error(), "cannot start \"/bin/sh\": invalid environment entry \"A=B\"");
}

TEST(ProcessRunner, TimeoutSendsSigintFirst) {
  // 2 s: far more than sh needs to set its trap, which comes first.
  const Outcome o =
      run(sh("trap 'echo got INT; exit 3' INT; echo ready; sleep 30", seconds(2), seconds(10)));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "ready\ngot INT\n");
  EXPECT_EQ(o.result->exit_code, 3);
  EXPECT_EQ(o.result->signal, 0);
  EXPECT_TRUE(o.result->timed_out);
  EXPECT_FALSE(o.result->stopped);
}

TEST(ProcessRunner, IgnoringIntAndTermEndsInSigkill) {
  const Outcome o =
      run(sh("trap '' INT TERM; echo ready; sleep 30", seconds(20), milliseconds(200)), ready);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "ready\n");
  EXPECT_EQ(o.result->signal, SIGKILL);
  EXPECT_EQ(o.result->exit_code, 128 + SIGKILL);
  EXPECT_TRUE(o.result->stopped);
}

TEST(ProcessRunner, SigtermFollowsAfterGrace) {
  const Outcome o = run(sh("trap '' INT; trap 'echo got TERM; exit 5' TERM; echo ready; "
                           "while :; do sleep 0.05; done",
                           seconds(20), milliseconds(200)),
                        ready);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  // (sh may also report its sleep as "Terminated" in between.)
  EXPECT_EQ(o.output.rfind("ready\n", 0), 0u) << o.output;
  EXPECT_NE(o.output.find("got TERM\n"), std::string::npos) << o.output;
  EXPECT_EQ(o.result->exit_code, 5);
  EXPECT_TRUE(o.result->stopped);
}

// An ignored signal survives execve, and sh cannot trap a signal ignored on entry: the runner
// resets dispositions in the child so the agent's own choices do not deafen the step.
TEST(ProcessRunner, AgentIgnoringSigintDoesNotDeafenTheStep) {
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGINT, &ignore, &old), 0);
  const Outcome o = run(sh("trap 'echo got INT; exit 3' INT; echo ready; sleep 30"), ready);
  ::sigaction(SIGINT, &old, nullptr);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "ready\ngot INT\n");
  EXPECT_EQ(o.result->exit_code, 3);
}

// Likewise the signal mask: an agent that blocks SIGINT (say, for a signal-handling thread)
// would otherwise start steps with SIGINT blocked. (sleep, unlike sh, keeps the mask it got.)
TEST(ProcessRunner, AgentBlockingSigintDoesNotDeafenTheStep) {
  sigset_t block, old;
  ::sigemptyset(&block);
  ::sigaddset(&block, SIGINT);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old), 0);
  Launch l = sh("", milliseconds(300), seconds(10));
  l.argv = {"sleep", "30"};
  const Outcome o = run(l);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.result->signal, SIGINT);
  EXPECT_TRUE(o.result->timed_out);
}

TEST(ProcessRunner, ShouldStopStartsTheGracefulStop) {
  const Outcome o = run(sh("trap 'echo got INT; exit 4' INT; echo ready; sleep 30"),
                        [](const std::string& out) { return out == "ready\n"; });
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "ready\ngot INT\n");
  EXPECT_EQ(o.result->exit_code, 4);
  EXPECT_TRUE(o.result->stopped);
  EXPECT_FALSE(o.result->timed_out);
}

// The stop signals go to the group: a grandchild (not the leader) runs its INT trap.
TEST(ProcessRunner, StopSignalReachesTheWholeGroup) {
  const Outcome o = run(sh("sh -c 'trap \"echo child-int; exit 0\" INT; echo ready; "
                           "while :; do sleep 0.05; done'; echo leader-after"),
                        ready);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_NE(o.output.find("child-int\n"), std::string::npos) << o.output;
  EXPECT_TRUE(o.result->stopped);
}

// A member stopped by SIGSTOP acts on SIGINT only because SIGCONT follows it.
TEST(ProcessRunner, StoppedProcessIsContinuedToHandleSigint) {
  const Outcome o = run(sh("trap 'echo got INT; exit 3' INT; echo $$; kill -STOP $$; echo resumed",
                           seconds(20), seconds(5)),
                        [](const std::string& out) {
                          return !out.empty() && out.back() == '\n' &&
                                 process_state(first_line_as_pid(out)) == 'T';
                        });
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.result->exit_code, 3) << o.output;
  EXPECT_NE(o.output.find("got INT\n"), std::string::npos) << o.output;
  EXPECT_TRUE(o.result->stopped);
}

TEST(ProcessRunner, BackgroundedGrandchildHoldingOutputDoesNotHang) {
  const Outcome o = run(sh("sleep 30 & echo $!", seconds(20), milliseconds(200)));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.result->exit_code, 0);
  EXPECT_FALSE(o.result->timed_out);
  EXPECT_TRUE(ends_soon(first_line_as_pid(o.output)));
}

TEST(ProcessRunner, StrayThatReleasedOutputIsKilled) {
  const Outcome o = run(sh("sleep 30 >/dev/null 2>&1 & echo $!"));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.result->exit_code, 0);
  EXPECT_TRUE(ends_soon(first_line_as_pid(o.output)));
}

TEST(ProcessRunner, GrandchildFinishingWithinGraceKeepsItsOutput) {
  const Outcome o = run(sh("(sleep 0.2; echo late) & echo early", seconds(20), seconds(10)));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "early\nlate\n");
  EXPECT_EQ(o.result->exit_code, 0);
}

TEST(ProcessRunner, LargeOutputArrivesCompleteAndInOrder) {
  constexpr int kLines = 2'500'000;  // about 19 MB
  const Outcome o = run(sh("seq 1 " + std::to_string(kLines)));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.result->exit_code, 0);
  std::string want;
  want.reserve(o.output.size());
  for (int i = 1; i <= kLines; ++i) want += std::to_string(i) + '\n';
  ASSERT_EQ(o.output.size(), want.size());
  EXPECT_TRUE(o.output == want);  // not EXPECT_EQ: a failure would print 19 MB
}

// A launch's secrets never reach the spool: the supervisor relays the output through a masker,
// also when a value is written in pieces, and a stray holding the output still ends.
TEST(ProcessRunner, SecretsInTheOutputAreMaskedBeforeTheSpool) {
  Launch l =
      sh("printf 'token=%s\\n' \"$TOKEN\"; printf 'hunter'; sleep 0.1; printf '2-secret end\\n'; "
         "echo 'err hunter2-secret' >&2; echo done",
         seconds(20), milliseconds(200));
  l.env.push_back({"TOKEN", "hunter2-secret"});
  l.mask = {"hunter2-secret"};
  const Outcome o = run(l);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.result->exit_code, 0);
  EXPECT_EQ(o.output, "token=***\n*** end\nerr ***\ndone\n");
}

TEST(ProcessRunner, MaskedOutputArrivesCompleteAndTheStopStillWorks) {
  Launch big = sh("seq 1 300000; echo the-secret-value");
  big.mask = {"the-secret-value"};
  const Outcome o = run(big);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  std::string want;
  for (int i = 1; i <= 300000; ++i) want += std::to_string(i) + '\n';
  want += "***\n";
  ASSERT_EQ(o.output.size(), want.size());
  EXPECT_TRUE(o.output == want);
  // A stop request (SIGINT to the step's group) does not cut the relay short.
  Launch stop =
      sh("trap 'echo the-secret-value stopped; exit 130' INT; echo ready; "
         "while :; do sleep 0.05; done");
  stop.mask = {"the-secret-value"};
  const Outcome s = run(stop, ready);
  ASSERT_TRUE(s.result.ok()) << s.result.error();
  EXPECT_TRUE(s.result->stopped);
  EXPECT_EQ(s.output, "ready\n*** stopped\n");
}

// One runner serves several threads at once (the agent runs steps in parallel).
TEST(ProcessRunner, ConcurrentRunsKeepTheirOwnOutput) {
  auto r = runner();
  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<Files>> files;
  for (int t = 0; t < kThreads; ++t) files.push_back(std::make_unique<Files>());
  std::vector<int> codes(kThreads, -1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Launch l = sh("for i in 1 2 3; do echo \"$NAME-$i\"; sleep 0.05; done; exit $CODE");
      l.env.emplace_back("NAME", "t" + std::to_string(t));
      l.env.emplace_back("CODE", std::to_string(10 + t));
      auto res = r->run(l, files[t]->files, nullptr);
      if (res.ok()) codes[t] = res->exit_code;
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    const std::string name = "t" + std::to_string(t);
    EXPECT_EQ(files[t]->output(), name + "-1\n" + name + "-2\n" + name + "-3\n");
    EXPECT_EQ(codes[t], 10 + t);
  }
}

// Steps of one attempt share its spool: each appends.
TEST(ProcessRunner, StepsAppendToTheSpool) {
  Files f;
  testing::write_file(f.files.spool, "earlier\n");
  auto r = runner();
  ASSERT_TRUE(r->run(sh("echo one"), f.files, nullptr).ok());
  StepFiles second = f.files;
  second.dir += "-2";
  ASSERT_TRUE(r->run(sh("echo two"), second, nullptr).ok());
  EXPECT_EQ(f.output(), "earlier\none\ntwo\n");
  struct stat st {};
  ASSERT_EQ(::stat(f.files.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_FALSE(std::filesystem::exists(f.files.dir + "/" + kLaunchFile)) << "it may hold secrets";
}

// Why: the agent's sockets to the server once reached steps as fds 3-8. A descriptor of ours
// that is not close-on-exec must not reach the step, nor the supervisor.
TEST(ProcessRunner, StepSeesNoDescriptorAboveTwo) {
  const int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GT(leaked, 2);
  Launch l = sh("");
  l.argv = {"ls", "/proc/self/fd"};  // ls's own: 0 1 2 and the directory it reads (3)
  const Outcome o = run(l);
  ::close(leaked);
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.output, "0\n1\n2\n3\n");
}

// The agent dies (here: a forked child that ran the step is SIGKILLed) while its step runs:
// the step is neither killed nor SIGPIPEd, finishes, and resume() from another process reads
// the outcome its supervisor recorded.
TEST(ProcessRunner, StepOutlivesItsCallerAndResumeFindsTheOutcome) {
  Files f;
  const std::string gate = (f.dir.path() / "gate").string();
  const Launch l = sh("echo before; while [ ! -e '" + gate +
                      "' ]; do sleep 0.05; done; "
                      "echo after; exit 7");
  const pid_t caller = ::fork();
  ASSERT_GE(caller, 0);
  if (caller == 0) {
    (void)runner()->run(l, f.files, nullptr);
    ::_exit(0);
  }
  ASSERT_TRUE(soon([&] { return f.output() == "before\n"; })) << f.output();
  ::kill(caller, SIGKILL);
  ::waitpid(caller, nullptr, 0);
  testing::write_file(gate, "");
  auto r = runner()->resume(f.files, nullptr);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->signal, 0);
  EXPECT_EQ(f.output(), "before\nafter\n");
  auto again = runner()->resume(f.files, nullptr);  // ended: the status answers at once
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(*again, *r);
}

// A resumed step still hears the stop request.
TEST(ProcessRunner, ResumedStepStopsGracefully) {
  Files f;
  const Launch l = sh("trap 'echo got INT; exit 4' INT; echo ready; sleep 30");
  const pid_t caller = ::fork();
  ASSERT_GE(caller, 0);
  if (caller == 0) {
    (void)runner()->run(l, f.files, nullptr);
    ::_exit(0);
  }
  ASSERT_TRUE(soon([&] { return ready(f.output()); })) << f.output();
  ::kill(caller, SIGKILL);
  ::waitpid(caller, nullptr, 0);
  auto r = runner()->resume(f.files, [] { return true; });
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_TRUE(r->stopped);
  EXPECT_EQ(f.output(), "ready\ngot INT\n");
}

TEST(ProcessRunner, ResumeWhereNoSupervisorRanFails) {
  Files f;
  auto r = runner()->resume(f.files, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "no step supervisor ever ran in " + f.files.dir);
}

// A supervisor killed outright leaves its step unsupervised: the runner reports it and ends the
// step's group rather than leave it running untracked.
TEST(ProcessRunner, SupervisorKilledIsAnErrorAndItsStepIsKilled) {
  Files f;
  std::thread killer([&] {
    if (!soon([&] { return !f.output().empty(); })) return;
    auto rec = decode_supervisor_record(read_text(f.files.dir + "/" + kSupervisorFile));
    if (rec) ::kill(rec->pid, SIGKILL);
  });
  auto r = runner()->run(sh("echo $$; sleep 30"), f.files, nullptr);
  killer.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "the step supervisor ended without a status (signal 9); see " + f.files.dir +
                           "/supervisor.log");
  EXPECT_TRUE(ends_soon(first_line_as_pid(f.output())));
}

// The supervisor is the subreaper of the step's orphans: one that left the group with setsid
// is still found and killed once the step is over.
TEST(ProcessRunner, OrphanThatLeftTheGroupIsKilled) {
  const Outcome o = run(sh("setsid sleep 30 & echo $!", seconds(20), milliseconds(200)));
  ASSERT_TRUE(o.result.ok()) << o.result.error();
  EXPECT_EQ(o.result->exit_code, 0);
  EXPECT_TRUE(ends_soon(first_line_as_pid(o.output)));
}

}  // namespace
}  // namespace stackrun::proc
