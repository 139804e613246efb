// Failure paths: exit code, message, and zero kiln-labelled containers left afterwards.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { build, BUSYBOX, describeRun, removeProduced } from "./support/build.js";
import { assertNoKilnLeftovers, kilnContainers } from "../harness/leaks.js";
import { runKiln, tempDir } from "../harness/kiln.js";
import { removeLeftovers } from "../harness/run-leaks.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const commit = { type: "docker", image: BUSYBOX, pull: false, commit: true };

async function noContainers(): Promise<void> {
  const containers = await kilnContainers();
  assert.equal(
    containers.length,
    0,
    `leftover containers: ${containers.map((o) => o.description).join(", ")}`,
  );
}

describe("failure paths", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after failure-path tests" });
  });

  it("a provisioner that exits 1: exit 1, Packer's message, nothing left", async (t) => {
    const r = await build(t, {
      builders: [commit],
      provisioners: [{ type: "shell", inline: ["echo failing", "exit 1"] }],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /Script exited with non-zero exit status: 1/);
    assert.match(r.stdout, /==> Some builds didn't complete successfully and had errors:/);
    assert.match(r.stdout, /Killing the container: [0-9a-f]{64}/);
    await noContainers();
  });

  it("a bad changes line: exit 2 at validate time, positioned, no container created", async (t) => {
    const r = await build(t, {
      builders: [{ ...commit, changes: ["FROBNICATE x"] }],
      provisioners: [{ type: "shell", inline: ["true"] }],
    });
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, /template\.json:\d+:\d+: error: .*FROBNICATE/);
    assert.doesNotMatch(r.stdout, /Starting docker container/);
    await noContainers();
  });

  it("the base image missing: exit 1, clear message, nothing left", async (t) => {
    const r = await build(t, {
      builders: [{ ...commit, image: "kiln-it/missing-base:0" }],
      provisioners: [{ type: "shell", inline: ["true"] }],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /kiln-it\/missing-base:0/);
    assert.match(r.stdout, /not present in the engine/);
    await noContainers();
  });

  it("SIGINT during a provisioner: cancels, cleans up, exits 130", async (t) => {
    const r = await build(
      t,
      { builders: [commit], provisioners: [{ type: "shell", inline: ["echo sleeping-now", "sleep 60"] }] },
      { signalAfter: { signal: "SIGINT", whenOutputMatches: /sleeping-now/ }, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 130, describeRun(r));
    assert.match(r.stdout + r.stderr, /Cancelling build after receiving interrupt/);
    assert.ok(r.durationMs < 30_000, `took ${r.durationMs} ms`);
    await noContainers();
  });

  it("SIGTERM during commit: cancels, cleans up, exits 143", async (t) => {
    // A large file makes the commit take long enough to be interrupted.
    const r = await build(
      t,
      {
        builders: [commit],
        provisioners: [
          {
            type: "shell",
            inline: ["dd if=/dev/urandom of=/big bs=1M count=400 2>/dev/null", "echo filled"],
          },
        ],
      },
      {
        signalAfter: { signal: "SIGTERM", whenOutputMatches: /Committing the container/, delayMs: 100 },
        timeoutMs: 120_000,
      },
    );
    assert.equal(r.code, 143, describeRun(r));
    assert.match(r.stdout + r.stderr, /Cancelling build after receiving terminate/);
    await noContainers();
  });

  it("-on-error=abort keeps the container and says how to enter and remove it", async (t) => {
    const r = await build(
      t,
      { builders: [commit], provisioners: [{ type: "shell", inline: ["exit 4"] }] },
      { args: ["-on-error=abort"], expectLeftovers: true },
    );
    t.after(() => removeLeftovers(r.leftovers));
    assert.equal(r.code, 1, describeRun(r));
    const id = /docker rm -f ([0-9a-f]{12})/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.match(r.stdout, new RegExp(`docker exec -it ${id} /bin/sh`));
    // The kept container, and nothing else: its temp dir and journal entry are gone.
    assert.deepEqual(
      r.leftovers.map((l) => [l.kind, l.id.slice(0, 12)]),
      [["container", id]],
    );
    const objects = await kilnContainers();
    assert.ok(
      objects.some((o) => o.id.startsWith(id)),
      "container kept",
    );
  });

  it("kiln validate on a broken template exits 2 with positioned errors while no engine is reachable", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "broken.json");
    writeFileSync(
      file,
      JSON.stringify({ bulders: [], builders: [{ type: "docker", imgae: "x", commit: true }] }, null, 2),
    );
    const r = await runKiln(["validate", file], {
      cwd: dir,
      env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" },
    });
    assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /broken\.json:2:3: error: .*bulders.*did you mean "builders"/);
    assert.match(r.stderr, /broken\.json:\d+:\d+: error: .*imgae.*did you mean "image"/);
  });

  it("an unreachable engine at build time: exit 1, names the socket, no retry loop", async (t) => {
    const r = await build(
      t,
      { builders: [commit] },
      { env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } },
    );
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout + r.stderr, /\/nonexistent\/docker\.sock/);
    assert.ok(r.durationMs < 10_000);
  });
});
