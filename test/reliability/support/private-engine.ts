// A private dockerd for engine-fault scenarios: its own socket, data root, exec root and pidfile,
// started inside its own network namespace (never --bridge=none in the host namespace, and never
// the shared dockerd), so that it can be SIGKILLed and restarted without touching anything else.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureBusyboxImage } from "../../harness/base-images.js";
import type { DockerEndpoint } from "../../harness/docker-api.js";
import {
  childrenOf,
  ensureEngine,
  isRunning,
  stopEngine,
  type DockerdOptions,
  type EngineHandle,
} from "../../harness/engine.js";

export interface PrivateEngine {
  readonly endpoint: DockerEndpoint;
  readonly dockerHost: string;
  start(): Promise<void>;
  /** SIGKILL, as a crash (or an OOM kill) would. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

/** Processes whose command line mentions `dir` (dockerd, its containerd, shims): all started by us. */
function processesUsing(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(dir)) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/** Synchronous so that the endpoint is known when scenarios are declared; `start()` starts it. */
export function privateEngine(): PrivateEngine {
  // Short: unix socket paths are limited to 107 bytes.
  const dir = mkdtempSync("/tmp/kiln-rel-engine-");
  const netns = `kilnrel-${process.pid}`;
  const options: DockerdOptions = {
    socketPath: path.join(dir, "d.sock"),
    dataRoot: path.join(dir, "data"),
    execRoot: path.join(dir, "x"),
    pidfile: path.join(dir, "d.pid"),
    netns,
    extraArgs: ["--iptables=false", "--ip-masq=false", "--storage-driver=vfs"],
  };
  const endpoint: DockerEndpoint = { kind: "unix", socketPath: options.socketPath! };
  let handle: EngineHandle | undefined;
  let netnsCreated = false;
  const logDirs: string[] = [];

  const start = async (): Promise<void> => {
    if (!netnsCreated) {
      execFileSync("ip", ["netns", "add", netns]);
      netnsCreated = true;
      execFileSync("ip", ["netns", "exec", netns, "ip", "link", "set", "lo", "up"]);
    }
    // dockerd 20.10 refuses to start over a stale pidfile ("pid file found"), and would wait for
    // a containerd whose pid (now perhaps a zombie) its pidfile names.
    rmSync(options.pidfile!, { force: true });
    rmSync(path.join(options.execRoot!, "containerd", "containerd.pid"), { force: true });
    handle = await ensureEngine({ env: {}, dockerd: options, startTimeoutMs: 60_000 });
    if (handle.started) logDirs.push(handle.started.logDir);
    await ensureBusyboxImage(endpoint);
  };

  return {
    endpoint,
    dockerHost: `unix://${options.socketPath}`,
    start,
    async kill() {
      const pid = handle?.started?.pid;
      if (pid === undefined) throw new Error("the private engine was not started here");
      // The whole engine dies (dockerd and its containerd); container shims live on, as they do.
      const victims = [pid, ...childrenOf(pid)];
      for (const victim of victims) process.kill(victim, "SIGKILL");
      for (let i = 0; i < 200 && victims.some(isRunning); i++) await sleep(25);
    },
    async close() {
      if (handle?.started) await stopEngine(handle.started);
      for (const pid of processesUsing(dir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      for (let i = 0; i < 100 && processesUsing(dir).length > 0; i++) await sleep(50);
      rmSync(dir, { recursive: true, force: true });
      for (const d of logDirs) rmSync(d, { recursive: true, force: true });
      if (netnsCreated) execFileSync("ip", ["netns", "del", netns]);
    },
  };
}
