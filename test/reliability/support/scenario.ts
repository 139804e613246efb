// One reliability scenario = one node:test case that also yields a table row: what was expected,
// what was observed, and how many leftovers kiln left (always checked, must be zero). Rows go to a
// results file shared by every file of the run (keyed by the test runner's pid), and the last file
// (zz-report.test.ts) prints them all; each file also prints its own rows.
import { inspect } from "node:util";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, it } from "node:test";
import type { DockerEndpoint } from "../../harness/docker-api.js";
import { endpointFromEnv } from "../../harness/docker-api.js";
import { tempDir } from "../../harness/kiln.js";
import { findScenarioLeftovers, removeScenarioLeftovers } from "./leftovers.js";
import { KilnProcess, type KilnRunOptions, type KilnRun } from "./kiln-process.js";

export interface Row {
  file: string;
  scenario: string;
  expected: string;
  observed: string;
  leftovers: number;
  passed: boolean;
  seconds: number;
}

/** The runner (`node --test`) is every test file's parent, so its pid names the run. */
export function resultsFile(): string {
  return (
    process.env.KILN_RELIABILITY_RESULTS ?? path.join(os.tmpdir(), `kiln-reliability-${process.ppid}.ndjson`)
  );
}

export function readRows(file = resultsFile()): Row[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Row);
  } catch {
    return [];
  }
}

export function removeResults(file = resultsFile()): void {
  rmSync(file, { force: true });
}

