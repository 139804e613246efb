// The per-step cache through the real runner and docker builder, against the fake engine: which
// steps run and which come from the cache as inputs change, entries made only for steps that
// succeeded, and the same final image either way. The same rules run against a real engine and
// registry in test/integration/cache-*.test.ts.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { FakeEngine, type ExecCall } from "../fakes/fake-engine.js";
import { runFake, stepTrail, type FakeRun } from "../fakes/run-harness.js";
import { CACHE_REPO } from "../../src/cache/entry.js";

const BASE = "local/base:1";

/** Runs the script's `echo TEXT > /path` lines in the fake container and records which ran. */
function shellEngine(): { engine: FakeEngine; ran: string[] } {
  const engine = new FakeEngine({ images: [{ ref: BASE, config: { Cmd: ["bash"] } }] });
  const ran: string[] = [];
  engine.execHandler = (call: ExecCall) => {
    const script = call.env.__KILN_SCRIPT ?? "";
    for (const m of script.matchAll(/^echo (\S+) > (\S+)$/gm)) {
      call.container.fs.set(m[2]!, {
        type: "file",
        mode: 0o644,
        uid: 0,
        gid: 0,
        content: Buffer.from(`${m[1]}\n`),
      });
    }
    const marker = /^# (\S+)$/m.exec(script)?.[1];
    if (marker) ran.push(marker);
    return { exitCode: /^exit (\d+)$/m.test(script) ? Number(/^exit (\d+)$/m.exec(script)![1]) : 0 };
  };
  return { engine, ran };
}

const step = (name: string, extra: string[] = []) => ({
  type: "shell",
  inline: [`# ${name}`, `echo ${name} > /${name}.txt`, ...extra],
});

function template(provisioners: object[], builder: Record<string, unknown> = {}) {
  return {
    builders: [
      { type: "docker", image: BASE, pull: false, commit: true, changes: ["ENV BUILT=1"], ...builder },
    ],
    provisioners,
  };
}

function cached(run: FakeRun): string[] {
  return stepTrail(run.events)
    .filter((s) => s.startsWith("cached:"))
    .map((s) => s.slice(7));
}

function resultImage(engine: FakeEngine, run: FakeRun) {
  const a = run.outcomes[0]!.artifacts[0];
  assert.ok(a && a.kind === "image", run.output);
  return engine.images.get(a.imageId)!;
}

const state = () => mkdtempSync(path.join(os.tmpdir(), "kiln-cache-state-"));

