#pragma once
// Plain rows of the store (see schema/sql/0001_init.sql for the meaning of each column).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stackrun::store {

using Id = std::int64_t;
using Millis = std::int64_t;  // ms since the Unix epoch

struct RepoRow {
  Id id = 0;
  std::string name, url, default_branch;
};

struct AgentRow {
  Id id = 0;
  std::string name, labels;
  int capacity = 1;
};

struct RunRow {
  Id id = 0, repo_id = 0;
  std::string repo_name, pipeline, pipeline_file, pipeline_yaml, kind, event, ref, before_commit,
      commit_sha, message, status, summary;
  int cancel_requested = 0;
  Millis created_at = 0;
  std::optional<Millis> started_at, finished_at;
};

struct JobRow {
  Id id = 0, run_id = 0, repo_id = 0;
  std::string stack, label, tier, tier_needs, kind, status, reason, result_reason, labels;
  int tier_index = 0, parallelism = 1;
  Millis not_before = 0;
  std::int64_t epoch = 0;
  Millis created_at = 0;
  std::optional<Millis> finished_at;
};

struct AttemptRow {
  Id id = 0, job_id = 0, agent_id = 0;
  std::string agent_name;
  int n = 0;
  std::int64_t epoch = 0;
  std::string status;  // running | finished | lost | interrupted
  Millis lease_expires_at = 0;
  std::optional<std::int64_t> exit_code;
  std::string cls, rule, line, lock_json;
  int line_no = 0;
  Millis started_at = 0;
  std::optional<Millis> finished_at;
};

struct ChunkRow {
  Id id = 0, run_id = 0;
  std::optional<Id> job_id;
  std::string label;   // the job's label, "" for run-level lines
  std::string stream;  // out | sys
  std::string data;
};

// A job to insert with a new run.
struct NewJob {
  std::string stack, label, tier, tier_needs, kind, status, reason, result_reason, labels;
  int tier_index = 0, parallelism = 1;
};

struct NewRun {
  Id repo_id = 0;
  std::string pipeline, pipeline_file, pipeline_yaml, kind, event, ref, before_commit, commit_sha,
      message;
  std::vector<NewJob> jobs;
};

}  // namespace stackrun::store
