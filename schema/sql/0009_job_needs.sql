-- stackrun store, version 9: the stacks a job waits for within its run.
--
-- needs: comma-separated stack paths of the same run that must end success (or drift) before
-- the job may start: its Terragrunt `dependency` / `dependencies` among the run's stacks
-- (runner/hcl/reads.hpp). If one of them ends otherwise, the job is skipped with the reason
-- "dependency <stack> <status>". '' = none (every job before this version).
ALTER TABLE jobs ADD COLUMN needs TEXT NOT NULL DEFAULT '';
