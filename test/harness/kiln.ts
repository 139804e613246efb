// Runs the built kiln CLI (bin/kiln.js → dist/) as a user would, checks after every run that it
// left nothing behind (run-leaks.ts), and hands out temp dirs that are removed after the tests.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  findRunLeftovers,
  formatLeftovers,
  removeLeftovers,
  takeRunBaseline,
  type Leftover,
} from "./run-leaks.js";

export const REPO_ROOT = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const KILN_BIN = path.join(REPO_ROOT, "bin", "kiln.js");

export interface SignalTrigger {
  signal: NodeJS.Signals;
  /** Sent once, the first time the combined output matches. */
  whenOutputMatches: RegExp;
  /** Wait this long after the match before signalling. */
  delayMs?: number;
}

export interface RunOptions {
  cwd?: string;
  /** Added to the inherited environment; a value of `undefined` removes the variable. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (stdin is always closed, as in CI). */
  input?: string | Buffer;
  /**
   * Instead of `input`: written to stdin the first time the combined output matches, then stdin
   * is closed (a key press answering a prompt, however long the program takes to get there).
   */
  inputWhen?: { whenOutputMatches: RegExp; text: string; delayMs?: number };
  /** Default 120 s; on expiry the process gets SIGKILL and `timedOut` is true. */
  timeoutMs?: number;
  /** One trigger, or several (e.g. SIGINT at one line, a second SIGINT at a later line). */
  signalAfter?: SignalTrigger | SignalTrigger[];
  /** Called with everything printed so far, after each chunk (to act at a point of the run). */
  onOutput?: (output: string) => void;
}

export interface KilnRunOptions extends RunOptions {
  /**
   * The run is expected to leave something behind (a container kept by -on-error=abort, a
   * SIGKILLed run): `leftovers` lists what it left, and the test asserts on it and removes it
   * (`removeLeftovers`). Otherwise any leftover fails the run (after being removed).
   */
  expectLeftovers?: boolean;
  /**
   * Called after kiln exits and before the check: lets a test wait for the engine to settle (a
   * commit the daemon finishes after kiln was killed).
   */
  beforeCheck?: (result: RunResult) => Promise<void>;
  /**
   * Runs kiln through another program (a pseudo-terminal: util-linux `script`): gets kiln's command
   * and arguments, returns what to spawn. `pid` is then the wrapper's: the engine-wide leak check
   * of the test file still sees what kiln left.
   */
  wrap?: (command: string, args: string[]) => { command: string; args: string[] };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order. */
  output: string;
  timedOut: boolean;
  /** The signals actually sent by `signalAfter` triggers, in order. */
  signalsSent: NodeJS.Signals[];
  durationMs: number;
  /** The child's pid (kiln's build containers carry it in their name). */
  pid?: number;
}

export interface KilnRunResult extends RunResult {
  /** What the run left behind (see run-leaks.ts); empty unless `expectLeftovers`. */
  leftovers: Leftover[];
}

/**
 * `CI` and `FORCE_COLOR` are dropped from the inherited environment (colour libraries switch colour
 * on for `CI`), so kiln's output is the same on a laptop and in CI; pass them in `env` to test colour.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  delete env.FORCE_COLOR;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Spawns any command with the same capture, signal and timeout handling as `runKiln`. */
