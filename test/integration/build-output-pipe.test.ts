// `kiln build … | head -n 3`: the reader goes away, kiln's next write to stdout fails with EPIPE.
// That must cancel the run as SIGPIPE would: full cleanup (no container left), no "internal error"
// or stack on stderr, and the exit status a SIGPIPE'd process reports (128 + 13 = 141).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUSYBOX, removeProduced } from "./support/build.js";
import { childEnv, KILN_BIN, runCommand, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers, countKilnObjects } from "../harness/leaks.js";

const template = {
  builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
  provisioners: [
    {
      type: "shell",
      // At least 20 s of output: a run that was really cancelled ends long before.
      inline: ["echo provisioning-started", "for i in $(seq 1 400); do echo line $i; sleep 0.05; done"],
    },
  ],
};

async function noBuildContainers(): Promise<void> {
  const { containers, objects } = await countKilnObjects();
  assert.equal(containers, 0, `left behind: ${objects.map((o) => o.description).join(", ")}`);
}

describe("stdout closed early", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after closed-stdout tests" });
  });

  it("kiln build | head -n 3: exits 141 quietly, nothing left behind", async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, "template.json"), JSON.stringify(template));
    const script = `node ${JSON.stringify(KILN_BIN)} build -color=false template.json 2>stderr.txt | head -n 3; echo "kiln=\${PIPESTATUS[0]}"`;
    const r = await runCommand("bash", ["-c", script], { cwd: dir, timeoutMs: 120_000 });
    const stderr = readFileSync(join(dir, "stderr.txt"), "utf8");
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 4, r.stdout);
    assert.equal(lines.at(-1), "kiln=141", `${r.stdout}\n--- kiln stderr\n${stderr}`);
    assert.ok(r.durationMs < 15_000, `the run was cancelled, not finished (${r.durationMs} ms)`);
    assert.doesNotMatch(stderr, /internal error|EPIPE|\n\s+at /, stderr);
    await noBuildContainers();
  });

  it("the reader goes away while a provisioner runs: the container is removed, exit 141", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "template.json"), JSON.stringify(template));
    const started = Date.now();
    const child = spawn(process.execPath, [KILN_BIN, "build", "-color=false", "template.json"], {
      cwd: dir,
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    let seen = "";
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (c: Buffer) => {
        seen += c.toString();
        // Close our end of the pipe once the build container is running a provisioner.
        if (/line 3\b/.test(seen)) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    assert.equal(code, 141, `exit ${code}\n--- stdout seen\n${seen}\n--- stderr\n${stderr}`);
    assert.ok(
      Date.now() - started < 15_000,
      `the run was cancelled, not finished (${Date.now() - started} ms)`,
    );
    assert.doesNotMatch(stderr, /internal error|EPIPE|\n\s+at /, stderr);
    await noBuildContainers();
  });
});
