// Podman as the engine under test (KILN_TEST_ENGINE=podman): `podman system service` on a private
// socket, with its own containers.conf (CONTAINERS_CONF), storage root and runroot, so nothing
// touches the machine's Podman state. The storage persists between runs (like the dockerd
// data-root), so the base images are built once.
//
// This machine kind needs two settings in containers.conf: `runtime = "runc"` (Debian 12's crun
// 1.8.1 refuses this cgroup v1 host) and no default ulimits (Podman's defaults are above this
// host's hard limits, so every container start fails with "setrlimit ... operation not permitted").
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ping } from "./docker-api.js";

export const PODMAN_BIN = "/usr/bin/podman";

export interface PodmanPaths {
  root: string;
  conf: string;
  storage: string;
  runroot: string;
  socketPath: string;
  logFile: string;
}

export function podmanPaths(env: NodeJS.ProcessEnv = process.env): PodmanPaths {
  const root = env.KILN_TEST_PODMAN_ROOT || "/var/lib/kiln-test-podman";
  const run = env.KILN_TEST_PODMAN_RUN || "/run/kiln-test-podman";
  return {
    root,
    conf: path.join(root, "containers.conf"),
    storage: path.join(root, "storage"),
    runroot: path.join(run, "runroot"),
    socketPath: path.join(run, "podman.sock"),
    logFile: path.join(run, "service.log"),
  };
}

/** What a user of this machine kind needs in containers.conf (docs/engines.md says the same). */
export const CONTAINERS_CONF = `[containers]
default_ulimits = []

[engine]
runtime = "runc"
`;

/** The global flags that keep Podman on the private storage. */
export function podmanGlobalArgs(paths: PodmanPaths): string[] {
  return ["--root", paths.storage, "--runroot", paths.runroot, "--storage-driver", "overlay"];
}

/** Starts the service (or reuses one answering on the private socket); returns the variables to export. */
export async function startPodmanService(
  log: (message: string) => void,
): Promise<{ dockerHost: string; env: Record<string, string>; pid?: number }> {
  if (!existsSync(PODMAN_BIN)) throw new Error(`${PODMAN_BIN} is missing: apt-get install podman`);
  const paths = podmanPaths();
  mkdirSync(paths.root, { recursive: true });
  mkdirSync(path.dirname(paths.socketPath), { recursive: true });
  writeFileSync(paths.conf, CONTAINERS_CONF);
  const dockerHost = `unix://${paths.socketPath}`;
  const env = { CONTAINERS_CONF: paths.conf };
  const endpoint = { kind: "unix" as const, socketPath: paths.socketPath };
  if (await ping(endpoint)) {
    log(`using the Podman service already answering at ${dockerHost}`);
    return { dockerHost, env };
  }
  const out = openSync(paths.logFile, "a");
  const child = spawn(PODMAN_BIN, [...podmanGlobalArgs(paths), "system", "service", "--time=0", dockerHost], {
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, ...env },
  });
  closeSync(out);
  child.unref();
  let exited: string | undefined;
  child.on("exit", (code, signal) => (exited = `exited with ${signal ?? code}`));
  const deadline = Date.now() + 30_000;
  while (!(await ping(endpoint, 1000))) {
    if (exited !== undefined || Date.now() > deadline) {
      const tail = readFileSync(paths.logFile, "utf8").split("\n").slice(-20).join("\n");
      if (child.pid !== undefined && exited === undefined) process.kill(child.pid, "SIGTERM");
      throw new Error(`podman system service ${exited ?? "did not answer in 30 s"}:\n${tail}`);
    }
    await sleep(200);
  }
  log(`started podman system service (pid ${child.pid ?? "?"}) at ${dockerHost}`);
  return { dockerHost, env, ...(child.pid !== undefined ? { pid: child.pid } : {}) };
}
