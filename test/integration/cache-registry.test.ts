// The per-step cache shared through a real registry (Debian's docker-registry, started by the
// harness): `-cache-to` pushes a build's step images by key; a machine without them (every local
// entry removed) builds with `-cache-from` and runs no step; a registry that needs credentials gets
// them from Docker's own config; an unreachable one only costs a miss.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runKiln, tempDir, type RunResult } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { startRegistry, freePort, type Registry } from "../harness/registry.js";
import { BUSYBOX, describeRun, removeProduced, trackImage } from "./support/build.js";
import { snapshotImage } from "../parity/support/images.js";

const NONCE = randomUUID().slice(0, 8);
const stateDir = mkdtempSync(path.join(os.tmpdir(), "kiln-cache-reg-state-"));
let registry: Registry;
let secured: Registry;
const USER = { username: "cacher", password: `pw-${randomUUID()}` };

async function kiln(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runKiln(args, { env: { KILN_STATE_DIR: stateDir, ...env }, timeoutMs: 180_000 });
}

async function build(dir: string, template: object, args: string[], env: Record<string, string> = {}) {
  const file = path.join(dir, "template.json");
  writeFileSync(file, JSON.stringify(template, null, 2));
  const r = await runKiln(["build", "-color=false", ...args, file], {
    cwd: dir,
    env: { KILN_STATE_DIR: stateDir, ...env },
    timeoutMs: 180_000,
  });
  for (const m of r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
  return r;
}

const ran = (r: RunResult) => [...r.stdout.matchAll(/ {4}docker: RAN-(\S+)$/gm)].map((m) => m[1]!);
const imageOf = (r: RunResult) =>
  [...r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)].at(-1)?.[1] ?? "";

function template(nonce: string) {
  return {
    builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true, changes: ["ENV SHARED=1"] }],
    provisioners: ["one", "two", "three"].map((name) => ({
      type: "shell",
      inline: [`echo RAN-${name}`, `echo ${name}-${nonce} > /${name}.txt`],
    })),
  };
}

async function tags(r: Registry, repoPath: string, auth?: typeof USER): Promise<string[]> {
  const res = await fetch(`${r.url}/v2/${repoPath}/tags/list`, {
    headers: auth
      ? { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` }
      : {},
  });
  if (res.status === 404) return [];
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

describe("per-step cache shared through a registry", () => {
  before(async () => {
    registry = await startRegistry();
    secured = await startRegistry({ users: [USER] });
  });
  after(async () => {
    await registry?.close();
    await secured?.close();
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after registry cache tests" });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("-cache-to pushes the step images by key; a machine without them builds from -cache-from, running nothing", async (t) => {
    const nonce = `${NONCE}-a`;
    const repo = `${registry.host}/kiln-it/cache-${nonce}`;
    const first = await build(tempDir(t), template(nonce), [`-cache-to=${repo}`]);
    assert.equal(first.code, 0, describeRun(first));
    assert.match(first.stdout, /Pushing 3 cache entries to /);
    const pushed = await tags(registry, `kiln-it/cache-${nonce}`);
    assert.equal(pushed.length, 3);
    for (const tag of pushed) assert.match(tag, /^[0-9a-f]{64}$/);

    // A fresh runner: no local entry at all.
    const prune = await kiln(["cache", "prune", "-all"]);
    assert.equal(prune.code, 0, describeRun(prune));
    const second = await build(tempDir(t), template(nonce), [`-cache-from=${repo}`]);
    assert.equal(second.code, 0, describeRun(second));
    assert.deepEqual(ran(second), [], "every step came from the registry");
    assert.equal([...second.stdout.matchAll(/is cached: key [0-9a-f]{12}, .* old, pulled from /g)].length, 3);
    const [a, b] = [await snapshotImage(imageOf(first)), await snapshotImage(imageOf(second))];
    assert.ok(a && b);
    assert.deepEqual(b.config, a.config);
    assert.deepEqual([...b.fs.entries()].sort(), [...a.fs.entries()].sort());
    // The pulled entries are local now: a third build needs no registry.
    const third = await build(tempDir(t), template(nonce), []);
    assert.deepEqual(ran(third), []);
  });

  it("a registry that needs credentials gets them from Docker's config; nothing secret is printed", async (t) => {
    const nonce = `${NONCE}-b`;
    const repo = `${secured.host}/kiln-it/cache-${nonce}`;
    const config = path.join(tempDir(t), "docker-config");
    mkdirSync(config);
    writeFileSync(
      path.join(config, "config.json"),
      JSON.stringify({
        auths: {
          [secured.host]: { auth: Buffer.from(`${USER.username}:${USER.password}`).toString("base64") },
        },
      }),
    );
    const env = { DOCKER_CONFIG: config };
    const first = await build(tempDir(t), template(nonce), [`-cache-to=${repo}`], env);
    assert.equal(first.code, 0, describeRun(first));
    assert.equal((await tags(secured, `kiln-it/cache-${nonce}`, USER)).length, 3);
    assert.equal((await kiln(["cache", "prune", "-all"])).code, 0);
    const second = await build(tempDir(t), template(nonce), [`-cache-from=${repo}`], env);
    assert.equal(second.code, 0, describeRun(second));
    assert.deepEqual(ran(second), [], describeRun(second));
    assert.ok(!second.output.includes(USER.password) && !first.output.includes(USER.password));
  });

  it("an unreachable -cache-from registry is a miss with its reason, not a failure", async (t) => {
    const nonce = `${NONCE}-c`;
    const repo = `127.0.0.1:${await freePort()}/kiln-it/cache-${nonce}`;
    const r = await build(tempDir(t), template(nonce), [`-cache-from=${repo}`]);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(ran(r), ["one", "two", "three"]);
    assert.match(
      r.stdout,
      /Provisioner 1 \(shell\) runs: no cache entry for key [0-9a-f]{12}; .*could not be asked \(.*connection refused/,
    );
  });

  it("-cache-from / -cache-to must name a repository without a tag (exit 2, nothing run)", async (t) => {
    const r = await build(tempDir(t), template(`${NONCE}-d`), [`-cache-from=${registry.host}/x:1`], {
      DOCKER_HOST: "unix:///nonexistent.sock",
    });
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, /is not a repository/);
  });
});
