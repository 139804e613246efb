// Runs the built kiln CLI as a user (or a CI job) would, with what fault injection needs: waiting
// for an output line before acting, signals to the pid or to the process group, line-by-line
// output for runs too large to keep, and the peak RSS measured by /usr/bin/time -v.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { childEnv, KILN_BIN } from "../../harness/kiln.js";

export const TIME_BIN = "/usr/bin/time";

export interface KilnRunOptions {
  cwd?: string;
  /** Added to the inherited environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Own process group, so a signal can go to the whole group (as a terminal's Ctrl-C does). */
  detached?: boolean;
  /** Keep the output in memory (default true); large-output runs use `onLine` instead. */
  keepOutput?: boolean;
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
  /** Run under /usr/bin/time -v and report the peak RSS. */
  measureRss?: boolean;
  /** SIGKILL after this long (default 180 s). */
  timeoutMs?: number;
}

export interface KilnRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved by line, in arrival order. */
  output: string;
  durationMs: number;
  timedOut: boolean;
  /** Peak resident set size of the kiln process in KiB (measureRss only). */
  maxRssKb?: number;
}

const CONTAINER_ID = /Container ID: ([0-9a-f]{64})/;

export class KilnProcess {
  readonly child: ChildProcess;
  private pid?: number;
  private readonly pidListeners: ((pid: number) => void)[] = [];
  private readonly containerListeners: ((id: string) => void)[] = [];
  private readonly waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  private readonly lines: string[] = [];
  private stdout = "";
  private stderr = "";
  private readonly done: Promise<KilnRun>;
  private exited = false;
  private readonly timeFile?: string;
  readonly started = Date.now();

  constructor(args: string[], opts: KilnRunOptions = {}) {
    const keep = opts.keepOutput ?? true;
    const node = process.execPath;
    let command = node;
    let argv = [KILN_BIN, ...args];
    if (opts.measureRss) {
      if (!existsSync(TIME_BIN)) throw new Error(`${TIME_BIN} is missing: apt-get install time`);
      this.timeFile = path.join(os.tmpdir(), `kiln-rel-time-${process.pid}-${Date.now()}.txt`);
      command = TIME_BIN;
      argv = ["-v", "-o", this.timeFile, node, ...argv];
    }
    this.child = spawn(command, argv, {
      cwd: opts.cwd,
      env: childEnv(opts.env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: opts.detached ?? false,
    });
    if (!opts.measureRss && this.child.pid !== undefined) this.setPid(this.child.pid);
    else void this.findWrappedPid();

    const split = (stream: "stdout" | "stderr") => {
      let partial = "";
      return (chunk: Buffer) => {
        const text = partial + chunk.toString("utf8");
        const parts = text.split("\n");
        partial = parts.pop() ?? "";
        if (keep) {
          if (stream === "stdout") this.stdout += text.slice(0, text.length - partial.length);
          else this.stderr += text.slice(0, text.length - partial.length);
        }
        for (const line of parts) this.line(stream, line, keep, opts.onLine);
      };
    };
    const out = split("stdout");
    const err = split("stderr");
    this.child.stdout!.on("data", out);
    this.child.stderr!.on("data", err);

    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      this.child.kill("SIGKILL");
    }, opts.timeoutMs ?? 180_000);
    this.done = new Promise<KilnRun>((resolve, reject) => {
      this.child.on("error", (e) => {
        clearTimeout(timeout);
        reject(e);
      });
      this.child.on("close", (code, signal) => {
        clearTimeout(timeout);
        this.exited = true;
        let maxRssKb: number | undefined;
        let exitCode = code;
        let exitSignal = signal;
        if (this.timeFile) {
          const report = readFileSync(this.timeFile, "utf8");
          rmSync(this.timeFile, { force: true });
          const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
          maxRssKb = rss ? Number(rss[1]) : undefined;
          const killed = /Command terminated by signal (\d+)/.exec(report);
          if (killed) {
            exitSignal = (Object.entries(os.constants.signals).find(
              ([, n]) => n === Number(killed[1]),
            )?.[0] ?? null) as NodeJS.Signals | null;
            exitCode = null;
          }
        }
        resolve({
          code: exitCode,
          signal: exitSignal,
          stdout: this.stdout,
          stderr: this.stderr,
          output: this.lines.join("\n"),
          durationMs: Date.now() - this.started,
          timedOut,
          ...(maxRssKb !== undefined ? { maxRssKb } : {}),
        });
      });
    });
  }

  private line(
    stream: "stdout" | "stderr",
    line: string,
    keep: boolean,
    onLine?: (stream: "stdout" | "stderr", line: string) => void,
  ): void {
    if (keep) this.lines.push(line);
    onLine?.(stream, line);
    const id = CONTAINER_ID.exec(line)?.[1];
    if (id !== undefined) for (const l of this.containerListeners) l(id);
    for (const w of [...this.waiters]) {
      if (w.re.test(line)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }

  private setPid(pid: number): void {
    this.pid = pid;
    for (const l of this.pidListeners) l(pid);
  }

  /** Under /usr/bin/time the kiln process is time's only child. */
  private async findWrappedPid(): Promise<void> {
    const wrapper = this.child.pid;
    if (wrapper === undefined) return;
    for (let i = 0; i < 500 && !this.exited; i++) {
      try {
        const children = readFileSync(`/proc/${wrapper}/task/${wrapper}/children`, "utf8").trim();
        if (children !== "") {
          this.setPid(Number(children.split(/\s+/)[0]));
          return;
        }
      } catch {
        return;
      }
      await sleep(10);
    }
  }

  onPid(listener: (pid: number) => void): void {
    this.pidListeners.push(listener);
    if (this.pid !== undefined) listener(this.pid);
  }

  onContainer(listener: (id: string) => void): void {
    this.containerListeners.push(listener);
  }

  get kilnPid(): number | undefined {
    return this.pid;
  }

  /** Resolves with the first (later) line matching `re`; rejects if kiln exits first or on timeout. */
  waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const waiter = {
        re,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no output line matched ${re} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.done.then(() => {
        if (this.waiters.includes(waiter)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          clearTimeout(timer);
          reject(new Error(`kiln exited before printing a line matching ${re}:\n${this.tail()}`));
        }
      });
    });
  }

  tail(lines = 25): string {
    return this.lines.slice(-lines).join("\n");
  }

  /** Sends a signal to the kiln process itself. */
  signal(signal: NodeJS.Signals): void {
    if (this.exited || this.pid === undefined) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Sends a signal to kiln's process group (needs `detached`), as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Ends the process if it is still running and waits for it. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.exited) {
      this.signal(signal);
      this.child.kill(signal);
    }
    await this.done.catch(() => undefined);
  }

  result(): Promise<KilnRun> {
    return this.done;
  }
}

export function describeRun(r: KilnRun): string {
  return `exit ${r.code ?? r.signal}\n--- output\n${r.output.split("\n").slice(-40).join("\n")}`;
}
