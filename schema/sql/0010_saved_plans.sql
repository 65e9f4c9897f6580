-- stackrun store, version 10: the destroy guard (runner/core/destroy_guard.hpp).
--
-- Jobs: two more statuses, 'needs_approval' (waits for `stackrun approve`) and 'refused' (the
-- guard refused the plan; counted as failed), and the approval: the saved plan it applies
-- (saved_plans.attempt_id), who approved it (as the client said) and when; NULL / '' until
-- approved. SQLite cannot change a CHECK constraint in place: the table is rebuilt (create,
-- copy, drop, rename; runner/store/migrate.cpp turns foreign keys off around a migration and
-- checks them before it commits) and its indexes are created again.
CREATE TABLE jobs_v10 (
  id                INTEGER PRIMARY KEY,
  run_id            INTEGER NOT NULL REFERENCES runs(id),
  repo_id           INTEGER NOT NULL REFERENCES repos(id),
  stack             TEXT NOT NULL,
  label             TEXT NOT NULL,
  tier              TEXT NOT NULL,
  tier_index        INTEGER NOT NULL,
  tier_needs        TEXT NOT NULL DEFAULT '',
  parallelism       INTEGER NOT NULL DEFAULT 1,
  labels            TEXT NOT NULL DEFAULT '',
  kind              TEXT NOT NULL CHECK (kind IN ('apply', 'plan')),
  status            TEXT NOT NULL CHECK (status IN ('pending', 'queued', 'running',
                                                    'needs_approval', 'success', 'drift',
                                                    'skipped', 'failed', 'interrupted',
                                                    'cancelled', 'superseded', 'refused')),
  reason            TEXT NOT NULL DEFAULT '',
  result_reason     TEXT NOT NULL DEFAULT '',
  not_before        INTEGER NOT NULL DEFAULT 0,
  epoch             INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  finished_at       INTEGER,
  needs             TEXT NOT NULL DEFAULT '',
  approved_attempt  INTEGER,
  approved_by       TEXT NOT NULL DEFAULT '',
  approved_at       INTEGER
);
INSERT INTO jobs_v10 (id, run_id, repo_id, stack, label, tier, tier_index, tier_needs,
    parallelism, labels, kind, status, reason, result_reason, not_before, epoch, created_at,
    finished_at, needs)
  SELECT id, run_id, repo_id, stack, label, tier, tier_index, tier_needs, parallelism, labels,
    kind, status, reason, result_reason, not_before, epoch, created_at, finished_at, needs
  FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v10 RENAME TO jobs;
CREATE INDEX jobs_by_status ON jobs(status, not_before);
CREATE INDEX jobs_by_run ON jobs(run_id);
CREATE INDEX jobs_by_stack ON jobs(repo_id, stack, status);

-- saved_plans: the Terraform saved plan an attempt stopped before applying because it deletes
-- resources, kept so that an approval applies exactly that file. One per attempt; data is the
-- file's bytes and sha256 their lower-case hex digest. step: the index of the step that saved
-- it; path: where it lies relative to the stack directory. guard: approve | refuse. destroys:
-- one "ACTION ADDRESS" per line (destroy | replace), unlisted: deletions the plan counted but
-- did not name; source: "show -json" or "plan summary".
CREATE TABLE saved_plans (
  attempt_id  INTEGER PRIMARY KEY REFERENCES attempts(id),
  job_id      INTEGER NOT NULL REFERENCES jobs(id),
  step        INTEGER NOT NULL,
  path        TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  data        BLOB NOT NULL,
  guard       TEXT NOT NULL,
  destroys    TEXT NOT NULL,
  unlisted    INTEGER NOT NULL DEFAULT 0,
  source      TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX saved_plans_by_job ON saved_plans(job_id, attempt_id);
