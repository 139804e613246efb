#!/usr/bin/env node
// Benchmark: a 6-node chain on two levels (2 Packer roots; under them 2 Packer and 2 Dockerfile
// nodes; every node `sleep 3` on the busybox test base), built by `kiln chain` in parallel and one
// node at a time, in one run. Reports the parallel wall time against the chain's critical path
// (the longest root-to-leaf sum of node times, each node timed alone in the one-at-a-time run;
// target ≤ 1.2×) and against the one-at-a-time wall time.
// Usage: node bench/chain.mjs [--runs N] [--parallel N]   (needs a built dist/ and an engine)
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg("--runs", 3);
const parallel = arg("--parallel", 4);
const WORK_S = 3;

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

const setupEnv = JSON.parse(
  sh("node", ["--import", "tsx", join(root, "test/harness/setup.ts"), "setup"], { cwd: root }),
);
const env = { ...process.env, ...setupEnv };
const busybox = setupEnv.KILN_TEST_BUSYBOX;

const work = mkdtempSync(join(tmpdir(), "kiln-bench-chain-"));
const packer = (image, repository) => ({
  builders: [{ type: "docker", image, commit: true, pull: false }],
  provisioners: [{ type: "shell", inline: [`sleep ${WORK_S}`, `echo ${repository} > /built`] }],
  "post-processors": [{ type: "docker-tag", repository, tags: ["1"] }],
});
const files = {
  "root-a.json": packer(busybox, "kiln-bench/root-a"),
  "root-b.json": packer(busybox, "kiln-bench/root-b"),
  "leaf-a1.json": packer("kiln-bench/root-a:1", "kiln-bench/leaf-a1"),
  "leaf-b1.json": packer("kiln-bench/root-b:1", "kiln-bench/leaf-b1"),
  "Dockerfile.a2": `FROM kiln-bench/root-a:1\nRUN sleep ${WORK_S} && echo a2 > /built\n`,
  "Dockerfile.b2": `FROM kiln-bench/root-b:1\nRUN sleep ${WORK_S} && echo b2 > /built\n`,
  "chain.json": {
    nodes: {
      "root-a": { template: "root-a.json" },
      "root-b": { template: "root-b.json" },
      "leaf-a1": { template: "leaf-a1.json" },
      "leaf-b1": { template: "leaf-b1.json" },
      // no_cache: the engine's cache would make repeated runs free; every run does the work.
      "leaf-a2": {
        dockerfile: "Dockerfile.a2",
        tags: ["kiln-bench/leaf-a2:1"],
        squash: false,
        no_cache: true,
      },
      "leaf-b2": {
        dockerfile: "Dockerfile.b2",
        tags: ["kiln-bench/leaf-b2:1"],
        squash: false,
        no_cache: true,
      },
    },
  },
};
for (const [name, content] of Object.entries(files))
  writeFileSync(join(work, name), typeof content === "string" ? content : JSON.stringify(content, null, 2));
const edges = { "leaf-a1": "root-a", "leaf-a2": "root-a", "leaf-b1": "root-b", "leaf-b2": "root-b" };

/** One chain run: wall time (ms, whole process) and each node's time from its records. */
function chain(n) {
  const t0 = process.hrtime.bigint();
  const out = sh(
    "node",
    [
      join(root, "bin/kiln.js"),
      "chain",
      "-machine-readable",
      "-no-cache",
      `-parallel-builds=${n}`,
      "chain.json",
    ],
    {
      env,
      cwd: work,
    },
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const nodes = {};
  for (const m of out.matchAll(/^\d+,([^,]+),chain-node,built,\d+,(\d+),/gm)) nodes[m[1]] = Number(m[2]);
  if (Object.keys(nodes).length !== 6) throw new Error(`expected 6 built nodes:\n${out}`);
  return { wall, nodes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { parallel: [], sequential: [], critical: [], criticalInRun: [] };
const criticalPath = (nodes) =>
  Math.max(...Object.entries(edges).map(([leaf, rootNode]) => nodes[leaf] + nodes[rootNode]));
try {
  chain(parallel); // warm-up
  for (let r = 0; r < runs; r++) {
    const p = chain(parallel);
    const s = chain(1);
    // The critical path: each leaf's time plus its root's, nodes timed alone (one at a time).
    results.parallel.push(p.wall);
    results.sequential.push(s.wall);
    results.critical.push(criticalPath(s.nodes));
    // The same path with the nodes' times in the parallel run (slower when they share 2 cores).
    results.criticalInRun.push(criticalPath(p.nodes));
  }
} finally {
  spawnSync(
    "docker",
    [
      "rmi",
      "-f",
      ...["root-a", "root-b", "leaf-a1", "leaf-b1", "leaf-a2", "leaf-b2"].map((n) => `kiln-bench/${n}:1`),
    ],
    {
      env,
      stdio: "ignore",
    },
  );
  rmSync(work, { recursive: true, force: true });
  spawnSync("node", ["--import", "tsx", join(root, "test/harness/setup.ts"), "teardown"], {
    cwd: root,
    env,
    stdio: "ignore",
  });
}
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(", ");
console.log(`6-node chain on two levels (each node sleep ${WORK_S}), ${runs} runs, median:`);
console.log(
  `  parallel (-parallel-builds=${parallel}) ${m.parallel.toFixed(0).padStart(6)} ms   (runs: ${fmt(results.parallel)})`,
);
console.log(
  `  one at a time                ${m.sequential.toFixed(0).padStart(6)} ms   (runs: ${fmt(results.sequential)})`,
);
console.log(
  `  critical path                ${m.critical.toFixed(0).padStart(6)} ms   (runs: ${fmt(results.critical)})`,
);
console.log(
  `  critical path, in the run    ${m.criticalInRun.toFixed(0).padStart(6)} ms   (runs: ${fmt(results.criticalInRun)})`,
);
console.log(`ratio parallel/critical path = ${(m.parallel / m.critical).toFixed(2)}   (target ≤ 1.20)`);
console.log(
  `ratio parallel/critical path in the run = ${(m.parallel / m.criticalInRun).toFixed(2)}   (what kiln adds: start, planning, scheduling)`,
);
console.log(`ratio one-at-a-time/parallel = ${(m.sequential / m.parallel).toFixed(2)}`);
