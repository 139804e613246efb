// The leak checks themselves must be able to fail: real kiln runs made to leave each kind of object
// behind (a container kept by -on-error=abort; a run killed during its commit, which leaves its
// container, the image the daemon still commits, its temp dir and its journal entry), and objects
// left past a test file's end, must all be reported by the checks every other test relies on.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { dockerJson, dockerRequest } from "../harness/docker-api.js";
import { removeLeftovers, type Leftover } from "../harness/run-leaks.js";
import { assertNoKilnLeftovers, countKilnObjects } from "../harness/leaks.js";
import type { RunResult } from "../harness/kiln.js";
import { build, BUSYBOX, describeRun } from "./support/build.js";
import { pack } from "tar-stream";

const commit = { type: "docker", image: BUSYBOX, pull: false, commit: true };

const kinds = (leftovers: Leftover[]): string[] => [...new Set(leftovers.map((l) => l.kind))].sort();

/** The build container the run printed. */
function containerOf(r: RunResult): string {
  const id = /Container ID: ([0-9a-f]{64})/.exec(r.stdout)?.[1];
  assert.ok(id, describeRun(r));
  return id;
}

/** Waits until the daemon has committed an image from `container` (it finishes after kiln dies). */
async function waitForCommitFrom(container: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const images = await dockerJson<{ Id: string }[]>("GET", "/images/json", { query: { all: 1 } });
    for (const image of images) {
      const detail = await dockerJson<{ Container?: string }>("GET", `/images/${image.Id}/json`);
      if (detail.Container === container) return;
    }
    await sleep(500);
  }
  assert.fail(`no image was committed from ${container} within 2 minutes`);
}

async function oneFileTar(name: string, content: string): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("leak checks catch what a run leaves", () => {
  after(async () => {
    await assertNoKilnLeftovers({ context: "after the leak-check tests" });
  });

  it("a container kept by -on-error=abort is reported by the run's check", async (t) => {
    const r = await build(
      t,
      { builders: [commit], provisioners: [{ type: "shell", inline: ["exit 4"] }] },
      { args: ["-on-error=abort"], expectLeftovers: true },
    );
    t.after(() => removeLeftovers(r.leftovers));
    assert.equal(r.code, 1, describeRun(r));
    const container = r.leftovers.find((l) => l.kind === "container");
    assert.ok(container, `no container among the leftovers: ${JSON.stringify(r.leftovers)}`);
    assert.equal(container.id, containerOf(r));
    assert.match(container.description, new RegExp(`kiln_[0-9a-f]{8}_${r.pid}(\\.\\d+)?_`));
  });

  it("a run killed during its commit: its container, the committed image, its temp dir and its journal entry are all reported", async (t) => {
    // 300 MB of random data: the commit takes long enough for the kill to land during it.
    const r = await build(
      t,
      {
        builders: [commit],
        provisioners: [
          {
            type: "shell",
            inline: ["dd if=/dev/urandom of=/big bs=1M count=300 2>/dev/null", "echo filled"],
          },
        ],
      },
      {
        signalAfter: { signal: "SIGKILL", whenOutputMatches: /Committing the container/, delayMs: 300 },
        expectLeftovers: true,
        beforeCheck: async (res) => waitForCommitFrom(containerOf(res)),
        timeoutMs: 180_000,
      },
    );
    t.after(() => removeLeftovers(r.leftovers));
    assert.equal(r.signal, "SIGKILL", describeRun(r));
    assert.doesNotMatch(r.stdout, /Image ID:/, "the commit finished before the kill: no lost image to find");
    assert.deepEqual(
      kinds(r.leftovers),
      ["container", "image", "journal", "temp"],
      JSON.stringify(r.leftovers),
    );
    const container = containerOf(r);
    const image = r.leftovers.find((l) => l.kind === "image")!;
    assert.match(image.description, new RegExp(`committed from ${container.slice(0, 12)}`));
    const temp = r.leftovers.find((l) => l.kind === "temp")!;
    assert.match(temp.id, /\/kiln-[0-9a-f]{8}-[^/]+$/);
    const journal = r.leftovers.find((l) => l.kind === "journal")!;
    assert.ok(journal.description.includes(temp.id), `journal records the temp dir: ${journal.description}`);
  });

  it("the file-level check sees an untagged image nobody reported, and an image a run reported but nobody removed", async (t) => {
    // An untagged image from outside any kiln run: a one-file import, no tag, no label.
    const tar = await oneFileTar("leak.txt", "leak\n");
    const imported = await dockerRequest("POST", "/images/create", {
      query: { fromSrc: "-" },
      body: tar,
      headers: { "Content-Type": "application/x-tar" },
    });
    assert.equal(imported.status, 200, imported.body.toString());
    const untagged = /sha256:[0-9a-f]{64}/.exec(imported.body.toString())?.[0];
    assert.ok(untagged, imported.body.toString());
    t.after(async () => {
      await dockerRequest("DELETE", `/images/${untagged}`, { query: { force: 1 } });
    });

    // An image a kiln run reported (its artifact), left in place.
    const r = await build(t, { builders: [commit], provisioners: [{ type: "shell", inline: ["true"] }] });
    assert.equal(r.code, 0, describeRun(r));
    const reported = r.imageIds[0]!;
    t.after(async () => {
      await dockerRequest("DELETE", `/images/${reported}`, { query: { force: 1 } });
    });

    const { objects } = await countKilnObjects();
    const ids = objects.map((o) => o.id);
    assert.ok(ids.includes(untagged), `untagged image not seen: ${JSON.stringify(objects)}`);
    assert.ok(ids.includes(reported), `reported image not seen: ${JSON.stringify(objects)}`);
    await assert.rejects(assertNoKilnLeftovers({ context: "(deliberate)" }), (e: Error) => {
      assert.match(e.message, new RegExp(`untagged image ${untagged.slice(7, 19)}`));
      assert.match(e.message, /reported by a kiln run, never removed/);
      return true;
    });
    // The failed check removed them, so the next check passes.
    await assertNoKilnLeftovers({ context: "after the deliberate leaks were removed" });
  });
});
