#pragma once
// The files of one supervised step, in a directory the agent owns (mode 0700). Each starts with
// a version line; decode_* refuse any other version.
//   launch          the step to run (argv, env, cwd, timeout, grace, spool): written by the
//                   agent, read and deleted by the supervisor (it may hold secrets);
//                   NUL-separated fields, so any argv or env byte but NUL passes unchanged
//   supervisor      who supervises it: pid and start time of `stackrun supervise`, and the
//                   step's pid (= its process group id) once it runs; rewritten atomically
//   status          how the step ended, written atomically by the supervisor as its last act
//   supervisor.log  the supervisor's own stderr (unexpected failures only)
// The step's stdout and stderr are appended to the spool named in the launch: one file per
// attempt, shared by its steps in turn. Pure functions, except the file helpers at the end.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "runner/core/result.hpp"
#include "runner/proc/process.hpp"

namespace stackrun::proc {

inline constexpr const char* kLaunchFile = "launch";
inline constexpr const char* kSupervisorFile = "supervisor";
inline constexpr const char* kStatusFile = "status";
inline constexpr const char* kSupervisorLog = "supervisor.log";

// What the supervisor is given. `search_path` is where argv[0] without '/' is looked up: the
// launch env's PATH, else the agent's (see Launch::argv), decided by the agent.
struct LaunchFile {
  Launch launch;
  std::string spool;
  std::string search_path;
  bool operator==(const LaunchFile&) const = default;
};

std::string encode_launch_file(const LaunchFile& f);
// Fails on another version, a missing field or a truncated file, naming what is wrong.
Result<LaunchFile> decode_launch_file(std::string_view text);

struct SupervisorRecord {
  pid_t pid = 0;                      // the supervisor
  unsigned long long start_time = 0;  // its start time in clock ticks since boot (/proc stat)
  pid_t step_pid = 0;                 // the step's leader and process group; 0 until it runs
  bool operator==(const SupervisorRecord&) const = default;
};

std::string encode_supervisor_record(const SupervisorRecord& r);
Result<SupervisorRecord> decode_supervisor_record(std::string_view text);

// `error` non-empty: the step never started (the text is the ProcessRunner's start error).
struct StepStatus {
  ExitInfo exit;
  std::string error;
  bool operator==(const StepStatus&) const = default;
};

std::string encode_step_status(const StepStatus& s);
Result<StepStatus> decode_step_status(std::string_view text);

// Writes `content` to `path` through a temporary file renamed over it (mode 0600), so a reader
// sees the old file or the new one, never a part. Fails naming the path.
Status write_file_atomically(const std::string& path, std::string_view content);
// The whole file (meant for the small files above); fails naming the path and errno.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace stackrun::proc
