-- stackrun store, version 6: the outbox of commit statuses and chat notifications.
--
-- A row is written in the same transaction as the run change that causes it (a run created,
-- started, ended or corrected; a stack skipped on a lock; a stack recovered), so a change is
-- never told twice or lost. The server's notifier thread sends pending rows whose next_try_at
-- has passed, each target's rows in id order: a row waits while an earlier pending row has the
-- same target, so one commit's statuses arrive in the order they happened.
--   kind         commit_status: POST {api}/repos/{owner}/{repo}/statuses/{sha}, JSON body
--                notify: a Slack-compatible incoming webhook, body {"text": ...}
--   target       the URL posted to (a notify URL's path is a secret: never logged)
--   source       the configured forge source whose API token authenticates a commit status,
--                looked up when sending (tokens are never stored); '' for notify rows
--   state        pending -> sent, or dead once given up (a 4xx other than 408/429, or
--                kMaxSendAttempts tries; runner/core/notify.hpp), with last_error saying why
--   attempts     tries made; next_try_at: ms since the Unix epoch, after backoff with jitter

CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL CHECK (kind IN ('commit_status', 'notify')),
  run_id       INTEGER REFERENCES runs(id),
  target       TEXT NOT NULL,
  source       TEXT NOT NULL DEFAULT '',
  body         TEXT NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_try_at  INTEGER NOT NULL,
  state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
  last_error   TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  sent_at      INTEGER
);

-- The notifier's reads: pending rows by target (the first of each is due) and by time.
CREATE INDEX outbox_pending ON outbox(state, target, id);
CREATE INDEX outbox_by_run ON outbox(run_id);
