// Shared by the benchmarks: the test harness's engine and base images, commands, medians.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export function runsFromArgs(defaultRuns = 5) {
  const i = process.argv.indexOf("--runs");
  return i > 0 ? Number(process.argv[i + 1]) : defaultRuns;
}

/** Runs a command; throws with its output when it fails; returns stdout. */
export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

/** The harness's engine (started when none answers) and base images; call `teardown` at the end. */
export function harness() {
  const setupEnv = JSON.parse(
    sh("node", ["--import", "tsx", join(root, "test/harness/setup.ts"), "setup"], { cwd: root }),
  );
  const env = { ...process.env, ...setupEnv };
  return {
    env,
    busybox: setupEnv.KILN_TEST_BUSYBOX,
    debian: setupEnv.KILN_TEST_DEBIAN,
    teardown() {
      spawnSync("node", ["--import", "tsx", join(root, "test/harness/setup.ts"), "teardown"], {
        cwd: root,
        env,
        stdio: "ignore",
      });
    },
  };
}

export function time(fn) {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function report(title, times) {
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(title);
  const width = Math.max(...Object.keys(m).map((k) => k.length));
  for (const k of Object.keys(m)) {
    console.log(
      `  ${k.padEnd(width)} ${m[k].toFixed(0).padStart(7)} ms   (runs: ${times[k].map((t) => t.toFixed(0)).join(", ")})`,
    );
  }
  return m;
}

export function imageFromOutput(out) {
  return [...out.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)].at(-1)?.[1];
}

/**
 * The file-transfer benches' data: `files` files of deterministic sizes around the mean (`bytes` in
 * all, random content, in 20 directories, every ninth 0755) under `smallDir`, and one file of
 * `largeMb` MiB of random bytes at `largeFile`.
 */
export function makeTransferData(smallDir, largeFile, largeMb, files = 2000, bytes = 55_000_000) {
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sizes = Array.from({ length: files }, () => 1000 + Math.floor(rand() * 53_000));
  const scale = bytes / sizes.reduce((a, b) => a + b, 0);
  for (const [i, s] of sizes.entries()) {
    const dir = join(smallDir, `d${String(i % 20).padStart(2, "0")}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.bin`), randomBytes(Math.floor(s * scale)), {
      mode: i % 9 === 0 ? 0o755 : 0o644,
    });
  }
  mkdirSync(dirname(largeFile), { recursive: true });
  const fd = openSync(largeFile, "w");
  const block = randomBytes(1024 * 1024);
  for (let i = 0; i < largeMb; i++) writeSync(fd, block);
  closeSync(fd);
}