describe("per-step cache (fake engine)", () => {
  it("cold: every step runs and becomes an entry; warm: none runs, same config and filesystem", async () => {
    const { engine, ran } = shellEngine();
    const cache = { stateDir: state() };
    const t = template([step("one"), step("two"), step("three")]);
    const cold = await runFake(engine, t, { cache });
    assert.equal(cold.outcomes[0]?.error, undefined, cold.output);
    assert.deepEqual(ran, ["one", "two", "three"]);
    const entries = [...engine.images.values()].filter((i) =>
      i.tags.some((x) => x.startsWith(`${CACHE_REPO}:`)),
    );
    assert.equal(entries.length, 3);
    assert.match(cold.output, /Provisioner 1 \(shell\) runs: no cache entry for key [0-9a-f]{12}/);
    ran.length = 0;
    const warm = await runFake(engine, t, { cache, dir: cold.dir });
    assert.equal(warm.outcomes[0]?.error, undefined, warm.output);
    assert.deepEqual(ran, [], "no step ran");
    assert.deepEqual(cached(warm), [
      "provisioner 1 (shell)",
      "provisioner 2 (shell)",
      "provisioner 3 (shell)",
    ]);
    assert.match(warm.output, /Provisioner 2 \(shell\) is cached: key [0-9a-f]{12}, \d+ \w+ old/);
    const a = resultImage(engine, cold);
    const b = resultImage(engine, warm);
    assert.notEqual(a.id, b.id);
    assert.deepEqual(b.config, a.config, "same image config");
    assert.deepEqual(
      [...b.fs.entries()].map(([p, f]) => [p, f.type, f.mode, f.content.toString()]).sort(),
      [...a.fs.entries()].map(([p, f]) => [p, f.type, f.mode, f.content.toString()]).sort(),
      "same filesystem",
    );
    assert.ok(a.config.Env?.includes("BUILT=1"));
    assert.equal(engine.containers.size, 0);
  });

  it("one byte or one mode bit of an uploaded file re-runs that step and the ones after it, not those before", async () => {
    const { engine, ran } = shellEngine();
    const cache = { stateDir: state() };
    const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-cache-files-"));
    writeFileSync(path.join(dir, "app.conf"), "port=1\n");
    const t = template([
      step("one"),
      { type: "file", source: "app.conf", destination: "/app.conf" },
      step("three"),
    ]);
    await runFake(engine, t, { cache, dir });
    ran.length = 0;
    writeFileSync(path.join(dir, "app.conf"), "port=2\n");
    const changed = await runFake(engine, t, { cache, dir });
    assert.deepEqual(cached(changed), ["provisioner 1 (shell)"]);
    assert.deepEqual(ran, ["three"]);
    ran.length = 0;
    chmodSync(path.join(dir, "app.conf"), 0o600);
    const moded = await runFake(engine, t, { cache, dir });
    assert.deepEqual(cached(moded), ["provisioner 1 (shell)"]);
    assert.deepEqual(ran, ["three"]);
  });

  it("a changed environment_vars value, or a new base image, re-runs from there", async () => {
    const { engine, ran } = shellEngine();
    const cache = { stateDir: state() };
    const withEnv = (v: string) => template([step("one"), { ...step("two"), environment_vars: [`V=${v}`] }]);
    const first = await runFake(engine, withEnv("a"), { cache });
    ran.length = 0;
    const again = await runFake(engine, withEnv("b"), { cache, dir: first.dir });
    assert.deepEqual(cached(again), ["provisioner 1 (shell)"]);
    assert.deepEqual(ran, ["two"]);
    // A new base image under the same name invalidates everything.
    engine.addImage(BASE, { Cmd: ["bash"] });
    ran.length = 0;
    const rebased = await runFake(engine, withEnv("b"), { cache, dir: first.dir });
    assert.deepEqual(cached(rebased), []);
    assert.deepEqual(ran, ["one", "two"]);
  });

  it("-no-cache: nothing is looked up or committed per step", async () => {
    const { engine, ran } = shellEngine();
    const run = await runFake(engine, template([step("one"), step("two")]));
    assert.deepEqual(ran, ["one", "two"]);
    assert.equal(engine.callsOf("commitContainer").length, 1, "only the build's own commit");
    assert.ok(!run.events.some((e) => e.kind === "cache"));
  });

  it("entries older than the maximum age are not used, and are replaced", async () => {
    const { engine, ran } = shellEngine();
    const cache = { stateDir: state(), maxAgeMs: 3_600_000 };
    const t = template([step("one")]);
    const first = await runFake(engine, t, { cache });
    const entry = [...engine.images.values()].find((i) =>
      i.tags.some((x) => x.startsWith(`${CACHE_REPO}:`)),
    )!;
    engine.backdate(entry.id, 2 * 3600);
    ran.length = 0;
    const second = await runFake(engine, t, { cache, dir: first.dir });
    assert.deepEqual(ran, ["one"]);
    assert.match(second.output, /older than -cache-max-age/);
    const decision = second.events.find((e) => e.kind === "cache");
    assert.equal(decision?.kind === "cache" && decision.cache.decision, "expired");
  });

  it("a download step runs on a fully cached rebuild; shell-local runs every time; neither breaks the chain", async () => {
    const { engine, ran } = shellEngine();
    const cache = { stateDir: state() };
    const t = template([
      step("one"),
      { type: "file", source: "/one.txt", destination: "got/one.txt", direction: "download" },
      { type: "shell-local", inline: ["true"] },
      step("two"),
    ]);
    const first = await runFake(engine, t, { cache });
    assert.equal(first.outcomes[0]?.error, undefined, first.output);
    ran.length = 0;
    const second = await runFake(engine, t, { cache, dir: first.dir });
    assert.equal(second.outcomes[0]?.error, undefined, second.output);
    assert.deepEqual(cached(second), ["provisioner 1 (shell)", "provisioner 4 (shell)"]);
    assert.deepEqual(ran, []);
    assert.match(
      second.output,
      /Provisioner 2 \(file\) runs every time: downloads write got\/one\.txt on the host/,
    );
    assert.match(
      second.output,
      /Provisioner 3 \(shell-local\) runs every time: shell-local runs on the host/,
    );
    assert.ok(engine.callsOf("getArchive").length >= 2, "the download ran both times");
  });

  it("a step marked with -no-cache-step runs every time, and so do the steps after it", async () => {
    const { engine, ran } = shellEngine();
    const cache = { stateDir: state(), noCacheSteps: ["2"] };
    const t = template([step("one"), step("two"), step("three")]);
    const first = await runFake(engine, t, { cache });
    ran.length = 0;
    const second = await runFake(engine, t, { cache, dir: first.dir });
    assert.deepEqual(cached(second), ["provisioner 1 (shell)"]);
    assert.deepEqual(ran, ["two", "three"]);
    assert.match(
      second.output,
      /Provisioner 3 \(shell\) runs every time: provisioner 2 \(shell\) runs every time/,
    );
  });

  it("a failed step leaves no entry; the steps before it are cached", async () => {
    const { engine, ran } = shellEngine();
    const cache = { stateDir: state() };
    const failing = template([step("one"), step("two", ["exit 3"])]);
    const first = await runFake(engine, failing, { cache });
    assert.match(first.outcomes[0]?.error ?? "", /exit status: 3/);
    const tags = [...engine.images.values()]
      .flatMap((i) => i.tags)
      .filter((x) => x.startsWith(`${CACHE_REPO}:`));
    assert.equal(tags.length, 1, "only step one");
    ran.length = 0;
    const second = await runFake(engine, failing, { cache, dir: first.dir });
    assert.deepEqual(ran, ["two"]);
    assert.match(second.outcomes[0]?.error ?? "", /started from the cached image of provisioner 1 \(shell\)/);
    assert.match(second.outcomes[0]?.error ?? "", /-no-cache/);
  });

  it("sensitive values never take part in a key", async () => {
    const { engine, ran } = shellEngine();
    const run = (secret: string) =>
      runFake(engine, template([{ ...step("one"), environment_vars: [`TOKEN=${secret}`] }]), {
        cache: { stateDir: cacheDir, secrets: [secret] },
        dir,
      });
    const cacheDir = state();
    const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-cache-secret-"));
    await run("s3cret-one");
    ran.length = 0;
    const second = await run("s3cret-two");
    assert.deepEqual(cached(second), ["provisioner 1 (shell)"]);
  });
});
