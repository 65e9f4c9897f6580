-- stackrun store, version 1. Forward-only: never edit a released migration; add NNNN_*.sql.
-- Times are integer milliseconds since the Unix epoch (UTC). Ids are SQLite rowids.

CREATE TABLE repos (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  url             TEXT NOT NULL,              -- where the server and agents fetch from
  default_branch  TEXT NOT NULL DEFAULT 'master',
  created_at      INTEGER NOT NULL
);

CREATE TABLE agents (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  token_hash    TEXT NOT NULL UNIQUE,         -- sha256 hex of the agent's bearer token
  labels        TEXT NOT NULL DEFAULT '',     -- comma-separated key=value or key
  capacity      INTEGER NOT NULL DEFAULT 1,
  last_seen_at  INTEGER,
  created_at    INTEGER NOT NULL
);

CREATE TABLE api_tokens (                     -- CLI / operator tokens
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);

CREATE TABLE runs (
  id                INTEGER PRIMARY KEY,
  repo_id           INTEGER NOT NULL REFERENCES repos(id),
  pipeline          TEXT NOT NULL,            -- pipeline name
  pipeline_file     TEXT NOT NULL,            -- e.g. .stackrun/apply.yml
  pipeline_yaml     TEXT NOT NULL,            -- snapshot at creation: a run's inputs are immutable
  kind              TEXT NOT NULL CHECK (kind IN ('apply', 'plan')),
  event             TEXT NOT NULL,            -- push | manual | cron
  ref               TEXT NOT NULL DEFAULT '',
  before_commit     TEXT NOT NULL DEFAULT '',
  commit_sha        TEXT NOT NULL,
  message           TEXT NOT NULL DEFAULT '',
  status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled')),
  cancel_requested  INTEGER NOT NULL DEFAULT 0,  -- 0 no, 1 graceful, 2 force (SIGINT running steps)
  summary           TEXT NOT NULL DEFAULT '',
  created_at        INTEGER NOT NULL,
  started_at        INTEGER,
  finished_at       INTEGER
);
CREATE INDEX runs_by_status ON runs(status);

CREATE TABLE jobs (
  id             INTEGER PRIMARY KEY,
  run_id         INTEGER NOT NULL REFERENCES runs(id),
  repo_id        INTEGER NOT NULL REFERENCES repos(id),
  stack          TEXT NOT NULL,               -- repo-relative stack directory
  label          TEXT NOT NULL,               -- stack path relative to the discovery root
  tier           TEXT NOT NULL,
  tier_index     INTEGER NOT NULL,
  tier_needs     TEXT NOT NULL DEFAULT '',    -- comma-separated tier names
  parallelism    INTEGER NOT NULL DEFAULT 1,
  labels         TEXT NOT NULL DEFAULT '',    -- comma-separated agent labels the job needs
  kind           TEXT NOT NULL CHECK (kind IN ('apply', 'plan')),
  status         TEXT NOT NULL CHECK (status IN ('pending', 'queued', 'running', 'success', 'drift',
                                                 'skipped', 'failed', 'interrupted', 'cancelled')),
  reason         TEXT NOT NULL DEFAULT '',    -- why the planner selected it
  result_reason  TEXT NOT NULL DEFAULT '',    -- why it was skipped / failed / retried
  not_before     INTEGER NOT NULL DEFAULT 0,  -- a queued job waits until then (backoff, lock poll)
  epoch          INTEGER NOT NULL DEFAULT 0,  -- fencing: bumped by every claim
  created_at     INTEGER NOT NULL,
  finished_at    INTEGER
);
CREATE INDEX jobs_by_status ON jobs(status, not_before);
CREATE INDEX jobs_by_run ON jobs(run_id);
CREATE INDEX jobs_by_stack ON jobs(repo_id, stack, status);

CREATE TABLE attempts (
  id                INTEGER PRIMARY KEY,
  job_id            INTEGER NOT NULL REFERENCES jobs(id),
  n                 INTEGER NOT NULL,
  agent_id          INTEGER NOT NULL REFERENCES agents(id),
  epoch             INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('running', 'finished', 'lost', 'interrupted')),
  lease_expires_at  INTEGER NOT NULL,
  exit_code         INTEGER,
  class             TEXT,                     -- verdict class
  rule              TEXT,
  line              TEXT,                     -- the deciding line
  line_no           INTEGER,
  lock_json         TEXT,                     -- parsed Lock Info, JSON object
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER,
  UNIQUE (job_id, n)
);
CREATE INDEX attempts_running ON attempts(status, lease_expires_at);

-- Output and system lines, in global insertion order (id): a follower resumes after an id.
CREATE TABLE log_chunks (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  job_id      INTEGER,                        -- NULL for run-level lines
  attempt_id  INTEGER,
  seq         INTEGER,                        -- agent's chunk number within the attempt
  stream      TEXT NOT NULL CHECK (stream IN ('out', 'sys')),
  data        BLOB NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (attempt_id, seq)
);
CREATE INDEX log_chunks_by_run ON log_chunks(run_id, id);

CREATE TABLE stack_state (
  repo_id              INTEGER NOT NULL REFERENCES repos(id),
  stack                TEXT NOT NULL,
  last_applied_commit  TEXT NOT NULL,
  last_applied_run     INTEGER NOT NULL,
  last_applied_at      INTEGER NOT NULL,
  PRIMARY KEY (repo_id, stack)
);
