// The run report on the real engine, through the CLI: a build pushed to a local registry (steps,
// cache decisions and keys, the image's size and layers, the pushed digest the registry serves),
// its warm rerun (cached steps, time saved), a failing build (the error's phase and cause), and a
// 3-node chain with a Dockerfile node (the graph, a lane per node). Both files every time; the
// JSON validated against schemas/kiln-report.schema.json; a sensitive value never written.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runKiln, tempDir, type KilnRunResult } from "../harness/kiln.js";
import { removeLeftovers, type Leftover } from "../harness/run-leaks.js";
import { assertNoKilnLeftovers, sweep } from "../harness/leaks.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import { ON_PODMAN, TEST_ENGINE } from "./support/engine.js";
import type { Report } from "../../src/report/model.js";
import { schemaErrors } from "../unit/report/report-schema.js";
import { BUSYBOX, describeRun, removeProduced, trackImage } from "./support/build.js";
import { writeTree } from "./support/chain.js";

const NONCE = randomUUID().slice(0, 8);
const SECRET = `s3cret-${NONCE}`;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "kiln-report-it-state-"));

function readReport(dir: string, name: string): { report: Report; html: string } {
  const report = JSON.parse(readFileSync(path.join(dir, `${name}.json`), "utf8")) as Report;
  assert.deepEqual(schemaErrors(report), [], `${name}.json is valid`);
  const html = readFileSync(path.join(dir, `${name}.html`), "utf8");
  for (const text of [JSON.stringify(report), html])
    assert.ok(!text.includes(SECRET), "the secret is masked");
  return { report, html };
}

/**
 * The per-step cache's entries are meant to outlive the run (the leak check sees images committed
 * from the run's containers): every other kind of leftover fails the test; the entries are removed
 * at the end.
 */
