#!/usr/bin/env node
// Benchmark: the same 20-step build (each step `true`) with kiln, with `packer build`, and as the
// equivalent docker CLI commands (docker run, 20× docker exec, docker commit), in one run, on the
// same engine and base image. Prints medians and the ratios kiln/cli and packer/cli.
// Usage: npm run bench [-- --runs N]   (needs: a built dist/, docker CLI, packer, a Docker engine)
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const STEPS = 20;

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

// Base image from the test harness (built once, reused by tag).
// setup prints the variables to export (and starts a dockerd when none answers; teardown stops it).
const setupEnv = JSON.parse(
  sh("node", ["--import", "tsx", join(root, "test/harness/setup.ts"), "setup"], { cwd: root }),
);
const env = { ...process.env, ...setupEnv };
const image = setupEnv.KILN_TEST_BUSYBOX;

const work = mkdtempSync(join(tmpdir(), "kiln-bench-"));
const template = {
  builders: [{ type: "docker", image, pull: false, commit: true }],
  provisioners: Array.from({ length: STEPS }, () => ({ type: "shell", inline: ["true"] })),
};
const templatePath = join(work, "bench.json");
writeFileSync(templatePath, JSON.stringify(template, null, 2));

function imageFromOutput(out) {
  const m = /Image ID: (sha256:[0-9a-f]{64})/.exec(out);
  return m?.[1];
}

const contenders = {
  kiln() {
    // -no-cache: this compares doing the work; bench/cache.mjs measures the cache.
    const out = sh("node", [join(root, "bin/kiln.js"), "build", "-color=false", "-no-cache", templatePath], {
      env,
      cwd: work,
    });
    return imageFromOutput(out);
  },
  packer() {
    const out = sh("packer", ["build", "-color=false", templatePath], {
      env: { ...env, PACKER_CONFIG_DIR: work, CHECKPOINT_DISABLE: "1" },
      cwd: work,
    });
    return imageFromOutput(out);
  },
  cli() {
    const id = sh("docker", ["run", "-d", "-i", "-t", "--entrypoint=/bin/sh", "--", image], { env });
    try {
      for (let i = 0; i < STEPS; i++) sh("docker", ["exec", id, "/bin/sh", "-c", "true"], { env });
      return sh("docker", ["commit", id], { env });
    } finally {
      sh("docker", ["rm", "-f", id], { env });
    }
  },
};

const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
try {
  // One warm-up each, then interleaved runs so drift affects all contenders alike.
  for (const fn of Object.values(contenders)) {
    const img = fn();
    if (img) execFileSync("docker", ["rmi", img], { env, stdio: "ignore" });
  }
  for (let r = 0; r < runs; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const t0 = process.hrtime.bigint();
      const img = fn();
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!img) throw new Error(`${name} produced no image id`);
      execFileSync("docker", ["rmi", img], { env, stdio: "ignore" });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  spawnSync("node", ["--import", "tsx", join(root, "test/harness/setup.ts"), "teardown"], {
    cwd: root,
    env,
    stdio: "ignore",
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
console.log(`20-step build (each step \`true\`), ${runs} runs each, median wall time:`);
for (const k of Object.keys(m))
  console.log(
    `  ${k.padEnd(7)} ${m[k].toFixed(0).padStart(6)} ms   (runs: ${times[k].map((t) => t.toFixed(0)).join(", ")})`,
  );
console.log(`ratio kiln/cli   = ${(m.kiln / m.cli).toFixed(2)}   (target ≤ 1.00)`);
console.log(`ratio packer/cli = ${(m.packer / m.cli).toFixed(2)}`);
console.log(`ratio kiln/packer = ${(m.kiln / m.packer).toFixed(2)}`);
