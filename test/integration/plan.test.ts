// `kiln plan` against the real engine: for each case of the per-step cache (cold, warm, one file
// changed, a variable changed, the base image changed, expired, and a step marked to run every
// time), plan -json runs first, then the build with the same flags, and what plan predicted for
// each step (cached or runs, and the key where it can be known) is what the build then did.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runKiln, type RunResult } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { BUSYBOX, describeRun, removeProduced, trackImage } from "./support/build.js";
import { writeTree } from "./support/chain.js";
import { commitOn, tagAs } from "./support/base-images.js";

const NONCE = randomUUID().slice(0, 8);
const stateDir = mkdtempSync(path.join(os.tmpdir(), "kiln-plan-it-state-"));
const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-plan-it-"));
const base = `kiln-it/plan-base-${NONCE}:1`;
const file = path.join(dir, "template.json");

interface PlannedStep {
  step: number;
  decision: "cached" | "run" | "unknown";
  cause?: string;
  key?: string;
  ageMs?: number;
  reason?: string;
  changes?: { what: string; name?: string; path?: string; old?: string; new?: string }[];
}
interface PlanDoc {
  version: number;
  engine: { reachable: boolean };
  builds: { name: string; baseImageId?: string; rebuilds: boolean | null; steps: PlannedStep[] }[];
}

/** What the build did per step: from its human output, the only place it says so per step. */
interface Decided {
  step: number;
  decision: "cached" | "run";
  key?: string;
}

const template = {
  variables: { v: "a" },
  builders: [{ type: "docker", image: base, pull: false, commit: true }],
  provisioners: [
    { type: "shell", inline: ["echo RAN-one", `echo one-${NONCE} > /one.txt`] },
    { type: "file", source: "app.conf", destination: "/app.conf" },
    {
      type: "shell",
      environment_vars: ["V={{user `v`}}"],
      inline: ["echo RAN-three", 'echo "$V" > /three.txt'],
    },
  ],
};

const env = { KILN_STATE_DIR: stateDir };

