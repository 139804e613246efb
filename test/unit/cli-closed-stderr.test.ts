// A reader that closes kiln's stderr (diagnostics go there) ends kiln as SIGPIPE would (141),
// not through the internal-error handler. Uses dist/ (`npm run build`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const KILN = resolve("bin/kiln.js");

test("validate with its stderr closed exits 141 quietly, as with stdout", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kiln-stderr-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "bad.pkr.hcl"), 'build {\n  sources = ["x"]\n}\n');
  // `true` exits at once, so the pipe is closed before kiln writes its diagnostics.
  const script = `node ${JSON.stringify(KILN)} validate bad.pkr.hcl 2>&1 >/dev/null | true; echo "kiln=\${PIPESTATUS[0]}"`;
  for (let i = 0; i < 3; i++) {
    const r = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
    assert.equal(r.stdout.trim(), "kiln=141", r.stderr);
  }
});
