#!/usr/bin/env node
// Test runner: node:test + tsx, with the file lists collected here because node 20's --test has no
// globs (and silently runs zero tests when given none).
//
//   node scripts/test.mjs unit|integration|all [filter…]
//
// A filter keeps the files whose path contains it. Integration files (test/integration, test/parity,
// test/reliability) run after the harness setup (engine + base images) with its variables exported,
// one file at a time (leak checks are engine-wide), then the harness teardown.
// Set KILN_TEST_CONCURRENCY to override the integration concurrency.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const SETS = {
  unit: ["test/unit"],
  integration: ["test/integration", "test/parity", "test/reliability"],
};
const UNIT_ARGS = ["--test-concurrency=2", "--test-timeout=120000", "--test-force-exit"];
const INTEGRATION_CONCURRENCY = process.env.KILN_TEST_CONCURRENCY ?? "1";
const INTEGRATION_ARGS = [
  `--test-concurrency=${INTEGRATION_CONCURRENCY}`,
  "--test-timeout=600000",
  "--test-force-exit",
];

const [mode, ...filters] = process.argv.slice(2);
if (!["unit", "integration", "all"].includes(mode ?? "")) {
  process.stderr.write("usage: node scripts/test.mjs unit|integration|all [file filter…]\n");
  process.exit(2);
}

function collect(dirs) {
  const files = [];
  for (const dir of dirs) {
    const abs = path.join(ROOT, dir);
    if (!existsSync(abs)) continue;
    for (const entry of readdirSync(abs, { recursive: true })) {
      const rel = path.posix.join(dir, String(entry).split(path.sep).join("/"));
      if (rel.endsWith(".test.ts") && !rel.split("/").includes("node_modules")) files.push(rel);
    }
  }
  return files.sort().filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)));
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const say = (message) => process.stdout.write(`\n▶ ${message}\n`);

let current; // the child running now, to forward signals to
let interrupted;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    interrupted = signal;
    current?.kill(signal);
  });
}

/** Runs a command, streaming its output through; resolves with its exit status and stdout text. */
function run(args, { env = process.env, captureOnly = false, forwardSignals = true } = {}) {
  return new Promise((resolve) => {
    // The teardown runs in its own process group so that a second Ctrl-C cannot cut it short.
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "inherit"],
      detached: !forwardSignals,
    });
    if (forwardSignals) current = child;
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk.toString("utf8");
      if (!captureOnly) process.stdout.write(chunk);
    });
    child.on("error", (err) => {
      process.stderr.write(`failed to run node ${args.join(" ")}: ${err.message}\n`);
    });
    child.on("close", (code, signal) => {
      current = undefined;
      resolve({ code: code ?? 1, signal, stdout });
    });
  });
}

/** node:test's closing counts, from the spec reporter (`ℹ pass N`) or TAP (`# pass N`). */
function counts(stdout) {
  // eslint-disable-next-line no-control-regex
  const text = stdout.replace(/\u001b\[[0-9;]*m/g, "");
  const last = (name) => {
    const matches = [...text.matchAll(new RegExp(`^\\s*(?:ℹ|#) ${name} (\\d+)\\s*$`, "gm"))];
    return matches.length === 0 ? undefined : Number(matches.at(-1)[1]);
  };
  return { pass: last("pass"), fail: last("fail"), cancelled: last("cancelled") ?? 0 };
}

const totals = { passed: 0, failed: 0 };
let exitCode = 0;

async function runTests(label, files, extraArgs, env) {
  const started = Date.now();
  say(`${label}: ${files.length} file(s)`);
  const result = await run(["--import", "tsx", "--test", "--test-reporter=spec", ...extraArgs, ...files], {
    env,
  });
  const { pass, fail, cancelled } = counts(result.stdout);
  if (pass === undefined || fail === undefined) {
    process.stdout.write(
      `${label}: node's test runner printed no summary (exit ${result.signal ?? result.code})\n`,
    );
    totals.failed += 1;
    exitCode = 1;
  } else {
    totals.passed += pass;
    totals.failed += fail + cancelled;
    // A file that crashes outside a test can exit non-zero with no failed test counted.
    if (result.code !== 0 && fail + cancelled === 0) totals.failed += 1;
  }
  if (result.code !== 0) exitCode = 1;
  say(`${label} finished in ${seconds(started)} (exit ${result.signal ?? result.code})`);
}

async function runIntegration(files) {
  if (!existsSync(path.join(ROOT, "dist", "cli", "main.js"))) {
    process.stdout.write(
      "warning: dist/ is not built; tests that run bin/kiln.js will fail (npm run build)\n",
    );
  }
  const harness = ["--import", "tsx", path.join("test", "harness", "setup.ts")];
  let started = Date.now();
  say("integration setup (engine, base images)");
  const setup = await run([...harness, "setup"], { captureOnly: true });
  const lastLine = setup.stdout.trim().split("\n").at(-1) ?? "";
  let harnessEnv;
  try {
    harnessEnv = setup.code === 0 ? JSON.parse(lastLine) : undefined;
  } catch {
    harnessEnv = undefined;
  }
  if (harnessEnv === undefined) {
    process.stdout.write(`integration setup failed (exit ${setup.code}); integration tests not run\n`);
    totals.failed += 1;
    exitCode = 1;
    return;
  }
  say(`integration setup finished in ${seconds(started)}: ${JSON.stringify(harnessEnv)}`);
  const env = { ...process.env, ...harnessEnv };
  try {
    if (interrupted === undefined) await runTests("integration tests", files, INTEGRATION_ARGS, env);
  } finally {
    started = Date.now();
    say("integration teardown");
    const teardown = await run([...harness, "teardown"], { env, forwardSignals: false });
    if (teardown.code !== 0) exitCode = 1;
    say(`integration teardown finished in ${seconds(started)}`);
  }
}

const startedAll = Date.now();
const unitFiles = mode === "integration" ? [] : collect(SETS.unit);
const integrationFiles = mode === "unit" ? [] : collect(SETS.integration);
const empty = [];
if (filters.length === 0) {
  if (mode !== "integration" && unitFiles.length === 0) empty.push(SETS.unit.join(", "));
  if (mode !== "unit" && integrationFiles.length === 0) empty.push(SETS.integration.join(", "));
} else if (unitFiles.length + integrationFiles.length === 0) {
  empty.push(`files matching ${filters.join(" ")}`);
}
if (empty.length > 0) {
  process.stderr.write(`\nERROR: no test files found in ${empty.join("; ")} (looked for **/*.test.ts).\n`);
  process.stderr.write("Refusing to report a green run that ran nothing.\n");
  process.stdout.write("0 passed, 1 failed\n");
  process.exit(1);
}

if (unitFiles.length > 0) await runTests("unit tests", unitFiles, UNIT_ARGS, process.env);
if (integrationFiles.length > 0 && interrupted === undefined) await runIntegration(integrationFiles);
if (interrupted !== undefined) {
  process.stdout.write(`\ninterrupted by ${interrupted}\n`);
  exitCode = 1;
}
if (totals.failed > 0) exitCode = 1;
say(`all done in ${seconds(startedAll)}`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
process.exit(exitCode);
