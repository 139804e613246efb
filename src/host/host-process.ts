// Runs a program on the host for shell-local and ansible: output streamed line by line, values
// passed in the environment (never spliced into argv), cancellation that takes the whole process
// tree down (ansible-playbook starts `docker exec` children of its own).
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { LineSplitter } from "../core/line-splitter.js";
import { BuildError } from "../core/errors.js";

export interface HostProcessOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  signal: AbortSignal;
  onStdout: (line: string) => void;
  onStderr: (line: string) => void;
  /** How the program is named in errors, e.g. `shell-local` or `ansible-playbook`. */
  what?: string;
}

export interface HostProcessResult {
  /** The exit code, or undefined when the process was killed by a signal. */
  code: number | undefined;
  signal: NodeJS.Signals | undefined;
}

/** Grace period between SIGTERM and SIGKILL when a build is cancelled. */
const KILL_AFTER_MS = 5000;

export function runHostProcess(
  file: string,
  args: readonly string[],
  opts: HostProcessOptions,
): Promise<HostProcessResult> {
  opts.signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    // Its own process group, so that cancelling also stops the grandchildren.
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const out = new LineSplitter(opts.onStdout);
    const err = new LineSplitter(opts.onStderr);
    child.stdout.on("data", (c: Buffer) => out.write(c));
    child.stderr.on("data", (c: Buffer) => err.write(c));
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => {
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), KILL_AFTER_MS);
      killTimer.unref();
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });
    const done = (): void => {
      opts.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
    };
    child.on("error", (e: NodeJS.ErrnoException) => {
      done();
      const name = opts.what ?? file;
      if (e.code === "ENOENT") {
        reject(
          new BuildError(
            `${name}: ${JSON.stringify(file)} was not found on this machine (not on PATH or no such file)`,
            { cause: e },
          ),
        );
      } else if (e.code === "EACCES") {
        reject(
          new BuildError(`${name}: ${JSON.stringify(file)} is not executable (permission denied)`, {
            cause: e,
          }),
        );
      } else {
        reject(new BuildError(`${name}: cannot run ${JSON.stringify(file)}: ${e.message}`, { cause: e }));
      }
    });
    child.on("close", (code, sig) => {
      done();
      out.flush();
      err.flush();
      if (opts.signal.aborted) {
        reject(opts.signal.reason instanceof Error ? opts.signal.reason : new BuildError("cancelled"));
        return;
      }
      resolve({ code: code ?? undefined, signal: sig ?? undefined });
    });
  });
}

/** Finds an executable on PATH (or checks a path with a slash), as the shell would. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const candidates = name.includes("/")
    ? [name]
    : (env.PATH ?? "")
        .split(":")
        .filter(Boolean)
        .map((d) => join(d, name));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Quotes an argument for display (and for `sh -c` where noted) only when it needs it. */
export function shellQuote(arg: string): string {
  if (arg !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'"'"'`)}'`;
}
