// Which leftovers a kiln run may remove: a container kept on purpose (-on-error=abort) stays until
// `kiln prune`; a running build is never touched, whatever its process's command line says (kiln
// used as a library runs in a process whose argv does not mention kiln).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, describeRun, removeProduced, trackImage } from "./support/build.js";
import { childEnv, REPO_ROOT, runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { dockerRequest } from "../harness/docker-api.js";

const commit = { type: "docker", image: BUSYBOX, pull: false, commit: true };

async function containerExists(id: string): Promise<boolean> {
  const res = await dockerRequest("GET", `/containers/${id}/json`);
  return res.status === 200;
}

describe("ownership of leftovers", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after ownership tests" });
  });

  it("-on-error=abort: the kept container survives later builds; kiln prune removes it", async (t) => {
    const state = tempDir(t);
    const env = { KILN_STATE_DIR: state };
    const failed = await build(
      t,
      { builders: [commit], provisioners: [{ type: "shell", inline: ["exit 4"] }] },
      { args: ["-on-error=abort"], env, expectLeftovers: true },
    );
    assert.equal(failed.code, 1, describeRun(failed));
    const id = /docker rm -f ([0-9a-f]{12})/.exec(failed.stdout)?.[1];
    assert.ok(id, failed.stdout);
    t.after(async () => void (await dockerRequest("DELETE", `/containers/${id}`, { query: { force: 1 } })));
    assert.match(failed.stdout, /stays until you remove it\b.*kiln prune/);

    const other = await build(
      t,
      { builders: [commit], provisioners: [{ type: "shell", inline: ["true"] }] },
      { env },
    );
    assert.equal(other.code, 0, describeRun(other));
    assert.ok(await containerExists(id), "a later, unrelated build left the kept container alone");
    assert.doesNotMatch(other.stdout, /Removed \d+ leftover/);

    const dry = await runKiln(["prune", "--dry-run"], { env });
    assert.equal(dry.code, 0, dry.output);
    assert.match(dry.stdout, /container kiln_\S+ .*kept by -on-error.*\[owner gone: will remove\]/);
    assert.ok(await containerExists(id), "--dry-run removes nothing");
    const prune = await runKiln(["prune"], { env });
    assert.equal(prune.code, 0, prune.output);
    assert.equal(await containerExists(id), false, `kiln prune removed it\n${prune.output}`);
  });

  it("a build run by a program using kiln as a library is not taken for a dead run", async (t) => {
    // The runner's path and argv must not contain "kiln": tempDir's default prefix does.
    const dir = tempDir(t, "libuser-");
    const state = tempDir(t, "libuser-state-");
    writeFileSync(
      join(dir, "template.json"),
      JSON.stringify({
        builders: [commit],
        provisioners: [{ type: "shell", inline: ["echo runner-started", "sleep 6", "echo runner-done"] }],
      }),
    );
    writeFileSync(
      join(dir, "runner.mjs"),
      `import { runCli } from ${JSON.stringify(join(REPO_ROOT, "dist", "index.js"))};\n` +
        `process.exitCode = await runCli(["build", "-color=false", "template.json"]);\n`,
    );
    const runner = spawn(process.execPath, ["runner.mjs"], {
      cwd: dir,
      env: childEnv({ KILN_STATE_DIR: state }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (c: Buffer) => (output += c.toString());
    runner.stdout.on("data", collect);
    runner.stderr.on("data", collect);
    const exited = new Promise<number | null>((resolve) => runner.on("close", (code) => resolve(code)));
    t.after(() => void runner.kill("SIGKILL"));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runner did not start:\n${output}`)), 60_000);
      runner.stdout.on("data", () => {
        if (output.includes("runner-started")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

    const prune = await runKiln(["prune"], { env: { KILN_STATE_DIR: state } });
    assert.match(
      prune.stdout,
      new RegExp(`container kiln_\\w+_${runner.pid}[._]\\S+ .*\\[owner still running: kept\\]`),
      prune.output,
    );
    const other = await build(
      t,
      { builders: [commit], provisioners: [{ type: "shell", inline: ["true"] }] },
      {
        env: { KILN_STATE_DIR: state },
      },
    );
    assert.equal(other.code, 0, describeRun(other));

    const code = await exited;
    for (const m of output.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
    assert.equal(code, 0, output);
    assert.match(output, /runner-done/);
    assert.doesNotMatch(output, /stopped from outside|Lost the connection/);
  });
});
