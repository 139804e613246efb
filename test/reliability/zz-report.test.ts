// Runs last (files run in name order): prints every scenario of the reliability suite in one table
// (scenario, expected, observed, leftovers found) and holds the suite to its floor: at least 30
// scenarios, all passed, zero leftovers.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { formatTable, readRows, removeResults, resultsFile } from "./support/scenario.js";

const MIN_SCENARIOS = 30;

it("reliability report", () => {
  const rows = readRows();
  removeResults();
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter(
    (f) => f.endsWith(".test.ts") && f !== path.basename(fileURLToPath(import.meta.url)),
  );
  const ran = new Set(rows.map((r) => r.file));
  if (rows.length === 0) {
    process.stdout.write(
      `\nreliability report: no scenario results in ${resultsFile()} (run the whole suite)\n`,
    );
    return;
  }
  const leftovers = rows.reduce((n, r) => n + r.leftovers, 0);
  const failed = rows.filter((r) => !r.passed);
  process.stdout.write(
    `\nkiln reliability suite: ${rows.length} scenarios, ${rows.length - failed.length} passed, ${failed.length} failed, ${leftovers} leftover(s) found\n${formatTable(rows)}\n`,
  );
  assert.equal(leftovers, 0, "no scenario left anything behind");
  assert.deepEqual(
    failed.map((r) => r.scenario),
    [],
    "every scenario passed",
  );
  // The floor only applies to a full run (a filtered run reports what it ran).
  if (files.every((f) => ran.has(f))) assert.ok(rows.length >= MIN_SCENARIOS, `${rows.length} scenarios`);
});
