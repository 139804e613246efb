// Registry outages during docker-push, against a real registry that the test kills (SIGKILL, as a
// crash) and restarts on the same port with the same storage. Two layers of retry are visible:
// the daemon retries a layer upload that broke mid-way ("<layer>: Retrying in 5 seconds"); kiln
// retries a push that failed outright (connection refused) with 1s→2s→4s→8s backoff.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { pack } from "tar-stream";
import type { Engine } from "../../src/engine/index.js";
import { ImageReference } from "../../src/engine/index.js";
import { createDockerPush, PushError } from "../../src/post-processors/docker-push.js";
import type { Artifact } from "../../src/core/artifact.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import {
  assertUserDockerConfigUnchanged,
  interceptPushes,
  RUN,
  snapshotUserDockerConfig,
  Tags,
  testContext,
  testEngine,
} from "./registry-support.js";

const engine: Engine = testEngine();
const tags = new Tags(engine);
const userConfig = snapshotUserDockerConfig();
const noConfig = mkdtempSync(path.join(os.tmpdir(), "kiln-retry-it-"));
const env = { ...process.env, DOCKER_CONFIG: noConfig };
let registry: Registry;
let imageId = "";

const PUSH = {
  login: false,
  login_server: "",
  login_username: "",
  login_password: "",
  ecr_login: false,
  aws_force_use_public_ecr: false,
};

/** An image with one 32 MiB incompressible layer, so a push takes long enough to be cut. */
async function bigImage(repo: string): Promise<string> {
  const tar = pack();
  tar.entry({ name: "payload.bin", mode: 0o644 }, randomBytes(32 * 1024 * 1024));
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  return engine.importImage(Readable.from([Buffer.concat(chunks)]), {
    repo,
    tag: "import",
    changes: ["LABEL kiln.test=1"],
  });
}

function artifact(refs: string[]): Artifact {
  return {
    kind: "image",
    builderId: "packer.post-processor.docker-tag",
    imageId,
    id: refs[refs.length - 1]!,
    tags: refs,
  };
}

before(async () => {
  registry = await startRegistry();
  const repo = `${registry.host}/kiln-it/retry-${RUN}`;
  imageId = await bigImage(repo);
  tags.track(`${repo}:import`);
});

after(async () => {
  await tags.cleanup();
  if (imageId) await engine.removeImage(imageId, { force: true }).catch(() => undefined);
  await registry?.close();
  rmSync(noConfig, { recursive: true, force: true });
  assertUserDockerConfigUnchanged(userConfig);
});

describe("docker-push through registry outages", () => {
  it("registry killed in the middle of a layer upload and back within the retry window: the push succeeds and the retry shows", async (t) => {
    const refs = await tags.tag(imageId, registry.host, "midlayer", ["1", "2"]);
    let killedAt = 0;
    const started = Date.now();
    const wrapped = interceptPushes(engine, {
      onProgress: (call, e) => {
        if (call === 1 && killedAt === 0 && e.status === "Pushing" && (e.progressDetail?.current ?? 0) > 0) {
          killedAt = Date.now();
          void registry.stop().then(() => setTimeout(() => void registry.start(), 1500));
        }
      },
    });
    const c = testContext(wrapped, env);
    const result = await createDockerPush(PUSH).process(c.ctx, artifact(refs));
    const elapsed = Date.now() - started;
    assert.ok(killedAt > 0, "the registry was killed mid-upload");
    const human = c.output().human;
    assert.match(human, /: Retrying in \d+ seconds?\n|Push of .* failed \(attempt 1\/5\)/, human);
    assert.ok(
      (human.match(/Retrying in/g)?.length ?? 0) <= 1,
      "a daemon countdown is shown once, not every second",
    );
    assert.ok(result.artifact.kind === "image");
    for (const p of result.artifact.pushed ?? []) {
      const ref = ImageReference.parse(p.ref);
      assert.equal(await registry.manifestDigest(ref.path, ref.tagOrLatest), p.digest);
    }
    t.diagnostic(
      `mid-layer kill: push of 2 tags took ${elapsed} ms (killed ${killedAt - started} ms in, restarted 1.5 s later)`,
    );
  });

  it("registry down when a push starts and back within kiln's retry window: kiln retries with backoff and succeeds", async (t) => {
    const refs = await tags.tag(imageId, registry.host, "between", ["1", "2"]);
    let downAt = 0;
    let upAt = 0;
    const wrapped = interceptPushes(engine, {
      before: async (call) => {
        if (call !== 2) return;
        await registry.stop();
        downAt = Date.now();
        setTimeout(() => void registry.start().then(() => (upAt = Date.now())), 2500);
      },
    });
    const c = testContext(wrapped, env);
    const result = await createDockerPush(PUSH).process(c.ctx, artifact(refs));
    const doneAt = Date.now();
    const lines = c.output().raw.filter((l) => l.startsWith("Push of"));
    assert.deepEqual(lines, [
      `Push of ${refs[1]} failed (attempt 1/5): connection refused; retrying in 1s`,
      `Push of ${refs[1]} failed (attempt 2/5): connection refused; retrying in 2s`,
    ]);
    assert.deepEqual(
      wrapped.pushCalls.map((r) => r.split(":").pop()),
      ["1", "2", "2", "2"],
    );
    assert.ok(result.artifact.kind === "image" && result.artifact.pushed?.length === 2);
    t.diagnostic(
      `registry down ${upAt - downAt} ms; tag 2 pushed ${doneAt - downAt} ms after the outage began (3 attempts)`,
    );
  });

  it("registry stopped for good: a clear failure after the bounded retries", async (t) => {
    const refs = await tags.tag(imageId, registry.host, "down", ["1"]);
    await registry.stop();
    try {
      const c = testContext(engine, env);
      const started = Date.now();
      const error = await createDockerPush(PUSH)
        .process(c.ctx, artifact(refs))
        .then(
          () => assert.fail("the push should fail"),
          (e: unknown) => e,
        );
      const elapsed = Date.now() - started;
      assert.ok(error instanceof PushError, String(error));
      assert.equal(error.attempts, 5);
      assert.ok(!error.message.includes("\n"));
      assert.match(
        error.message,
        new RegExp(
          `^push of ${refs[0]!.replace(/[.]/g, "\\.")} failed after 5 attempts over 1[5-9]\\.\\ds: connection refused`,
        ),
      );
      assert.match(
        error.message,
        new RegExp(
          `check that ${registry.host.replace(/[.]/g, "\\.")} is running and reachable from the Docker engine`,
        ),
      );
      assert.equal(c.output().raw.filter((l) => l.startsWith("Push of")).length, 4);
      assert.ok(elapsed >= 15_000 && elapsed < 25_000, `bounded: ${elapsed} ms`);
      t.diagnostic(`stopped for good: failed after 5 attempts in ${elapsed} ms`);
    } finally {
      await registry.start();
    }
  });
});
