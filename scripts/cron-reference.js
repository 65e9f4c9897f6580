#!/usr/bin/env node
// Regenerates tests/data/cron/reference.tsv: next fire times from an independent cron
// implementation (the npm package cron-parser, v4), for runner/core/cron_reference_test.cpp.
// Not part of the build or CI (the table is checked in); to regenerate:
//   d=$(mktemp -d) && (cd "$d" && npm install cron-parser@4) &&
//   NODE_PATH="$d/node_modules" node scripts/cron-reference.js > tests/data/cron/reference.tsv
// cron-parser has no W, and resolves daylight-saving gaps and repeated hours by other rules than
// stackrun's (docs/pipeline-reference.md, "schedules"): rows whose start or fire times fall within
// 3 hours of a zone's offset change are left out here and tested by hand in cron_test.cpp.
const parser = require("cron-parser");

const exprs = [
  "* * * * *", "*/7 * * * *", "5,35 */3 * * *", "0 9-17/2 * * 1-5", "15 4 * * sun",
  "0 0 1 * *", "0 0 31 * *", "0 0 29 2 *", "0 0 28-31 2 *", "0 0 * * 7", "0 12 1,15 * fri",
  "0 6 13 * 5", "59 23 L * *", "0 0 L 2 *", "0 12 * * 5L", "0 12 * * 1#1", "0 12 * * 3#5",
  "30 8 * jan,jul mon", "0 0 1 1 *", "0 0 * * 0-6/2", "45 23 * * sat,sun", "0 22 */2 * *",
  "0 */6 * feb *", "0 0 15 * 1", "@hourly", "@daily", "@weekly", "@monthly", "@yearly",
];
const zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"];
const starts = [
  "2024-02-28T23:59:00Z", "2025-12-31T23:30:00Z", "2026-06-28T16:58:00Z", "2027-01-15T05:00:00Z",
  "2028-02-29T12:00:00Z", "2099-12-31T12:00:00Z",
];
const COUNT = 5;
const WINDOW_MS = 3 * 3600 * 1000;

// Instants within WINDOW_MS of an offset change of `tz`, found by sampling offsets hourly.
function nearChange(tz, date) {
  const { DateTime } = require("luxon");
  const t = date.getTime();
  const off = (ms) => DateTime.fromMillis(ms, { zone: tz }).offset;
  for (let d = -WINDOW_MS; d <= WINDOW_MS; d += 15 * 60 * 1000)
    if (off(t + d) !== off(t)) return true;
  return false;
}

console.log("# expr\tzone\tfrom (UTC)\tnext fire times (UTC), space-separated");
for (const expr of exprs)
  for (const tz of zones)
    for (const from of starts) {
      const it = parser.parseExpression(expr, { currentDate: new Date(from), tz });
      const out = [];
      let skip = nearChange(tz, new Date(from));
      for (let i = 0; i < COUNT; i++) {
        const d = it.next().toDate();
        skip = skip || nearChange(tz, d);
        out.push(d.toISOString().replace(".000Z", "Z"));
      }
      if (!skip) console.log([expr, tz, from, out.join(" ")].join("\t"));
    }
