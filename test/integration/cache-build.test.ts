// The per-step cache against the real engine, through the CLI as a user runs it: which steps run
// and which come from the cache as inputs change, the same image either way, expiry, steps that
// run every time, concurrent runs, and SIGINT during a step.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runKiln, tempDir, type RunResult } from "../harness/kiln.js";
import { dockerJson } from "../harness/docker-api.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { BUSYBOX, describeRun, removeProduced, trackImage } from "./support/build.js";
import { commitOn, tagAs } from "./support/base-images.js";
import { ON_PODMAN } from "./support/engine.js";
import { snapshotImage } from "../parity/support/images.js";

const NONCE = randomUUID().slice(0, 8);
const stateDir = mkdtempSync(path.join(os.tmpdir(), "kiln-cache-it-state-"));

interface CacheImage {
  Id: string;
  RepoTags: string[] | null;
}

async function cacheEntries(): Promise<CacheImage[]> {
  return dockerJson<CacheImage[]>("GET", "/images/json", {
    query: { filters: JSON.stringify({ reference: ["kiln-cache"] }) },
  });
}

/** Writes the template into `dir` and runs `kiln build` there (same dir, same files, again and again). */
async function kilnBuild(
  dir: string,
  template: object,
  args: string[] = [],
  opts: Parameters<typeof runKiln>[1] = {},
) {
  const file = path.join(dir, "template.json");
  writeFileSync(file, JSON.stringify(template, null, 2));
  const r = await runKiln(["build", "-color=false", ...args, file], {
    cwd: dir,
    env: { KILN_STATE_DIR: stateDir },
    timeoutMs: 180_000,
    ...opts,
  });
  for (const m of r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
  return r;
}

/** Markers each step prints when it runs (a cached step prints nothing). */
function ran(r: RunResult): string[] {
  return [...r.stdout.matchAll(/ {4}docker: RAN-(\S+)$/gm)].map((m) => m[1]!);
}

function cachedSteps(r: RunResult): string[] {
  return [
    ...r.stdout.matchAll(/==> docker: Provisioner (\d+) \(\w[\w-]*\) is cached: key [0-9a-f]{12}/g),
  ].map((m) => m[1]!);
}

const step = (name: string, nonce: string) => ({
  type: "shell",
  inline: [`echo RAN-${name}`, `echo ${name}-${nonce} > /${name}.txt`],
});

function imageOf(r: RunResult): string {
  const ids = [...r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);
  assert.ok(ids.length > 0, describeRun(r));
  return ids.at(-1)!;
}

describe("per-step cache (real engine)", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after cache tests" });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("cold runs every step; warm runs none and gives the same config and filesystem", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-warm`;
    const template = {
      builders: [
        {
          type: "docker",
          image: BUSYBOX,
          pull: false,
          commit: true,
          changes: [
            "ENV BUILT=yes",
            "WORKDIR /srv",
            "LABEL cache=test",
            'CMD ["/bin/sh", "-c", "cat /one.txt"]',
          ],
        },
      ],
      provisioners: [step("one", nonce), step("two", nonce), step("three", nonce)],
    };
    const cold = await kilnBuild(dir, template);
    assert.equal(cold.code, 0, describeRun(cold));
    assert.deepEqual(ran(cold), ["one", "two", "three"]);
    assert.match(cold.stdout, /Provisioner 1 \(shell\) runs: no cache entry for key [0-9a-f]{12}/);
    assert.match(cold.stdout, /Cached provisioner 3 \(shell\) as key [0-9a-f]{12}/);
    const warm = await kilnBuild(dir, template);
    assert.equal(warm.code, 0, describeRun(warm));
    assert.deepEqual(ran(warm), [], "no step printed its marker");
    assert.deepEqual(cachedSteps(warm), ["1", "2", "3"]);
    assert.match(warm.stdout, /Provisioner 1 \(shell\) is cached: key [0-9a-f]{12}, \d+ \w+ old/);

    const [a, b] = [await snapshotImage(imageOf(cold)), await snapshotImage(imageOf(warm))];
    assert.ok(a && b);
    if (ON_PODMAN) {
      // Podman's commit keeps the comment of the image the container started from when given
      // none (docs/engines.md): both builds commit a container created from the last step's entry.
      assert.match(String(b.config.Comment), /^kiln: provisioner 3 \(shell\) \[cache [0-9a-f]{12}\]$/);
    }
    assert.deepEqual(
      b.config,
      a.config,
      "same image config (Cmd, Entrypoint, Env, User, WorkingDir, Labels, …)",
    );
    // Both results are committed from a container created from the last step's entry: the same
    // layers, on every engine (the containerd image store gave the cold one a layer of its own).
    const layers = async (id: string) =>
      (await dockerJson<{ RootFS?: { Layers?: string[] } }>("GET", `/images/${id}/json`)).RootFS?.Layers;
    assert.deepEqual(await layers(b.id), await layers(a.id), "same layers");
    assert.deepEqual([...b.fs.entries()].sort(), [...a.fs.entries()].sort(), "same filesystem");
    const fsA = a.fs;
    assert.ok(fsA.has("two.txt") || fsA.has("/two.txt"), "the steps' files are in the image");
  });

  it("one byte, or one mode bit, of an uploaded file re-runs that step and the ones after it only", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-file`;
    writeFileSync(path.join(dir, "app.conf"), "port=1\n");
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [
        step("one", nonce),
        { type: "file", source: "app.conf", destination: "/app.conf" },
        step("three", nonce),
      ],
    };
    assert.equal((await kilnBuild(dir, template)).code, 0);
    writeFileSync(path.join(dir, "app.conf"), "port=2\n");
    const byte = await kilnBuild(dir, template);
    assert.equal(byte.code, 0, describeRun(byte));
    assert.deepEqual(cachedSteps(byte), ["1"]);
    assert.deepEqual(ran(byte), ["three"]);
    chmodSync(path.join(dir, "app.conf"), 0o600);
    const mode = await kilnBuild(dir, template);
    assert.deepEqual(cachedSteps(mode), ["1"]);
    assert.deepEqual(ran(mode), ["three"]);
    const unchanged = await kilnBuild(dir, template);
    assert.deepEqual(cachedSteps(unchanged), ["1", "2", "3"]);
  });

  it("a changed environment_vars value re-runs from that step; a new base image ID re-runs everything", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-env`;
    // A base image of the test's own, so that replacing it touches no other test.
    const base = `kiln-it/cache-base-${NONCE}:1`;
    await tagAs(BUSYBOX, base);
    const template = (v: string) => ({
      builders: [{ type: "docker", image: base, pull: false, commit: true }],
      provisioners: [step("one", nonce), { ...step("two", nonce), environment_vars: [`V=${v}`] }],
    });
    assert.equal((await kilnBuild(dir, template("a"))).code, 0);
    const env = await kilnBuild(dir, template("b"));
    assert.deepEqual(cachedSteps(env), ["1"]);
    assert.deepEqual(ran(env), ["two"]);
    // The same name, another image ID (one more layer on the base).
    const rebased = await commitOn(base, base);
    trackImage(rebased);
    const after = await kilnBuild(dir, template("b"));
    assert.equal(after.code, 0, describeRun(after));
    assert.deepEqual(cachedSteps(after), []);
    assert.deepEqual(ran(after), ["one", "two"]);
  });

  it("-no-cache runs every step and makes no entry; -cache-max-age refuses old entries", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-flags`;
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [step("one", nonce)],
    };
    const before = (await cacheEntries()).length;
    const none = await kilnBuild(dir, template, ["-no-cache"]);
    assert.equal(none.code, 0, describeRun(none));
    assert.deepEqual(ran(none), ["one"]);
    assert.equal((await cacheEntries()).length, before, "no entry made");
    assert.doesNotMatch(none.stdout, /cache/i);
    assert.equal((await kilnBuild(dir, template)).code, 0);
    await new Promise((r) => setTimeout(r, 2100));
    const old = await kilnBuild(dir, template, ["-cache-max-age=1s"]);
    assert.deepEqual(ran(old), ["one"]);
    assert.match(old.stdout, /is \d+ seconds? old, older than -cache-max-age/);
    const fresh = await kilnBuild(dir, template, ["-cache-max-age=7d"]);
    assert.deepEqual(cachedSteps(fresh), ["1"]);
    const bad = await kilnBuild(dir, template, ["-cache-max-age=soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /-cache-max-age: "soon" is not an age/);
  });

  it("a step that changes no file is cached; an entry tag moved onto another image is refused", async (t) => {
    // The containerd image store commits an unchanged container without a new layer (an empty
    // history entry): the entry then has exactly its parent's layers and must still be used.
    const dir = tempDir(t);
    const nonce = `${NONCE}-nochange`;
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [{ type: "shell", inline: [`echo RAN-nochange-${nonce}`] }],
    };
    const cold = await kilnBuild(dir, template);
    assert.equal(cold.code, 0, describeRun(cold));
    const short = /Provisioner 1 \(shell\) runs: no cache entry for key ([0-9a-f]{12})/.exec(
      cold.stdout,
    )?.[1];
    assert.ok(short, describeRun(cold));
    const warm = await kilnBuild(dir, template);
    assert.equal(warm.code, 0, describeRun(warm));
    assert.deepEqual(cachedSteps(warm), ["1"], describeRun(warm));
    assert.doesNotMatch(warm.stdout, /RAN-nochange/);

    // The entry's tag put on the base image by hand (the same layers, another image): refused.
    const entry = (await cacheEntries())
      .flatMap((e) => e.RepoTags ?? [])
      .find((tag) => tag.includes(`:${short}`));
    assert.ok(entry, `an entry tagged kiln-cache:${short}…`);
    await tagAs(BUSYBOX, entry);
    const moved = await kilnBuild(dir, template);
    assert.equal(moved.code, 0, describeRun(moved));
    assert.match(
      moved.stdout,
      new RegExp(
        `Provisioner 1 \\(shell\\) runs: the cache entry kiln-cache:${short} is not an image of this build plus one layer: not used`,
      ),
    );
    assert.match(moved.stdout, /RAN-nochange/);
  });

  it("a download runs on a cached rebuild (its file is there afterwards); shell-local feeds a file step", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-host`;
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [
        step("one", nonce),
        { type: "file", source: "/one.txt", destination: "out/one.txt", direction: "download" },
        { type: "shell-local", inline: ["cat generated.src > generated.txt"] },
        { type: "file", source: "generated.txt", destination: "/generated.txt", generated: true },
        step("five", nonce),
      ],
    };
    writeFileSync(path.join(dir, "generated.src"), "v1\n");
    assert.equal((await kilnBuild(dir, template)).code, 0);
    rmSync(path.join(dir, "out"), { recursive: true, force: true });
    const again = await kilnBuild(dir, template);
    assert.equal(again.code, 0, describeRun(again));
    assert.deepEqual(cachedSteps(again), ["1", "4", "5"]);
    assert.equal(readFileSync(path.join(dir, "out", "one.txt"), "utf8"), `one-${nonce}\n`);
    assert.match(
      again.stdout,
      /Provisioner 2 \(file\) runs every time: downloads write out\/one\.txt on the host/,
    );
    writeFileSync(path.join(dir, "generated.src"), "v2\n");
    const fed = await kilnBuild(dir, template);
    assert.deepEqual(cachedSteps(fed), ["1"], "the file step sees shell-local's new output");
    assert.deepEqual(ran(fed), ["five"]);
  });

  it("two runs of the same template at once: both succeed, one entry per step", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-twice`;
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [
        { type: "shell", inline: [`echo RAN-one`, "sleep 1", `echo ${nonce} > /one.txt`] },
        step("two", nonce),
      ],
    };
    const other = tempDir(t);
    const before = (await cacheEntries()).length;
    const [a, b] = await Promise.all([kilnBuild(dir, template), kilnBuild(other, template)]);
    assert.equal(a.code, 0, describeRun(a));
    assert.equal(b.code, 0, describeRun(b));
    assert.equal((await cacheEntries()).length, before + 2, "no duplicate entries");
    assert.equal(ran(a).length + ran(b).length, 2, "each step ran once in all");
  });

  it("SIGINT during a step: no entry for it, nothing left behind", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-sigint`;
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [
        step("one", nonce),
        { type: "shell", inline: ["echo RAN-slow", "sleep 30", `echo ${nonce}`] },
      ],
    };
    const before = (await cacheEntries()).length;
    const r = await kilnBuild(dir, template, [], {
      signalAfter: { signal: "SIGINT", whenOutputMatches: /RAN-slow/ },
    });
    assert.equal(r.code, 130, describeRun(r));
    assert.equal((await cacheEntries()).length, before + 1, "only the first step's entry");
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after SIGINT" });
  });

  it("container_dir is there for every step; entries before the last keep it, no result holds it", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-cdir`;
    const look = (name: string) => ({
      type: "shell",
      inline: [
        `echo ${name}-${nonce} > /${name}.txt`,
        // Each directory kiln made: mode and owner, as the first upload made them; and what the
        // steps before left there (as in Packer's bind mount, it stays for the next steps).
        "echo DIR-$(stat -c '%a:%u' /kiln /kiln/share /kiln/share/in | tr '\\n' ' ')",
        "echo LEFT-$(ls /kiln/share/in | tr '\\n' ' ')",
        `touch /kiln/share/in/${name}`,
      ],
    });
    const template = (steps: string[]) => ({
      builders: [
        { type: "docker", image: BUSYBOX, pull: false, commit: true, container_dir: "/kiln/share/in" },
      ],
      provisioners: steps.map(look),
    });
    const dirsOf = (r: RunResult) => [...r.stdout.matchAll(/docker: DIR-(.*)$/gm)].map((m) => m[1]!.trim());
    const leftOf = (r: RunResult) => [...r.stdout.matchAll(/docker: LEFT-(.*)$/gm)].map((m) => m[1]!.trim());
    const noContainerDir = async (id: string, what: string) => {
      const snap = await snapshotImage(id);
      assert.ok(snap);
      assert.ok(![...snap.fs.keys()].some((p) => /^\/?kiln(\/|$)/.test(p)), `no container_dir in ${what}`);
    };

    const r = await kilnBuild(dir, template(["one", "two", "three"]));
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(dirsOf(r), ["755:0 755:0 755:0", "755:0 755:0 755:0", "755:0 755:0 755:0"]);
    assert.deepEqual(leftOf(r), ["", "one", "one two"]);
    const keys = [...r.stdout.matchAll(/Cached provisioner \d+ \(shell\) as key ([0-9a-f]{12})/g)].map(
      (m) => `kiln-cache:${m[1]!}`,
    );
    assert.equal(keys.length, 3, describeRun(r));
    const all = await cacheEntries();
    const entryOf = (key: string) =>
      all.find((e) =>
        // Podman lists names in full (`docker.io/library/…`, or `localhost/…`).
        (e.RepoTags ?? []).some((tag) =>
          tag.replace(/^(localhost|docker\.io\/library)\//, "").startsWith(key),
        ),
      )?.Id;
    const entries = keys.map(entryOf);
    assert.ok(
      entries.every(Boolean),
      `keys ${keys.join(" ")}; entries ${JSON.stringify(all.map((e) => e.RepoTags))}`,
    );
    for (const [i, id] of entries.entries()) {
      const snap = await snapshotImage(id!);
      assert.ok(snap);
      const kept = [...snap.fs.keys()].some((p) => /^\/?kiln\/share\/in$/.test(p));
      assert.equal(kept, i < 2, `entry ${i + 1} ${i < 2 ? "keeps" : "does not keep"} container_dir`);
      assert.match(String(snap.config.Comment), i < 2 ? /\[scratch \/kiln\]$/ : /\]$/);
      if (i === 2) assert.doesNotMatch(String(snap.config.Comment), /scratch/);
    }
    await noContainerDir(imageOf(r), "the result");

    // Step three changed: it runs in a container started from entry 2, which has the directory.
    const changed = await kilnBuild(dir, template(["one", "two", "three-b"]));
    assert.equal(changed.code, 0, describeRun(changed));
    assert.deepEqual(cachedSteps(changed), ["1", "2"]);
    assert.deepEqual(dirsOf(changed), ["755:0 755:0 755:0"]);
    assert.deepEqual(leftOf(changed), ["one two"]);
    await noContainerDir(imageOf(changed), "the result resumed from an entry that keeps it");

    // The last step dropped: every step is cached and the last one's entry keeps the directory;
    // the result does not.
    const shorter = await kilnBuild(dir, template(["one", "two"]));
    assert.equal(shorter.code, 0, describeRun(shorter));
    assert.deepEqual(cachedSteps(shorter), ["1", "2"]);
    assert.deepEqual(ran(shorter), []);
    await noContainerDir(imageOf(shorter), "the result of a fully cached build whose last entry keeps it");
  });

  it("a step that leaves a process running: its snapshot is committed paused, nothing left over", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-busy`;
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [
        {
          type: "shell",
          inline: [
            "echo RAN-daemon",
            "(while :; do date > /tmp/tick; sleep 0.05; done) </dev/null >/dev/null 2>&1 &",
          ],
        },
        step("after", nonce),
      ],
    };
    const cold = await kilnBuild(dir, template);
    assert.equal(cold.code, 0, describeRun(cold));
    assert.match(
      cold.stdout,
      /\d+ processes run in the container \(one started by a step\?\): committing it again, paused/,
    );
    assert.deepEqual(ran(cold), ["daemon", "after"]);
    const warm = await kilnBuild(dir, template);
    assert.equal(warm.code, 0, describeRun(warm));
    assert.deepEqual(ran(warm), []);
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after a snapshot committed paused" });
  });

  it("kiln cache ls lists entries; kiln cache prune -all removes them", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-ls`;
    const template = {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [step("one", nonce)],
    };
    assert.equal((await kilnBuild(dir, template)).code, 0);
    const ls = await runKiln(["cache", "ls"], { env: { KILN_STATE_DIR: stateDir } });
    assert.equal(ls.code, 0, describeRun(ls));
    assert.match(ls.stdout, /^KEY\s+BUILD\s+STEP\s+SIZE\s+AGE\s+LAST USED/m);
    assert.match(ls.stdout, /[0-9a-f]{12}\s+docker\s+provisioner 1 \(shell\)/);
    const json = await runKiln(["cache", "ls", "-json"], { env: { KILN_STATE_DIR: stateDir } });
    const entries = JSON.parse(json.stdout) as { key: string }[];
    assert.ok(entries.length >= 1);
    const prune = await runKiln(["cache", "prune", "-all"], { env: { KILN_STATE_DIR: stateDir } });
    assert.equal(prune.code, 0, describeRun(prune));
    assert.match(prune.stdout, /Removed \d+ cache entr/);
    assert.equal((await cacheEntries()).length, 0);
  });
});
