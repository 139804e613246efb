// docker-squash against the real engine: the squashed image is the base's layers plus one (or one
// in all with all_layers), with the same filesystem (deletions, hard and symbolic links, modes,
// directories replaced) and config as the image it came from, history saying what was squashed;
// a rebuild that changes nothing finds the squash in the cache; the per-step cache stays usable.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runKiln, tempDir, type RunResult } from "../harness/kiln.js";
import { dockerJson } from "../harness/docker-api.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { DEBIAN, describeRun, inspectImage, removeProduced, trackImage } from "./support/build.js";
import { snapshotImage } from "../parity/support/images.js";
import { ON_PODMAN } from "./support/engine.js";

const NONCE = randomUUID().slice(0, 8);
const stateDir = mkdtempSync(path.join(os.tmpdir(), "kiln-squash-it-state-"));

async function build(dir: string, template: object): Promise<RunResult> {
  const file = path.join(dir, "template.json");
  writeFileSync(file, JSON.stringify(template, null, 2));
  const r = await runKiln(["build", "-color=false", file], {
    cwd: dir,
    env: { KILN_STATE_DIR: stateDir },
    timeoutMs: 300_000,
  });
  for (const m of r.stdout.matchAll(/(?:Image ID|Squashed image): (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
  return r;
}

const layersOf = async (ref: string) =>
  ((await inspectImage(ref)) as { RootFS?: { Layers?: string[] } } | undefined)?.RootFS?.Layers ?? [];

/**
 * Steps of more than 16 MB each: the build container restarts from each step's image, so the
 * unsquashed image has one layer per step. They delete a base file and a base directory, replace a
 * directory an earlier step made, and make hard and symbolic links.
 */
function steps(nonce: string) {
  return [
    `mkdir -p /opt/app/sub && echo keep > /opt/app/sub/keep && echo one > /opt/app/one && dd if=/dev/zero of=/opt/app/big1 bs=1M count=17 2>/dev/null && echo ${nonce} > /opt/app/nonce`,
    "rm -f /opt/app/one /etc/issue && rm -rf /usr/share/doc && echo two > /opt/app/two && ln /opt/app/two /opt/app/two-hard && ln -s two /opt/app/two-soft && dd if=/dev/zero of=/opt/app/big2 bs=1M count=17 2>/dev/null",
    "rm -rf /opt/app/sub && mkdir /opt/app/sub && echo new > /opt/app/sub/new && chmod 700 /opt/app/sub && chmod 600 /opt/app/two",
  ].map((line) => ({ type: "shell", inline: [line] }));
}

function template(nonce: string, squash: object, repo: string) {
  return {
    builders: [
      {
        type: "docker",
        image: DEBIAN,
        pull: false,
        commit: true,
        changes: ["ENV SQUASHED=yes", "WORKDIR /opt/app", 'CMD ["cat", "/opt/app/two"]'],
      },
    ],
    provisioners: steps(nonce),
    "post-processors": [
      [{ type: "docker-tag", repository: `${repo}-full`, tags: ["1"] }],
      [squash, { type: "docker-tag", repository: repo, tags: ["1"] }],
    ],
  };
}

describe("docker-squash", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after squash tests" });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("the base's layers plus one, same filesystem and config, history says what was squashed; cached on rebuild", async (t) => {
    const dir = tempDir(t);
    const repo = `kiln-it/squash-${NONCE}`;
    trackImage(`${repo}:1`);
    trackImage(`${repo}-full:1`);
    const first = await build(dir, template(NONCE, { type: "docker-squash" }, repo));
    assert.equal(first.code, 0, describeRun(first));
    const base = await layersOf(DEBIAN);
    const full = await layersOf(`${repo}-full:1`);
    assert.ok(full.length >= base.length + 3, `one layer per big step: ${full.length} on ${base.length}`);
    const squashed = await layersOf(`${repo}:1`);
    assert.equal(squashed.length, base.length + 1);
    assert.deepEqual(squashed.slice(0, -1), base, "the base's layers are kept as they are");
    const [a, b] = [await snapshotImage(`${repo}-full:1`), await snapshotImage(`${repo}:1`)];
    assert.ok(a && b);
    assert.deepEqual({ ...b.config, Comment: undefined }, { ...a.config, Comment: undefined });
    assert.deepEqual([...b.fs.entries()].sort(), [...a.fs.entries()].sort(), "same filesystem");
    assert.ok(
      !b.fs.has("/etc/issue") && !b.fs.has("/opt/app/one") && !b.fs.has("/usr/share/doc"),
      "deletions kept",
    );
    assert.ok(
      !b.fs.has("/opt/app/sub/keep") && b.fs.has("/opt/app/sub/new"),
      "the replaced directory hides the old one",
    );
    const history = await dockerJson<{ CreatedBy: string; Size: number }[]>(
      "GET",
      `/images/${encodeURIComponent(`${repo}:1`)}/history`,
    );
    assert.match(
      history[0]!.CreatedBy,
      /kiln docker-squash: \d+ layer\(s\) over the base squashed into this one/,
    );
    assert.ok(
      ON_PODMAN
        ? // Podman's commit writes `FROM <the image it came from>` in the history entry's comment,
          // not the commit message (docs/engines.md): the three steps' entries say that.
          history.filter((h) => /"Comment":"FROM /.test(JSON.stringify(h))).length >= 3
        : history.some((h) => /provisioner/.test(JSON.stringify(h))),
      "the steps' history entries are kept",
    );

    const again = await build(dir, template(NONCE, { type: "docker-squash" }, repo));
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /Squash of sha256:[0-9a-f]{12} is cached: key [0-9a-f]{12}/);
    assert.equal([...again.stdout.matchAll(/is cached: key/g)].length, 4, "3 steps and the squash");
    assert.deepEqual(await layersOf(`${repo}:1`), squashed, "the same squashed image");
  });

  it("all_layers: one layer in all, same filesystem and config as the image", async (t) => {
    const dir = tempDir(t);
    const nonce = `${NONCE}-all`;
    const repo = `kiln-it/squash-all-${NONCE}`;
    trackImage(`${repo}:1`);
    trackImage(`${repo}-full:1`);
    const r = await build(dir, template(nonce, { type: "docker-squash", all_layers: true }, repo));
    assert.equal(r.code, 0, describeRun(r));
    assert.equal((await layersOf(`${repo}:1`)).length, 1);
    const [a, b] = [await snapshotImage(`${repo}-full:1`), await snapshotImage(`${repo}:1`)];
    assert.ok(a && b);
    assert.deepEqual({ ...b.config, Comment: undefined }, { ...a.config, Comment: undefined });
    assert.deepEqual([...b.fs.entries()].sort(), [...a.fs.entries()].sort());
  });
});
