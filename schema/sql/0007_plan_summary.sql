-- stackrun store, version 7: what a plan would do, kept with its attempt.
--
-- plan_json: the Terraform plan a step's output held (core::PlanSummary, encoded by the wire
-- codec as in AttemptDetail "plan": counts to add, change, destroy and import, "No changes.",
-- and up to 200 changed resource addresses with their actions); NULL when it held none. Drift
-- runs read it per stack (`stackrun show`, and the drift report of issue 9).
ALTER TABLE attempts ADD COLUMN plan_json TEXT;
