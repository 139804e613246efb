// Shared by the benchmarks: the test harness's engine and base images, commands, medians.
import { spawnSync } from "node:child_process";
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
