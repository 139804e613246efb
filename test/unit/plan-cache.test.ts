// `kiln plan` for one build against the fake engine: each prediction is checked against the cache
// decisions the real runner then makes (its `cache` events), and plan itself only reads: no
// container, pull, tag, commit or removal. test/integration/plan.test.ts does the same against a
// real engine through the CLI.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { FakeEngine, type ExecCall } from "../fakes/fake-engine.js";
import { loadInline, runFake, type FakeRun } from "../fakes/run-harness.js";
import { defaultRegistry } from "../../src/components/registry.js";
import { LocalIndex } from "../../src/cache/local-index.js";
import { StepCache } from "../../src/cache/step-cache.js";
import { planBuild, type BuildPlan } from "../../src/run/plan-build.js";
import { plannedSettings } from "../../src/builders/docker/planned-settings.js";

const BASE = "local/base:1";

function engine(): FakeEngine {
  const e = new FakeEngine({ images: [{ ref: BASE, config: { Cmd: ["bash"] } }] });
  e.execHandler = (_call: ExecCall) => ({ exitCode: 0 });
  return e;
}

const template = (v: string) => ({
  builders: [{ type: "docker", image: BASE, pull: false, commit: true }],
  provisioners: [
    { type: "shell", inline: ["echo one"] },
    { type: "file", source: "app.conf", destination: "/app.conf" },
    { type: "shell", inline: ["echo three"], environment_vars: [`V=${v}`] },
  ],
});

async function plan(
  e: FakeEngine,
  dir: string,
  stateDir: string,
  tpl: object,
  opts: { maxAgeMs?: number; noCacheSteps?: string[]; noCache?: boolean } = {},
): Promise<BuildPlan> {
  const loaded = await loadInline(tpl, dir);
  const cache = new StepCache(
    e,
    { maxAgeMs: opts.maxAgeMs ?? 0, stateDir, from: [] },
    { auth: async () => undefined },
  );
  return planBuild(loaded.builds[0]!, {
    engine: e,
    noCache: Boolean(opts.noCache),
    cache,
    index: new LocalIndex(stateDir),
    template: loaded,
    templateFile: path.join(dir, "template.json"),
    registry: defaultRegistry(),
    cwd: dir,
    hostEnv: { HOME: dir, PATH: process.env.PATH },
    noCacheSteps: opts.noCacheSteps ?? [],
    secrets: [],
    toolVersion: async () => "none",
    signal: new AbortController().signal,
    containerSettings: (build, image, ctx) => plannedSettings(build.builder, image, ctx),
  });
}

/** The runner's decision per step: cached (hit) or runs (anything else), with its key. */
function decided(run: FakeRun): { step: number; decision: string; key?: string }[] {
  return run.events.flatMap((e) =>
    e.kind === "cache"
      ? [
          {
            step: e.step.index + 1,
            decision: e.cache.decision === "hit" ? "cached" : "run",
            ...(e.cache.key ? { key: e.cache.key } : {}),
          },
        ]
      : [],
  );
}

function assertPredicted(p: BuildPlan, run: FakeRun): void {
  const done = decided(run);
  assert.deepEqual(
    p.steps.map((s) => [s.step, s.decision]),
    done.map((d) => [d.step, d.decision]),
    run.output,
  );
  for (const s of p.steps) if (s.key) assert.equal(s.key, done[s.step - 1]!.key, `step ${s.step}'s key`);
}

describe("plan: predictions match the build (fake engine)", () => {
  it("cold, warm, file, variable, expired, -no-cache-step, -no-cache; plan only reads", async () => {
    const e = engine();
    const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-plan-unit-"));
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "kiln-plan-unit-state-"));
    writeFileSync(path.join(dir, "app.conf"), "port=1\n");
    const build = (v: string, extra: { maxAgeMs?: number; noCacheSteps?: string[] } = {}) =>
      runFake(e, template(v), { dir, cache: { stateDir, ...extra } });

    const cold = await plan(e, dir, stateDir, template("a"));
    assert.deepEqual(
      cold.steps.map((s) => s.cause),
      ["no-entry", "after", "after"],
    );
    assert.equal(cold.rebuilds, true);
    const before = e.calls.length;
    await plan(e, dir, stateDir, template("a"));
    const methods = new Set(e.calls.slice(before).map((c) => c.method));
    assert.deepEqual([...methods].sort(), ["inspectImage"], "plan only inspects images");
    assertPredicted(cold, await build("a"));

    const warm = await plan(e, dir, stateDir, template("a"));
    assert.equal(warm.rebuilds, false);
    assertPredicted(warm, await build("a"));

    writeFileSync(path.join(dir, "app.conf"), "port=2\n");
    const file = await plan(e, dir, stateDir, template("a"));
    assert.equal(file.steps[1]!.cause, "changed");
    assert.deepEqual(
      file.steps[1]!.changes!.map((c) => c.what === "file" && c.path),
      ["app.conf"],
    );
    assertPredicted(file, await build("a"));

    const variable = await plan(e, dir, stateDir, template("b"));
    assert.deepEqual(
      variable.steps.map((s) => s.cause ?? "cached"),
      ["cached", "cached", "changed"],
    );
    assertPredicted(variable, await build("b"));

    for (const img of e.images.values()) img.created -= 3600;
    const expired = await plan(e, dir, stateDir, template("b"), { maxAgeMs: 60_000 });
    assert.equal(expired.steps[0]!.cause, "expired");
    assertPredicted(expired, await build("b", { maxAgeMs: 60_000 }));

    const marked = await plan(e, dir, stateDir, template("b"), { noCacheSteps: ["2"] });
    assert.deepEqual(
      marked.steps.map((s) => s.cause ?? "cached"),
      ["cached", "not-cacheable", "not-cacheable"],
    );
    assertPredicted(marked, await build("b", { noCacheSteps: ["2"] }));

    const none = await plan(e, dir, stateDir, template("b"), { noCache: true });
    assert.deepEqual(
      none.steps.map((s) => s.cause),
      ["no-cache", "no-cache", "no-cache"],
    );
  });

  it("a base image that is not in the engine: not known; an entry that is gone: said so", async () => {
    const e = engine();
    const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-plan-unit-"));
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "kiln-plan-unit-state-"));
    writeFileSync(path.join(dir, "app.conf"), "port=1\n");
    const missing = await plan(e, dir, stateDir, {
      ...template("a"),
      builders: [{ type: "docker", image: "local/absent:1", pull: false, commit: true }],
    });
    assert.equal(missing.rebuilds, null);
    assert.ok(missing.steps.every((s) => s.decision === "unknown" && /not in the engine/.test(s.reason!)));

    await runFake(e, template("a"), { dir, cache: { stateDir } });
    const first = [...e.images.values()].find((i) => i.tags.some((t) => t.startsWith("kiln-cache:")));
    assert.ok(first);
    for (const img of e.images.values()) img.tags = img.tags.filter((t) => !t.startsWith("kiln-cache:"));
    const gone = await plan(e, dir, stateDir, template("a"));
    assert.match(gone.steps[0]!.reason!, /is no longer in the engine/);
  });
});