const cacheEntries: Leftover[] = [];
function onlyCacheEntries(r: KilnRunResult): void {
  const other = r.leftovers.filter((l) => !(l.kind === "image" && l.description.includes("kiln-cache:")));
  assert.deepEqual(other, [], "nothing but cache entries is left");
  for (const m of r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
  cacheEntries.push(...r.leftovers);
}

const bars = (html: string) => [...html.matchAll(/<span class="bar st-(\w+)"/g)].map((m) => m[1]!);

describe("run report (real engine)", () => {
  let registry: Registry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.close();
    await removeLeftovers(cacheEntries);
    // Cache entries of the chain's nodes are children of its images: they go first.
    await sweep({ repoPrefixes: ["kiln-cache:"] });
    await removeProduced();
    await sweep();
    await assertNoKilnLeftovers({ context: "after the report tests" });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("a pushed build, then its warm rerun: steps, cache, image, push digest, time saved", async (t) => {
    const dir = tempDir(t);
    const repo = `${registry.host}/kiln-it/report-${NONCE}`;
    trackImage(`${repo}:1`);
    writeFileSync(
      path.join(dir, "t.json"),
      JSON.stringify({
        variables: { token: SECRET },
        "sensitive-variables": ["token"],
        builders: [{ type: "docker", image: BUSYBOX, commit: true, pull: false }],
        provisioners: [
          {
            type: "shell",
            inline: [`echo token is {{user \`token\`}}`, `head -c 300000 /dev/urandom > /blob-${NONCE}`],
          },
          {
            type: "shell",
            inline: [
              "sleep 1",
              `echo second-${NONCE} > /second`,
              `echo "flavour=second-${NONCE}" >> "$KILN_OUTPUT"`,
            ],
          },
        ],
        "post-processors": [
          [
            {
              type: "docker-test",
              inline: ["cat /second", "exit 3"],
              valid_exit_codes: [0, 3],
              expect_stdout: "^second-",
            },
            { type: "docker-tag", repository: repo, tags: ["1"] },
            { type: "docker-push" },
          ],
        ],
      }),
    );
    const run = (name: string) =>
      runKiln(["build", "-color=false", `-report=${name}.json`, `-report-html=${name}.html`, "t.json"], {
        cwd: dir,
        env: { KILN_STATE_DIR: stateDir },
        timeoutMs: 180_000,
        expectLeftovers: true,
      });
    const cold = await run("cold");
    assert.equal(cold.code, 0, describeRun(cold));
    onlyCacheEntries(cold);
    const { report, html } = readReport(dir, "cold");
    assert.equal(report.kind, "build");
    assert.equal(report.status, "ok");
    assert.ok(report.command.includes("t.json"));
    assert.equal(report.engines.length, 1);
    assert.match(report.engines[0]!.version ?? "", /^(Docker|Podman) \d/);
    const lane = report.lanes[0]!;
    assert.equal(lane.name, "docker");
    const provision = lane.steps.filter((s) => s.phase === "provision");
    assert.deepEqual(
      provision.map((s) => [s.name, s.status, s.cache?.decision]),
      [
        ["provisioner 1 (shell)", "ok", "miss"],
        ["provisioner 2 (shell)", "ok", "miss"],
      ],
    );
    assert.ok(provision.every((s) => /^[0-9a-f]{64}$/.test(s.cache?.key ?? "")));
    assert.ok(provision[1]!.durationMs! >= 1000, "the sleep is in the step's time");
    assert.ok(provision[0]!.output.some((l) => l.text.includes("token is <sensitive>")));
    assert.ok(
      provision[0]!.layerBytes! >= 300_000,
      `the blob is in the first step's layer: ${provision[0]!.layerBytes}`,
    );
    const result = lane.images.find((i) => i.role === "result")!;
    assert.ok(result.size! > 300_000 && result.layers!.length >= 2, JSON.stringify(result));
    assert.ok(lane.tags.includes(`${repo}:1`));
    assert.equal(lane.pushed.length, 1);
    assert.equal(lane.pushed[0]!.digest, await registry.manifestDigest(`kiln-it/report-${NONCE}`, "1"));
    const pushedBytes = lane.pushed[0]!.bytes;
    if (ON_PODMAN) {
      // Podman's push stream has no per-layer progress: the size is unknown, not zero.
      assert.equal(pushedBytes, undefined);
    } else if (TEST_ENGINE === "docker26-containerd" && pushedBytes === undefined) {
      // The containerd store reports a fast upload as `Pushed` with no `Pushing` total first.
      assert.match(html, /1 of unknown size: the engine did not report it/);
    } else {
      assert.ok(pushedBytes! > 300_000, `bytes pushed ${pushedBytes}`);
    }
    assert.equal(report.totals.bytesPushed, pushedBytes ?? 0);
    if (ON_PODMAN) assert.match(html, /1 of unknown size: the engine did not report it/);
    assert.equal(bars(html).length, lane.steps.length);
    assert.deepEqual(
      lane.outputs.map((o) => [o.build, o.step, o.name, o.value, o.cached]),
      [["docker", "provisioner 2 (shell)", "flavour", `second-${NONCE}`, false]],
    );
    assert.deepEqual(
      lane.tests.map((x) => [x.step, x.command, x.exitCode, x.passed]),
      [
        ["docker-test", "cat /second", 0, true],
        ["docker-test", "exit 3", 3, true],
        ["docker-test", "expect_stdout ^second-", undefined, true],
      ],
    );
    assert.ok(lane.tests.every((x) => x.durationMs >= 0 && x.atMs > 0));
    assert.match(html, /<caption>build outputs<\/caption>.*<code>flavour<\/code>/s);
    assert.match(html, /<caption>image tests<\/caption>.*✓ pass.*<code>cat \/second<\/code>/s);

    const warm = await run("warm");
    assert.equal(warm.code, 0, describeRun(warm));
    onlyCacheEntries(warm);
    const w = readReport(dir, "warm");
    const warmSteps = w.report.lanes[0]!.steps.filter((s) => s.phase === "provision");
    assert.deepEqual(
      warmSteps.map((s) => [s.status, s.cache?.decision]),
      [
        ["cached", "hit"],
        ["cached", "hit"],
      ],
    );
    assert.deepEqual(
      warmSteps.map((s) => s.cache?.key),
      provision.map((s) => s.cache?.key),
    );
    assert.equal(w.report.totals.stepsCached, 2);
    assert.equal(w.report.totals.hitsWithoutDuration, 0);
    assert.ok(w.report.totals.savedMs >= 1000, `saved ${w.report.totals.savedMs} ms (the sleep)`);
    assert.equal(
      w.report.lanes[0]!.pushed[0]!.bytes,
      ON_PODMAN ? undefined : 0,
      "the registry had every layer",
    );
    assert.equal(bars(w.html).filter((s) => s === "cached").length, 2);
    assert.deepEqual(
      w.report.lanes[0]!.outputs.map((o) => [o.name, o.value, o.cached]),
      [["flavour", `second-${NONCE}`, true]],
      "a cached step's output is in the report, marked as from the cache",
    );
    assert.equal(w.report.lanes[0]!.tests.length, 3, "the image tests run again on a warm build");
  });

  it("a failing build: status failed, the step's error with its phase, a failed bar", async (t) => {
    const dir = tempDir(t);
    writeFileSync(
      path.join(dir, "t.json"),
      JSON.stringify({
        builders: [{ type: "docker", image: BUSYBOX, commit: true, pull: false }],
        provisioners: [{ type: "shell", inline: ["echo about to fail", "exit 3"] }],
      }),
    );
    const r = await runKiln(["build", "-color=false", "-report=f.json", "-report-html=f.html", "t.json"], {
      cwd: dir,
      env: { KILN_STATE_DIR: stateDir },
      timeoutMs: 180_000,
      expectLeftovers: true,
    });
    assert.equal(r.code, 1, describeRun(r));
    onlyCacheEntries(r);
    const { report, html } = readReport(dir, "f");
    assert.equal(report.status, "failed");
    const lane = report.lanes[0]!;
    assert.equal(lane.status, "failed");
    assert.equal(lane.failure?.phase, "provision");
    const failed = lane.steps.find((s) => s.status === "failed")!;
    assert.equal(failed.name, "provisioner 1 (shell)");
    assert.match(failed.failure?.message ?? "", /exit status: 3|exited with 3|non-zero/i);
    assert.ok(failed.output.some((l) => l.text.includes("about to fail")));
    assert.deepEqual(bars(html).filter((s) => s === "failed").length, 1);
    assert.match(html, /class="failure"/);
  });

  it("a failing image test and a sensitive output: fail with the exit code, the value masked", async (t) => {
    const dir = tempDir(t);
    writeFileSync(
      path.join(dir, "t.json"),
      JSON.stringify({
        variables: { token: SECRET },
        "sensitive-variables": ["token"],
        builders: [{ type: "docker", image: BUSYBOX, commit: true, pull: false }],
        provisioners: [{ type: "shell", inline: [`echo "key={{user \`token\`}}" >> "$KILN_OUTPUT"`] }],
        "post-processors": [
          [
            { type: "docker-test", inline: ["true", "echo broken; exit 4"] },
            { type: "docker-tag", repository: `kiln-it/report-never-${NONCE}`, tags: ["1"] },
          ],
        ],
      }),
    );
    const r = await runKiln(["build", "-color=false", "-report=x.json", "-report-html=x.html", "t.json"], {
      cwd: dir,
      env: { KILN_STATE_DIR: stateDir },
      timeoutMs: 180_000,
      expectLeftovers: true,
    });
    assert.equal(r.code, 1, describeRun(r));
    onlyCacheEntries(r);
    const { report, html } = readReport(dir, "x");
    const lane = report.lanes[0]!;
    assert.deepEqual(
      lane.outputs.map((o) => [o.name, o.value]),
      [["key", "<sensitive>"]],
    );
    assert.deepEqual(
      lane.tests.map((x) => [x.command, x.exitCode, x.passed]),
      [
        ["true", 0, true],
        ["echo broken; exit 4", 4, false],
      ],
    );
    assert.match(lane.tests[1]!.reason ?? "", /exit code 4/);
    assert.match(
      html,
      /<tr class="fail"><td>✕ fail<\/td><td><code>echo broken; exit 4<\/code><\/td><td>4<\/td>/,
    );
  });

  it("a 3-node chain with a Dockerfile node: the graph, a lane per node with its steps", async () => {
    const dir = tempDir();
    writeTree(dir, {
      "chain.json": {
        nodes: {
          base: { template: "base.json" },
          middle: { dockerfile: "Dockerfile", tags: [`kiln-it/report-middle-${NONCE}:1`], squash: false },
          top: { template: "top.json" },
        },
      },
      "base.json": {
        builders: [{ type: "docker", image: BUSYBOX, commit: true, pull: false }],
        provisioners: [{ type: "shell", inline: ["echo base > /base"] }],
        "post-processors": [{ type: "docker-tag", repository: `kiln-it/report-base-${NONCE}`, tags: ["1"] }],
      },
      Dockerfile: `FROM kiln-it/report-base-${NONCE}:1\nRUN echo middle > /middle\n`,
      "top.json": {
        builders: [{ type: "docker", image: `kiln-it/report-middle-${NONCE}:1`, commit: true, pull: false }],
        provisioners: [{ type: "shell", inline: ["cat /base /middle"] }],
        "post-processors": [{ type: "docker-tag", repository: `kiln-it/report-top-${NONCE}`, tags: ["1"] }],
      },
    });
    const r = await runKiln(
      ["chain", "-color=false", "-report=c.json", "-report-html=c.html", "chain.json"],
      {
        cwd: dir,
        env: { KILN_STATE_DIR: stateDir },
        timeoutMs: 300_000,
        expectLeftovers: true,
      },
    );
    for (const node of ["base", "middle", "top"]) trackImage(`kiln-it/report-${node}-${NONCE}:1`);
    for (const m of r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
    assert.equal(r.code, 0, describeRun(r));
    onlyCacheEntries(r);
    const { report, html } = readReport(dir, "c");
    assert.equal(report.kind, "chain");
    assert.equal(report.status, "ok");
    assert.deepEqual(
      report.graph?.map((n) => [n.name, n.kind, n.needs.map((e) => e.node)]),
      [
        ["base", "packer", []],
        ["middle", "dockerfile", ["base"]],
        ["top", "packer", ["middle"]],
      ],
    );
    assert.deepEqual(
      report.lanes.map((l) => [l.name, l.kind, l.status]),
      [
        ["base", "node", "built"],
        ["middle", "node", "built"],
        ["top", "node", "built"],
      ],
    );
    for (const lane of report.lanes) {
      assert.ok(lane.steps.length > 0, `${lane.name} has steps`);
      assert.ok(lane.startMs! <= lane.endMs!);
    }
    const base = report.lanes[0]!;
    const middle = report.lanes[1]!;
    assert.ok(middle.startMs! >= base.endMs!, "middle starts after base");
    assert.ok(report.lanes[2]!.steps.some((s) => s.output.some((l) => l.text.includes("middle"))));
    assert.equal([...html.matchAll(/<g class="gnode st-built"/g)].length, 3);
    assert.equal(bars(html).length, report.totals.steps);
  });
});