async function plan(args: string[] = []): Promise<PlanDoc> {
  const r = await runKiln(["plan", "-json", ...args, file], { cwd: dir, env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, describeRun(r));
  return JSON.parse(r.stdout) as PlanDoc;
}

async function build(args: string[] = []): Promise<RunResult> {
  // A step the build caches is an image committed from its container and not reported as an
  // artifact: the run's leak check lists it; everything else it lists is a real leftover.
  const r = await runKiln(["build", "-color=false", ...args, file], {
    cwd: dir,
    env,
    timeoutMs: 180_000,
    expectLeftovers: true,
  });
  assert.equal(r.code, 0, describeRun(r));
  trackInOrder(r);
  return r;
}

/**
 * Tracks what a run made in the order it made it (cache entries by ID: one replaced later, when
 * expired, loses its tag but is still this test's; then the image), so that removing newest first
 * removes children before their parents. A leftover that is not a cache entry fails the test.
 */
function trackInOrder(r: RunResult & { leftovers: { id: string; description: string }[] }): void {
  const entries = new Map<string, string>();
  for (const l of r.leftovers) {
    const key = / kiln-cache:([0-9a-f]{64}) /.exec(l.description)?.[1];
    assert.ok(key, `a leftover that is not a cache entry: ${l.description}`);
    entries.set(key.slice(0, 12), l.id);
  }
  const seen = new Set<string>();
  for (const line of r.stdout.split("\n")) {
    const cached = /Cached provisioner \d+ \([\w-]+\) as key ([0-9a-f]{12})/.exec(line)?.[1];
    const id = cached ? entries.get(cached) : /Image ID: (sha256:[0-9a-f]{64})/.exec(line)?.[1];
    if (id && !seen.has(id)) {
      seen.add(id);
      trackImage(id);
    }
  }
  assert.equal(
    [...entries.values()].filter((id) => !seen.has(id)).length,
    0,
    "every entry made was announced",
  );
}

function decisions(r: RunResult): Decided[] {
  const out = new Map<number, Decided>();
  for (const m of r.stdout.matchAll(/Provisioner (\d+) \([\w-]+\) is cached: key ([0-9a-f]{12})/g)) {
    out.set(Number(m[1]), { step: Number(m[1]), decision: "cached", key: m[2]! });
  }
  for (const m of r.stdout.matchAll(/Provisioner (\d+) \([\w-]+\) runs( every time)?:/g)) {
    out.set(Number(m[1]), { step: Number(m[1]), decision: "run" });
  }
  for (const m of r.stdout.matchAll(/Cached provisioner (\d+) \([\w-]+\) as key ([0-9a-f]{12})/g)) {
    out.set(Number(m[1]), { step: Number(m[1]), decision: "run", key: m[2]! });
  }
  return [...out.values()].sort((a, b) => a.step - b.step);
}

/** Plan's prediction equals the build's decision for every step, and its key wherever it gave one. */
function assertPredicted(p: PlanDoc, r: RunResult): PlannedStep[] {
  const steps = p.builds[0]!.steps;
  const done = decisions(r);
  assert.deepEqual(
    steps.map((s) => ({ step: s.step, decision: s.decision })),
    done.map((d) => ({ step: d.step, decision: d.decision })),
    `plan:\n${JSON.stringify(steps, null, 2)}\nbuild:\n${r.stdout}`,
  );
  for (const s of steps) {
    const d = done.find((x) => x.step === s.step)!;
    if (s.key && d.key) assert.equal(s.key.slice(0, 12), d.key, `step ${s.step}'s key`);
  }
  const ran = [...r.stdout.matchAll(/ {4}docker: RAN-(\S+)$/gm)].map((m) => m[1]!);
  const predictedRuns = steps.filter((s) => s.decision === "run" && s.step !== 2).length;
  assert.equal(ran.length, predictedRuns, "shell steps that printed their marker");
  assert.equal(
    p.builds[0]!.rebuilds,
    steps.some((s) => s.decision === "run"),
  );
  return steps;
}

describe("kiln plan predicts the build (real engine)", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after plan tests" });
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it("cold, warm, a file, a variable, the base image, expiry, -no-cache-step", async () => {
    await tagAs(BUSYBOX, base);
    writeFileSync(file, JSON.stringify(template, null, 2));
    writeFileSync(path.join(dir, "app.conf"), "port=1\n");

    // Cold: nothing cached; the first step says there is no entry, the others follow it.
    const cold = await plan();
    let steps = assertPredicted(cold, await build());
    assert.deepEqual(
      steps.map((s) => s.cause),
      ["no-entry", "after", "after"],
    );
    assert.match(steps[0]!.reason!, /never cached for this template and build/);
    assert.ok(steps[0]!.key && !steps[1]!.key, "the first key is known, the ones after it are not");

    // Warm: every step cached, with its age and the very key the build uses.
    const warm = await plan();
    steps = assertPredicted(warm, await build());
    assert.deepEqual(
      steps.map((s) => s.decision),
      ["cached", "cached", "cached"],
    );
    assert.ok(steps.every((s) => typeof s.ageMs === "number" && s.key?.length === 64));

    // One byte of the uploaded file: step 2 runs, naming the file with its old and new digests.
    const planTime = await plan();
    writeFileSync(path.join(dir, "app.conf"), "port=2\n");
    const changedFile = await plan();
    steps = assertPredicted(changedFile, await build());
    assert.deepEqual(
      steps.map((s) => [s.decision, s.cause ?? ""]),
      [
        ["cached", ""],
        ["run", "changed"],
        ["run", "after"],
      ],
    );
    const fileChange = steps[1]!.changes!.find((c) => c.what === "file")!;
    assert.equal(fileChange.path, "app.conf");
    assert.ok(fileChange.old && fileChange.new && fileChange.old !== fileChange.new);
    assert.equal(steps[1]!.changes!.length, 1, JSON.stringify(steps[1]!.changes));
    assert.notEqual(planTime.builds[0]!.steps[1]!.key, steps[1]!.key);

    // A variable: step 3 (whose environment_vars use it) runs, naming the option.
    const changedVar = await plan(["-var", "v=b"]);
    steps = assertPredicted(changedVar, await build(["-var", "v=b"]));
    assert.deepEqual(
      steps.map((s) => [s.decision, s.cause ?? ""]),
      [
        ["cached", ""],
        ["cached", ""],
        ["run", "changed"],
      ],
    );
    assert.deepEqual(
      steps[2]!.changes!.map((c) => [c.what, c.name]),
      [["option", "environment_vars"]],
    );
    assert.match(steps[2]!.reason!, /option environment_vars changed/);

    // The base image: same name, another ID; every step runs, the first says which IDs.
    const oldBase = changedVar.builds[0]!.baseImageId!;
    const newBase = await commitOn(base, base);
    trackImage(newBase);
    const rebased = await plan(["-var", "v=b"]);
    steps = assertPredicted(rebased, await build(["-var", "v=b"]));
    assert.deepEqual(
      steps.map((s) => s.decision),
      ["run", "run", "run"],
    );
    assert.equal(steps[0]!.cause, "changed");
    assert.deepEqual(steps[0]!.changes, [{ what: "base-image", old: oldBase, new: newBase }]);
    assert.equal(rebased.builds[0]!.baseImageId, newBase);

    // Expired: entries older than -cache-max-age are not used.
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await plan(["-var", "v=b", "-cache-max-age=1s"]);
    steps = assertPredicted(expired, await build(["-var", "v=b", "-cache-max-age=1s"]));
    assert.deepEqual(
      steps.map((s) => [s.decision, s.cause]),
      [
        ["run", "expired"],
        ["run", "after"],
        ["run", "after"],
      ],
    );
    assert.match(steps[0]!.reason!, /older than -cache-max-age/);
    assert.ok(steps[0]!.ageMs! > 1000);

    // A step marked to run every time: it and the steps after it run, the ones before are cached.
    const marked = await plan(["-var", "v=b", "-no-cache-step=2"]);
    steps = assertPredicted(marked, await build(["-var", "v=b", "-no-cache-step=2"]));
    assert.deepEqual(
      steps.map((s) => [s.decision, s.cause ?? ""]),
      [
        ["cached", ""],
        ["run", "not-cacheable"],
        ["run", "not-cacheable"],
      ],
    );
  });

  it("a chain: the node on a rebuilt node's image rebuilds because of it", async () => {
    const cdir = mkdtempSync(path.join(os.tmpdir(), "kiln-plan-chain-it-"));
    const baseRepo = `kiln-it/plan-chain-base-${NONCE}`;
    const appRepo = `kiln-it/plan-chain-app-${NONCE}`;
    const packer = (image: string, repository: string, text: string) => ({
      builders: [{ type: "docker", image, pull: false, commit: true }],
      provisioners: [{ type: "shell", inline: [`echo ${text}-${NONCE} > /${text}.txt`] }],
      "post-processors": [{ type: "docker-tag", repository, tags: ["1"] }],
    });
    const write = (baseText: string) =>
      writeTree(cdir, {
        "chain.json": { nodes: { base: { template: "base.json" }, app: { template: "app.json" } } },
        "base.json": packer(BUSYBOX, baseRepo, baseText),
        "app.json": packer(`${baseRepo}:1`, appRepo, "app"),
      });
    const chainFile = path.join(cdir, "chain.json");
    const chainPlan = async () => {
      const r = await runKiln(["plan", "-json", chainFile], { cwd: cdir, env });
      assert.equal(r.code, 0, describeRun(r));
      return JSON.parse(r.stdout) as {
        nodes: {
          name: string;
          rebuilds: boolean | null;
          because?: { node: string };
          builds: PlanDoc["builds"];
        }[];
      };
    };
    const chainBuild = async () => {
      const r = await runKiln(["chain", "-color=false", chainFile], {
        cwd: cdir,
        env,
        timeoutMs: 240_000,
        expectLeftovers: true,
      });
      assert.equal(r.code, 0, describeRun(r));
      trackInOrder(r);
      return r;
    };
    try {
      write("one");
      await chainBuild();
      const warm = await chainPlan();
      assert.deepEqual(
        warm.nodes.map((n) => [n.name, n.rebuilds]),
        [
          ["base", false],
          ["app", false],
        ],
      );
      write("two");
      const changed = await chainPlan();
      const [base, app] = [changed.nodes[0]!, changed.nodes[1]!];
      assert.equal(base.rebuilds, true);
      assert.equal(base.builds[0]!.steps[0]!.cause, "changed");
      assert.equal(app.rebuilds, true);
      assert.equal(app.because?.node, "base");
      assert.deepEqual(
        app.builds[0]!.steps.map((s) => [s.decision, s.cause]),
        [["run", "dependency"]],
      );
      // The build agrees: both nodes' steps run, none comes from the cache.
      const built = await chainBuild();
      assert.equal([...built.stdout.matchAll(/Provisioner 1 \(shell\) runs:/g)].length, 2, built.stdout);
      assert.equal([...built.stdout.matchAll(/Provisioner 1 \(shell\) is cached/g)].length, 0, built.stdout);
    } finally {
      trackImage(`${baseRepo}:1`);
      trackImage(`${appRepo}:1`);
      rmSync(cdir, { recursive: true, force: true });
    }
  });

  it("a step using a cached step's output: plan restores the output as the build does, so both say cached", async () => {
    const odir = mkdtempSync(path.join(os.tmpdir(), "kiln-plan-it-out-"));
    const ofile = path.join(odir, "template.json");
    writeFileSync(
      ofile,
      JSON.stringify({
        builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
        provisioners: [
          { type: "shell", inline: [`echo ver=${NONCE} >> "$KILN_OUTPUT"`] },
          { type: "shell", inline: ["echo RAN-uses", "echo {{ build `ver` }} > /ver.txt"] },
        ],
      }),
    );
    const run = async (cmd: string[]) => {
      const r = await runKiln([...cmd, ofile], { cwd: odir, env, timeoutMs: 180_000, expectLeftovers: true });
      assert.equal(r.code, 0, describeRun(r));
      return r;
    };
    try {
      trackInOrder(await run(["build", "-color=false"]));
      const p = JSON.parse((await run(["plan", "-json"])).stdout) as PlanDoc;
      assert.deepEqual(
        p.builds[0]!.steps.map((st) => st.decision),
        ["cached", "cached"],
        JSON.stringify(p, null, 2),
      );
      const warm = await run(["build", "-color=false"]);
      trackInOrder(warm);
      const done = decisions(warm);
      assert.deepEqual(
        done.map((d) => d.decision),
        ["cached", "cached"],
        warm.stdout,
      );
      assert.deepEqual(
        p.builds[0]!.steps.map((st) => st.key?.slice(0, 12)),
        done.map((d) => d.key),
      );
      assert.match(warm.stdout, new RegExp(`Output ver=${NONCE} \\(from the cache\\)`));
    } finally {
      rmSync(odir, { recursive: true, force: true });
    }
  });

  it("with no engine it exits 3 and says what it cannot know, in text and in -json", async () => {
    const gone = {
      ...env,
      DOCKER_HOST: `unix://${path.join(dir, "no-engine.sock")}`,
      DOCKER_CONTEXT: undefined,
    };
    const text = await runKiln(["plan", file], { cwd: dir, env: gone });
    assert.equal(text.code, 3, describeRun(text));
    assert.match(text.stderr, /Cannot reach the Docker engine/);
    assert.match(text.stdout, /provisioner 1 \(shell\): not known: the engine could not be reached/);
    const json = await runKiln(["plan", "-json", file], { cwd: dir, env: gone });
    assert.equal(json.code, 3, describeRun(json));
    const doc = JSON.parse(json.stdout) as PlanDoc;
    assert.equal(doc.engine.reachable, false);
    assert.deepEqual(
      doc.builds[0]!.steps.map((s) => s.decision),
      ["unknown", "unknown", "unknown"],
    );
    assert.equal(doc.builds[0]!.rebuilds, null);
  });
});
