// Runs the built kiln CLI (bin/kiln.js → dist/) as a user would, and hands out temp dirs that are
// removed after the tests.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
  /** Default 120 s; on expiry the process gets SIGKILL and `timedOut` is true. */
  timeoutMs?: number;
  /** One trigger, or several (e.g. SIGINT at one line, a second SIGINT at a later line). */
  signalAfter?: SignalTrigger | SignalTrigger[];
  /** Called with everything printed so far, after each chunk (to act at a point of the run). */
  onOutput?: (output: string) => void;
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
  const onOutput = (): void => {
    opts.onOutput?.(output);
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
  child.stdin.end(opts.input);

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
      });
    });
  });
}

/** Runs `node bin/kiln.js …` (needs `npm run build` first; `npm test` does it). */
export function runKiln(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(process.execPath, [KILN_BIN, ...args], opts);
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