export function runCommand(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: childEnv(opts.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const triggers = opts.signalAfter === undefined ? [] : [opts.signalAfter].flat();
  const fired = new Set<SignalTrigger>();
  const signalsSent: NodeJS.Signals[] = [];
  const timers: NodeJS.Timeout[] = [];
  let stdout = "";
  let stderr = "";
  let output = "";
  let timedOut = false;

  const send = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null && child.kill(signal)) signalsSent.push(signal);
  };
  let inputSent = false;
  const onOutput = (): void => {
    opts.onOutput?.(output);
    if (opts.inputWhen !== undefined && !inputSent && opts.inputWhen.whenOutputMatches.test(output)) {
      inputSent = true;
      const { text, delayMs } = opts.inputWhen;
      timers.push(setTimeout(() => child.stdin.end(text), delayMs ?? 0));
    }
    for (const trigger of triggers) {
      if (fired.has(trigger) || !trigger.whenOutputMatches.test(output)) continue;
      fired.add(trigger);
      if (trigger.delayMs === undefined || trigger.delayMs <= 0) send(trigger.signal);
      else timers.push(setTimeout(() => send(trigger.signal), trigger.delayMs));
    }
  };
  child.stdout.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    stdout += text;
    output += text;
    onOutput();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    stderr += text;
    output += text;
    onOutput();
  });
  child.stdin.on("error", () => {}); // the child may exit without reading its input
  if (opts.inputWhen === undefined) child.stdin.end(opts.input);

  const timeout = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs ?? 120_000);

  return new Promise<RunResult>((resolve, reject) => {
    child.on("error", (err) => {
      clearTimeout(timeout);
      timers.forEach(clearTimeout);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timeout);
      timers.forEach(clearTimeout);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        output,
        timedOut,
        signalsSent,
        durationMs: Date.now() - started,
        pid: child.pid,
      });
    });
  });
}

/** Runs in progress that may create engine objects, to know whether a run had the engine to itself. */
const running = new Set<{ overlapped: boolean }>();

/**
 * Marks a run (kiln or Packer) as in progress; the returned function ends it and tells whether no
 * other marked run overlapped it (then new untagged images can only be its own).
 */
export function beginRun(): () => boolean {
  const self = { overlapped: running.size > 0 };
  for (const other of running) other.overlapped = true;
  running.add(self);
  return () => {
    running.delete(self);
    return !self.overlapped;
  };
}

/**
 * Runs `node bin/kiln.js …` (needs `npm run build` first; `npm test` does it), then checks that it
 * left nothing behind: no build container, no image it committed or imported without reporting
 * it, nothing in its temp dir, no journal entry. Each run gets a private TMPDIR and KILN_STATE_DIR
 * unless the test sets them.
 */
export async function runKiln(args: string[], opts: KilnRunOptions = {}): Promise<KilnRunResult> {
  const env = { ...opts.env };
  const own: string[] = [];
  const privateDir = (prefix: string): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    own.push(dir);
    return dir;
  };
  const tmpPrivate = !("TMPDIR" in env);
  if (tmpPrivate) env.TMPDIR = privateDir("kiln-test-tmp-");
  if (!("KILN_STATE_DIR" in env)) env.KILN_STATE_DIR = privateDir("kiln-test-state-");
  const tmpDir = env.TMPDIR ?? os.tmpdir();
  const stateDir = env.KILN_STATE_DIR!;
  const end = beginRun();
  let ended = false;
  try {
    const baseline = await takeRunBaseline({ tmpDir, stateDir });
    const spawned = opts.wrap?.(process.execPath, [KILN_BIN, ...args]) ?? {
      command: process.execPath,
      args: [KILN_BIN, ...args],
    };
    const result = await runCommand(spawned.command, spawned.args, { ...opts, env });
    await opts.beforeCheck?.(result);
    const exclusive = end();
    ended = true;
    const leftovers = await findRunLeftovers({
      pid: result.pid,
      output: result.output,
      tmpDir,
      tmpPrivate,
      stateDir,
      baseline,
      exclusive,
    });
    if (leftovers.length > 0 && opts.expectLeftovers !== true) {
      await removeLeftovers(leftovers);
      assert.fail(
        `kiln ${args.join(" ")} (exit ${result.signal ?? result.code}) left ${leftovers.length} thing(s) behind:\n` +
          `${formatLeftovers(leftovers)}\n--- its output:\n${result.output}`,
      );
    }
    return { ...result, leftovers };
  } finally {
    if (!ended) end();
    for (const dir of own) rmSync(dir, { recursive: true, force: true });
  }
}

const tempDirs = new Set<string>();
process.once("exit", removeTempDirs);

/** Removes every directory `tempDir()` handed out (also done automatically when the process exits). */
export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * A fresh temp directory. Pass the test context (`t`) to remove it when that test ends; otherwise it is
 * removed when the test process exits.
 */
export function tempDir(t?: { after(fn: () => void): void }, prefix = "kiln-test-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  t?.after(() => {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  });
  return dir;
}
