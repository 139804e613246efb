// The package's public API (src/index.ts, as built into dist/index.d.ts) is recorded in
// etc/kiln.api.md by API Extractor. This fails when the API differs from the report: a change to
// the API is then a deliberate one, made visible in the diff of the report (`npm run api`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("the public API matches etc/kiln.api.md", { timeout: 300_000 }, () => {
  // Without --local, API Extractor fails when the report it produces differs from the file.
  const r = spawnSync(
    process.execPath,
    [join(root, "node_modules/@microsoft/api-extractor/bin/api-extractor"), "run"],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  assert.equal(
    r.status,
    0,
    `the API changed: run \`npm run api\` and commit etc/kiln.api.md\n${r.stdout}${r.stderr}`,
  );
  assert.match(r.stdout, /API Extractor completed successfully/);
});
