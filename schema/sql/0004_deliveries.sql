-- stackrun store, version 4: webhook deliveries (POST /hooks/{source}).
--
-- Every request to a configured source is kept with its outcome and the reason, accepted or
-- not (`stackrun deliveries` and the guards read them):
--   accept    the guards let it start an apply; run_id is the first run the worker created
--             (NULL while it works, or when no pipeline matched), error why it created none
--   ignored   duplicate, tag push, branch deletion, other event, push already run, mirror,
--             branch outside the allowlist, [ci skip]
--   denied    the sender is not in the allowlist
--   rejected  the signature did not verify or the payload did not parse
-- delivery_id is the forge's id (X-GitHub-Delivery, ...) once the signature verified; NULL on
-- rejected rows, so a forged request can never claim a real delivery's id. (source,
-- delivery_id) is unique: a re-delivered id is seen and ignored.
-- holds_key = 1 on the one accepted delivery of a push (repo, ref, after): the "one run per
-- push, whichever source delivers it" key, unique across sources. It is released (0) when the
-- worker fails to create the run (say the commit is not in the repo yet), so a later delivery
-- of the same push may try again.

CREATE TABLE deliveries (
  id            INTEGER PRIMARY KEY,
  source        TEXT NOT NULL,                 -- the configured source name
  repo          TEXT NOT NULL,                 -- the configured repo the source belongs to
  delivery_id   TEXT,
  received_at   INTEGER NOT NULL,              -- ms since the Unix epoch
  event         TEXT NOT NULL DEFAULT '',      -- push | tag | delete | other; '' if unparsed
  ref           TEXT NOT NULL DEFAULT '',
  after         TEXT NOT NULL DEFAULT '',
  sender_id     TEXT NOT NULL DEFAULT '',      -- the forge user id, decimal
  sender_login  TEXT NOT NULL DEFAULT '',
  outcome       TEXT NOT NULL CHECK (outcome IN ('accept', 'ignored', 'denied', 'rejected')),
  reason        TEXT NOT NULL,
  holds_key     INTEGER NOT NULL DEFAULT 0,
  run_id        INTEGER REFERENCES runs(id),
  error         TEXT NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX deliveries_by_id ON deliveries(source, delivery_id)
  WHERE delivery_id IS NOT NULL;
CREATE UNIQUE INDEX deliveries_by_push ON deliveries(repo, ref, after) WHERE holds_key = 1;
CREATE INDEX deliveries_by_repo ON deliveries(repo, id);