const oneLine = (s: string, max: number): string => {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** Words of `text` in lines of at most `width` characters (a longer word is cut). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (let word of text.replace(/\s+/g, " ").trim().split(" ")) {
    while (word.length > width) {
      if (line) lines.push(line);
      line = "";
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines;
}

/** A plain-text table; long cells wrap inside their column, nothing is cut off. */
export function formatTable(rows: Row[]): string {
  const header = ["#", "scenario", "expected", "observed", "leftovers", "result"];
  const limits = [3, 44, 44, 64, 9, 9];
  const body = rows.map((r, i) => [
    String(i + 1),
    r.scenario,
    r.expected,
    r.observed,
    String(r.leftovers),
    r.passed ? `ok ${r.seconds.toFixed(1)}s` : "FAIL",
  ]);
  const cells = body.map((row) => row.map((c, col) => wrap(c, limits[col]!)));
  const widths = header.map((h, col) =>
    Math.max(h.length, ...cells.flatMap((row) => row[col]!.map((l) => l.length))),
  );
  const line = (parts: string[]): string => `| ${parts.map((x, c) => x.padEnd(widths[c]!)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  const out = [line(header), rule];
  for (const row of cells) {
    const height = Math.max(...row.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(row.map((c) => c[k] ?? "")));
  }
  return out.join("\n");
}

export interface ScenarioContext {
  /** A private working directory (template, outputs), removed after the test. */
  dir: string;
  /** kiln's TMPDIR for this scenario: must be empty at the end. */
  tmp: string;
  /** kiln's KILN_STATE_DIR (journals) for this scenario: must be empty at the end. */
  state: string;
  endpoint: DockerEndpoint;
  /** Environment for every kiln run of the scenario (TMPDIR, KILN_STATE_DIR, DOCKER_HOST). */
  env: Record<string, string | undefined>;
  /** Starts kiln (its pid is remembered for the leftover check). */
  start(args: string[], opts?: KilnRunOptions): KilnProcess;
  /** Runs kiln to the end. */
  kiln(args: string[], opts?: KilnRunOptions): Promise<KilnRun>;
  /** Adds to the "observed" column. */
  observe(text: string): void;
  /** Extra leftovers found by the scenario itself (e.g. a secret in a temp file). */
  leftover(description: string): void;
  /** Pids whose containers count as this scenario's (kiln runs are added automatically). */
  pids: Set<number>;
  /** Container ids created by the scenario's kiln runs (parsed from their output). */
  containerIds: Set<string>;
  /** Registered cleanups for test-made objects (images the scenario built on purpose). */
  defer(fn: () => Promise<void> | void): void;
}

export interface ScenarioOptions {
  timeoutMs?: number;
  endpoint?: DockerEndpoint;
  /** Extra environment for kiln. */
  env?: Record<string, string | undefined>;
  /** Skip the engine part of the leftover check (the scenario's engine is gone). */
  engineless?: boolean;
}

const fileName = (): string => path.basename(process.argv[1] ?? "?");
const ownRows: Row[] = [];
let printerInstalled = false;

/** Results of runs whose runner is gone (a file run alone never reaches zz-report to remove them). */
function removeStaleResults(): void {
  const dir = path.dirname(resultsFile());
  for (const name of readdirSync(dir)) {
    const pid = Number(/^kiln-reliability-(\d+)\.ndjson$/.exec(name)?.[1] ?? 0);
    if (pid <= 0) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(path.join(dir, name), { force: true });
    }
  }
}

function installPrinter(): void {
  if (printerInstalled) return;
  printerInstalled = true;
  after(() => {
    if (ownRows.length > 0) process.stdout.write(`\n${fileName()}\n${formatTable(ownRows)}\n`);
    removeStaleResults();
  });
}

/**
 * Declares a scenario. `body` returns nothing: it reports through `s.observe` and asserts what it
 * expects; afterwards the leftover check runs (kiln containers of the scenario's pids, images
 * committed from its containers, files in its TMPDIR and state dir, `.partial` files).
 */
export function scenario(
  name: string,
  expected: string,
  body: (s: ScenarioContext) => Promise<void>,
  opts: ScenarioOptions = {},
): void {
  installPrinter();
  it(name, { timeout: opts.timeoutMs ?? 120_000 }, async (t) => {
    const started = Date.now();
    const dir = tempDir(t, "kiln-rel-");
    const tmp = path.join(dir, "tmp");
    const state = path.join(dir, "state");
    mkdirSync(tmp);
    mkdirSync(state);
    const endpoint = opts.endpoint ?? endpointFromEnv();
    const observed: string[] = [];
    const extra: string[] = [];
    const deferred: (() => Promise<void> | void)[] = [];
    const pids = new Set<number>();
    const containerIds = new Set<string>();
    const env: Record<string, string | undefined> = {
      TMPDIR: tmp,
      KILN_STATE_DIR: state,
      DOCKER_HOST:
        endpoint.kind === "unix"
          ? `unix://${endpoint.socketPath}`
          : `tcp://${endpoint.host}:${endpoint.port}`,
      ...opts.env,
    };
    const processes: KilnProcess[] = [];
    const s: ScenarioContext = {
      dir,
      tmp,
      state,
      endpoint,
      env,
      pids,
      containerIds,
      start(args, runOpts = {}) {
        // These scenarios are about processes, signals and ownership: every build runs its steps
        // (with the cache, a second run of a template would find them cached and never get to the
        // moment a scenario interrupts). The cache's own interruptions: test/integration/cache-*.
        if (args[0] === "build" && !args.some((a) => /^--?(no-)?cache/.test(a))) {
          args = ["build", "-no-cache", ...args.slice(1)];
        }
        const p = new KilnProcess(args, { cwd: dir, ...runOpts, env: { ...env, ...runOpts.env } });
        processes.push(p);
        p.onPid((pid) => pids.add(pid));
        p.onContainer((id) => containerIds.add(id));
        return p;
      },
      kiln(args, runOpts) {
        return s.start(args, runOpts).result();
      },
      observe: (text) => void observed.push(text),
      leftover: (d) => void extra.push(d),
      defer: (fn) => void deferred.push(fn),
    };
    let failure: unknown;
    let found: string[] = [];
    try {
      await body(s);
    } catch (e) {
      failure = e;
    }
    // A scenario that failed early may have left kiln running: stop it before looking.
    for (const p of processes) await p.kill("SIGKILL");
    try {
      found = [
        ...extra,
        ...(await findScenarioLeftovers({
          endpoint,
          engine: !opts.engineless,
          pids,
          containerIds,
          dirs: { tmp, state, work: dir },
        })),
      ];
    } catch (e) {
      failure ??= e;
    }
    if (found.length > 0) await removeScenarioLeftovers({ endpoint, pids, containerIds }).catch(() => {});
    for (const fn of deferred.reverse()) await Promise.resolve(fn()).catch(() => {});
    const failureText =
      failure === undefined
        ? ""
        : oneLine(failure instanceof Error ? failure.message : inspect(failure), 160);
    const row: Row = {
      file: fileName(),
      scenario: name,
      expected,
      observed: [observed.join("; "), failureText ? `FAILED: ${failureText}` : ""].filter(Boolean).join("; "),
      leftovers: found.length,
      passed: failure === undefined && found.length === 0,
      seconds: (Date.now() - started) / 1000,
    };
    ownRows.push(row);
    appendFileSync(resultsFile(), `${JSON.stringify(row)}\n`);
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(inspect(failure));
    assert.deepEqual(found, [], `kiln left ${found.length} leftover(s)`);
  });
}
