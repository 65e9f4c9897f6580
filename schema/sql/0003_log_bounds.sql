-- stackrun store, version 3: bounded log storage.
--
-- 1. Each attempt counts the step output stored for it (out_bytes) and whether the server's
--    per-attempt cap cut it (out_truncated: chunks past the cap are acknowledged, not stored,
--    and one sys line says so).
-- 2. run_logs counts each run's stored log bytes (step output and sys lines) and, once the run
--    is finished, when; retention reads only this small table to pick what to prune (oldest
--    finished runs first), never the runs rows with their pipeline snapshots. pruned_at: when
--    retention removed the run's chunks (one sys line then says why).
-- 3. Space: deleted rows free pages inside the file. Databases created by this version use
--    auto_vacuum=INCREMENTAL (set when the file is created, see runner/store/db.cpp; it cannot
--    be changed inside a migration), and retention returns freed pages to the file system with
--    PRAGMA incremental_vacuum. Older files keep auto_vacuum=NONE (freed pages are reused, the
--    file does not shrink) until `stackrun gc --vacuum` rebuilds them.

ALTER TABLE attempts ADD COLUMN out_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN out_truncated INTEGER NOT NULL DEFAULT 0;

CREATE TABLE run_logs (
  run_id       INTEGER PRIMARY KEY REFERENCES runs(id),
  bytes        INTEGER NOT NULL DEFAULT 0,    -- SUM(length(data)) of the run's log_chunks
  finished_at  INTEGER,                       -- the run's finished_at once it is finished
  pruned_at    INTEGER                        -- when retention removed its chunks
);

UPDATE attempts SET out_bytes =
  (SELECT COALESCE(SUM(length(c.data)), 0) FROM log_chunks c
   WHERE c.attempt_id = attempts.id AND c.stream = 'out');
INSERT INTO run_logs(run_id, bytes, finished_at)
  SELECT r.id, (SELECT COALESCE(SUM(length(c.data)), 0) FROM log_chunks c WHERE c.run_id = r.id),
         r.finished_at
  FROM runs r;
