-- stackrun store, version 8: cron schedules, and which due time each scheduled run is for.
--
-- A schedule is read from a pipeline's `schedules:` on its repo's default branch (at server
-- start, and when a push moves that branch). Each due time fires once: the server claims it by
-- a compare-and-swap on next_fire_at in the same transaction that inserts the run, so a crash
-- between the two loses and repeats nothing; the unique index below makes a second run for one
-- due time impossible whatever the code does.
--   state        enabled: fires; disabled: an operator switched it off (`stackrun schedules
--                disable`); gone: its pipeline, schedule or repo is no longer there. A disabled
--                or gone schedule never fires; state_reason says why.
--   next_fire_at the next due time (ms since the Unix epoch); NULL when it is not enabled
--   last_fire_at the last due time claimed; last_run_id its run (NULL when the firing made
--                none); last_outcome one line: "run 42", or why no run was made
--   deadman_ms   the dead-man window (0: none); watching_since starts it before any run
--                completed; deadman_alerted_at: the breach already alerted (NULL once a run
--                of the pipeline completes again)

CREATE TABLE schedules (
  id                  INTEGER PRIMARY KEY,
  repo_id             INTEGER NOT NULL REFERENCES repos(id),
  pipeline            TEXT NOT NULL,
  name                TEXT NOT NULL,
  cron                TEXT NOT NULL,
  timezone            TEXT NOT NULL,
  deadman_ms          INTEGER NOT NULL DEFAULT 0,
  pipeline_file       TEXT NOT NULL,
  read_at_commit      TEXT NOT NULL,
  state               TEXT NOT NULL CHECK (state IN ('enabled', 'disabled', 'gone')),
  state_reason        TEXT NOT NULL DEFAULT '',
  next_fire_at        INTEGER,
  last_fire_at        INTEGER,
  last_run_id         INTEGER REFERENCES runs(id),
  last_outcome        TEXT NOT NULL DEFAULT '',
  watching_since      INTEGER NOT NULL,
  deadman_alerted_at  INTEGER,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  UNIQUE (repo_id, pipeline, name)
);

CREATE INDEX schedules_due ON schedules(state, next_fire_at);

ALTER TABLE runs ADD COLUMN schedule_id INTEGER REFERENCES schedules(id);
ALTER TABLE runs ADD COLUMN scheduled_for INTEGER;
CREATE UNIQUE INDEX runs_one_per_due_time ON runs(schedule_id, scheduled_for)
  WHERE schedule_id IS NOT NULL;
