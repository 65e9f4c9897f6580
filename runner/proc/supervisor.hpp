#pragma once
// The step supervisor: the body of the hidden `stackrun supervise DIR` (runner/cli), one
// process per step, started by the ProcessRunner (process.cpp) in a session of its own so that
// it outlives the agent. It reads and deletes DIR/launch, records itself in DIR/supervisor,
// starts the step (spawn.hpp: own process group, stdin /dev/null, output appended to the
// spool, no descriptor above 2), and then sleeps in sigtimedwait until something happens:
//   SIGTERM or SIGINT (the agent asks for a stop): SIGINT to the group, `grace`, SIGTERM,
//     `grace`, SIGKILL, each followed by SIGCONT (a stopped member acts on the signal only once
//     continued); the step's timeout starts the same escalation;
//   SIGCHLD: the leader exited (or an orphan it left, which is reaped).
// After the leader exits, the rest of its group and every orphan the supervisor inherited (it
// is their subreaper, so even a member that called setsid is found) get `grace` to finish;
// then they are SIGKILLed, repeatedly, until none is left or another max(grace, 1 s) passed.
// Last, the outcome goes to DIR/status (step_files.hpp), atomically. SIGHUP is ignored.
#include <string>

namespace stackrun::proc {

// Runs the supervisor for the step files in `dir`. Returns the process exit code: 0 once a
// status was written (whatever the step did), 1 if not even that was possible (the reason is
// on stderr, which the runner sends to DIR/supervisor.log).
int run_supervisor(const std::string& dir);

}  // namespace stackrun::proc
