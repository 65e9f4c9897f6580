-- stackrun store, version 5: superseded runs and jobs.
--
-- A newer run of the same repo, pipeline and branch takes over the jobs of older runs that had
-- not started (runner/core/supersede.hpp): those jobs end 'superseded', and an older run with
-- nothing left ends 'superseded'. runs.superseded_by names the run that took its jobs over.
-- 'drift' is allowed for runs now so that drift runs (which end 'drift' when a stack drifted
-- and none errored) need no second rebuild of this table.
--
-- SQLite cannot change a CHECK constraint in place: both tables are rebuilt (create, copy,
-- drop, rename; runner/store/migrate.cpp turns foreign keys off around a migration and checks
-- them before it commits), and their indexes are created again.

CREATE TABLE runs_v5 (
  id                        INTEGER PRIMARY KEY,
  repo_id                   INTEGER NOT NULL REFERENCES repos(id),
  pipeline                  TEXT NOT NULL,
  pipeline_file             TEXT NOT NULL,
  pipeline_yaml             TEXT NOT NULL,
  kind                      TEXT NOT NULL CHECK (kind IN ('apply', 'plan')),
  event                     TEXT NOT NULL,  -- push | manual | cron
  ref                       TEXT NOT NULL DEFAULT '',
  before_commit             TEXT NOT NULL DEFAULT '',
  commit_sha                TEXT NOT NULL,
  message                   TEXT NOT NULL DEFAULT '',
  status                    TEXT NOT NULL CHECK (status IN ('queued', 'running', 'success',
                                                            'failed', 'cancelled', 'superseded',
                                                            'drift')),
  cancel_requested          INTEGER NOT NULL DEFAULT 0,
  summary                   TEXT NOT NULL DEFAULT '',
  created_at                INTEGER NOT NULL,
  started_at                INTEGER,
  finished_at               INTEGER,
  lock_wait_ms              INTEGER NOT NULL DEFAULT 300000,
  lock_poll_ms              INTEGER NOT NULL DEFAULT 30000,
  lock_then                 TEXT NOT NULL DEFAULT 'skip' CHECK (lock_then IN ('skip', 'fail')),
  transient_attempts        INTEGER NOT NULL DEFAULT 3,
  transient_backoff_ms      INTEGER NOT NULL DEFAULT 15000,
  transient_max_backoff_ms  INTEGER NOT NULL DEFAULT 120000,
  transient_jitter          REAL NOT NULL DEFAULT 0.2,
  superseded_by             INTEGER REFERENCES runs(id)  -- the newer run that took its jobs over
);
INSERT INTO runs_v5 (id, repo_id, pipeline, pipeline_file, pipeline_yaml, kind, event, ref,
    before_commit, commit_sha, message, status, cancel_requested, summary, created_at,
    started_at, finished_at, lock_wait_ms, lock_poll_ms, lock_then, transient_attempts,
    transient_backoff_ms, transient_max_backoff_ms, transient_jitter)
  SELECT id, repo_id, pipeline, pipeline_file, pipeline_yaml, kind, event, ref, before_commit,
    commit_sha, message, status, cancel_requested, summary, created_at, started_at, finished_at,
    lock_wait_ms, lock_poll_ms, lock_then, transient_attempts, transient_backoff_ms,
    transient_max_backoff_ms, transient_jitter
  FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v5 RENAME TO runs;
CREATE INDEX runs_by_status ON runs(status);
-- Finding the older runs a new one supersedes.
CREATE INDEX runs_by_line ON runs(repo_id, pipeline, ref, status);

CREATE TABLE jobs_v5 (
  id             INTEGER PRIMARY KEY,
  run_id         INTEGER NOT NULL REFERENCES runs(id),
  repo_id        INTEGER NOT NULL REFERENCES repos(id),
  stack          TEXT NOT NULL,
  label          TEXT NOT NULL,
  tier           TEXT NOT NULL,
  tier_index     INTEGER NOT NULL,
  tier_needs     TEXT NOT NULL DEFAULT '',
  parallelism    INTEGER NOT NULL DEFAULT 1,
  labels         TEXT NOT NULL DEFAULT '',
  kind           TEXT NOT NULL CHECK (kind IN ('apply', 'plan')),
  status         TEXT NOT NULL CHECK (status IN ('pending', 'queued', 'running', 'success', 'drift',
                                                 'skipped', 'failed', 'interrupted', 'cancelled',
                                                 'superseded')),
  reason         TEXT NOT NULL DEFAULT '',
  result_reason  TEXT NOT NULL DEFAULT '',
  not_before     INTEGER NOT NULL DEFAULT 0,
  epoch          INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  finished_at    INTEGER
);
INSERT INTO jobs_v5 SELECT id, run_id, repo_id, stack, label, tier, tier_index, tier_needs,
    parallelism, labels, kind, status, reason, result_reason, not_before, epoch, created_at,
    finished_at
  FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v5 RENAME TO jobs;
CREATE INDEX jobs_by_status ON jobs(status, not_before);
CREATE INDEX jobs_by_run ON jobs(run_id);
CREATE INDEX jobs_by_stack ON jobs(repo_id, stack, status);
