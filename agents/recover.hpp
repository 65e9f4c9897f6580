#pragma once
// Finishing what an earlier agent process on the same work dir left: an attempt it started
// and did not report (it was killed, crashed, or the server stayed away too long). Its
// directory (attempt_dir.hpp) holds the offer, the spool and each step's supervisor files; the
// step running when that agent died kept running under its supervisor.
//   1. The rest of the spool is shipped from where the server is, heartbeats go on.
//   2. The running step is waited for (ProcessRunner::resume) and classified. It is let run to
//      its end whatever the server now says of the attempt (only a cancel stops it): it may be
//      an apply mid-way, and its true outcome is what the server should learn.
//   3. If steps remain and the server still holds the attempt (a heartbeat is accepted), they
//      run as usual; otherwise the verdict is fatal agent.restarted.
//   4. The report is sent even if the attempt was fenced meanwhile (the server decides what a
//      late report is worth; a refusal is logged), then the directory is removed.
#include "agents/attempt.hpp"

namespace stackrun::agent {

// Resumes the attempt in `dir` on the calling slot thread, as above. An unreadable directory is
// logged and removed.
void resume_attempt(const AttemptDir& dir, SlotLinks& links, const AgentOptions& options,
                    const AgentDeps& deps);

}  // namespace stackrun::agent
