-- stackrun store, version 2: offers and the run's decoded failure policy.
--
-- 1. A claim is an offer: the attempt starts as 'offered' (lease_expires_at is then the offer's
--    deadline) and becomes 'running' only when the agent confirms it started. An offer nobody
--    confirmed is deleted and its job queued again: nothing ran.
--    Attempt ids are AUTOINCREMENT: a withdrawn offer's id is never handed out again, so
--    (attempt id, epoch, agent) fences a late confirmation of it.
-- 2. The run keeps the failure policy its pipeline declared, decoded, so finishing an attempt
--    parses no YAML. Runs created before this migration get the built-in defaults.

CREATE TABLE attempts_v2 (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id            INTEGER NOT NULL REFERENCES jobs(id),
  n                 INTEGER NOT NULL,
  agent_id          INTEGER NOT NULL REFERENCES agents(id),
  epoch             INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('offered', 'running', 'finished', 'lost',
                                                    'interrupted')),
  lease_expires_at  INTEGER NOT NULL,           -- offered: the offer's deadline
  exit_code         INTEGER,
  class             TEXT,                       -- verdict class
  rule              TEXT,
  line              TEXT,                       -- the deciding line
  line_no           INTEGER,
  lock_json         TEXT,                       -- parsed Lock Info, JSON object
  started_at        INTEGER NOT NULL,           -- offered at, until confirmed; then started at
  finished_at       INTEGER,
  UNIQUE (job_id, n)
);
INSERT INTO attempts_v2 SELECT id, job_id, n, agent_id, epoch, status, lease_expires_at, exit_code,
  class, rule, line, line_no, lock_json, started_at, finished_at FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_v2 RENAME TO attempts;
CREATE INDEX attempts_running ON attempts(status, lease_expires_at);
CREATE INDEX attempts_by_job ON attempts(job_id, n);

ALTER TABLE runs ADD COLUMN lock_wait_ms INTEGER NOT NULL DEFAULT 300000;
ALTER TABLE runs ADD COLUMN lock_poll_ms INTEGER NOT NULL DEFAULT 30000;
ALTER TABLE runs ADD COLUMN lock_then TEXT NOT NULL DEFAULT 'skip' CHECK (lock_then IN ('skip', 'fail'));
ALTER TABLE runs ADD COLUMN transient_attempts INTEGER NOT NULL DEFAULT 3;
ALTER TABLE runs ADD COLUMN transient_backoff_ms INTEGER NOT NULL DEFAULT 15000;
ALTER TABLE runs ADD COLUMN transient_max_backoff_ms INTEGER NOT NULL DEFAULT 120000;
ALTER TABLE runs ADD COLUMN transient_jitter REAL NOT NULL DEFAULT 0.2;
