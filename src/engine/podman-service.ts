// Podman is daemonless: when no engine answers and `podman` is installed, kiln starts
// `podman system service` on a private socket for the length of its run. The service runs under a
// small shell watchdog that reads kiln's end of a pipe: however kiln ends (exit, signal, SIGKILL),
// the pipe closes, the watchdog stops the service and removes the socket directory, so nothing is
// left running.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

type Env = Record<string, string | undefined>;

// $1: the socket directory, removed last; the rest: the podman command. `cat` returns when kiln's
// end of stdin closes.
const WATCHDOG = [
  'dir="$1"; shift',
  '"$@" </dev/null 2>>"$dir/podman.log" & pid=$!',
  "cat >/dev/null",
  'kill -TERM "$pid" 2>/dev/null',
  'wait "$pid"',
  'rm -rf "$dir"',
].join("\n");

export interface PodmanService {
  socketPath: string;
  /** Stops the service and waits for it (and its watchdog) to exit. Idempotent. */
  stop(): Promise<void>;
}

/** The `podman` binary on PATH, if any. */
export function findPodman(env: Env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "podman");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Starts `podman system service --time=0 unix://<private socket>` and waits until `ready`
 * (a ping through the caller's transport) says it answers.
 */
export async function startPodmanService(
  podman: string,
  env: Env,
  ready: (socketPath: string) => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<PodmanService> {
  const base = env.XDG_RUNTIME_DIR || tmpdir();
  const dir = mkdtempSync(join(base, "kiln-podman-"));
  const socketPath = join(dir, "podman.sock");
  // Its own session: the terminal's Ctrl-C reaches kiln alone, which still needs the engine to
  // clean up before it stops the service.
  const child = spawn(
    "sh",
    [
      "-c",
      WATCHDOG,
      "kiln-podman-watchdog",
      dir,
      podman,
      "system",
      "service",
      "--time=0",
      `unix://${socketPath}`,
    ],
    { stdio: ["pipe", "ignore", "ignore"], detached: true, env },
  );
  // The pipe must not keep kiln's event loop alive, nor its end be inherited by anything else.
  child.unref();
  (child.stdin as unknown as { unref(): void } | null)?.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on("exit", () => {
      exited = true;
      resolve();
    }),
  );
  child.on("error", () => (exited = true));

  const stop = once(async () => {
    child.stdin?.end();
    await Promise.race([exit, sleep(15_000)]);
    if (!exited) killGroup(child, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  const deadline = Date.now() + timeoutMs;
  while (!(await ready(socketPath))) {
    if (exited || Date.now() > deadline) {
      const log = readLog(join(dir, "podman.log"));
      await stop();
      const why = exited ? "exited" : `did not answer within ${timeoutMs / 1000} s`;
      throw new Error(`podman system service ${why}${log ? `: ${log}` : ""}`);
    }
    await sleep(100);
  }
  return { socketPath, stop };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-5).join(" / ");
  } catch {
    return "";
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
