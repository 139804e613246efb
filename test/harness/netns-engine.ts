// A second dockerd for multi-engine tests, in a network namespace of its own created here: a veth
// pair links it to the test's namespace (10.250.N.1 on the test's side, .2 on the engine's), so
// its daemon reaches a registry listening on 10.250.N.1 and nothing else. It is started with
// `nsenter --net` (not `ip netns exec`, whose private /sys hides the cgroup mounts). kill() is
// the lost-engine case (SIGKILL, no cleanup); close() starts it again when needed so that it
// removes its own containers and mounts, stops it, and removes the namespace and its data.
import { spawn, execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { formatDockerHost, ping, type DockerEndpoint } from "./docker-api.js";
import { dockerdArgs, isRunning, stopProcess } from "./engine.js";

export interface NetnsEngine {
  endpoint: DockerEndpoint;
  dockerHost: string;
  /** This (the test's) namespace's address on the link: where the engine reaches a registry. */
  hostAddress: string;
  pid(): number;
  /** SIGKILL to dockerd: the engine is lost (its containerd stays until close()). */
  kill(): void;
  close(): Promise<void>;
}

const run = (cmd: string, args: string[]): void => {
  execFileSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
};

export async function startNetnsEngine(log: (m: string) => void = () => {}): Promise<NetnsEngine> {
  if (process.getuid?.() !== 0) throw new Error("a second engine in its own network namespace needs root");
  const id = randomBytes(3).toString("hex");
  const ns = `kiln-t-${id}`;
  const here = `kt${id}a`;
  const there = `kt${id}b`;
  const subnet = `10.250.${randomBytes(1)[0]! % 250}`;
  const dir = `/run/kiln-test-${ns}`;
  const dataRoot = `/var/lib/kiln-test-${ns}`;
  mkdirSync(dir, { recursive: true });
  const socketPath = path.join(dir, "docker.sock");
  const pidfile = path.join(dir, "dockerd.pid");
  const args = dockerdArgs({ socketPath, dataRoot, execRoot: path.join(dir, "exec"), pidfile, netns: ns });
  const endpoint: DockerEndpoint = { kind: "unix", socketPath };
  const logFile = path.join(dir, "dockerd.log");
  let pid = 0;

  const start = async (): Promise<void> => {
    const fd = openSync(logFile, "a");
    const child = spawn(
      "nsenter",
      [
        `--net=/var/run/netns/${ns}`,
        "--",
        "sh",
        "-c",
        'cgroupfs-mount >/dev/null 2>&1 || true; exec "$0" "$@"',
        "dockerd",
        ...args,
      ],
      { detached: true, stdio: ["ignore", fd, fd] },
    );
    closeSync(fd);
    child.unref();
    pid = child.pid ?? 0;
    const deadline = Date.now() + 60_000;
    while (!(await ping(endpoint, 1000))) {
      if (!isRunning(pid) || Date.now() > deadline) {
        throw new Error(
          `the second dockerd did not start; its log:\n${readFileSync(logFile, "utf8").slice(-3000)}`,
        );
      }
      await sleep(250);
    }
    log(`second engine up at unix://${socketPath} in netns ${ns} (pid ${pid})`);
  };

  run("ip", ["netns", "add", ns]);
  try {
    run("ip", ["link", "add", here, "type", "veth", "peer", "name", there]);
    run("ip", ["link", "set", there, "netns", ns]);
    run("ip", ["addr", "add", `${subnet}.1/30`, "dev", here]);
    run("ip", ["link", "set", here, "up"]);
    const inNs = (...a: string[]) => run("nsenter", [`--net=/var/run/netns/${ns}`, "--", "ip", ...a]);
    inNs("addr", "add", `${subnet}.2/30`, "dev", there);
    inNs("link", "set", there, "up");
    inNs("link", "set", "lo", "up");
    inNs("route", "add", "default", "via", `${subnet}.1`);
    await start();
  } catch (e) {
    await teardown();
    throw e;
  }

  async function teardown(): Promise<void> {
    // stopProcess also stops the containerd that dockerd started.
    if (pid !== 0 && isRunning(pid)) await stopProcess(pid, log);
    try {
      run("ip", ["link", "del", here]);
    } catch {
      // gone with the namespace already
    }
    try {
      run("ip", ["netns", "del", ns]);
    } catch {
      // not created
    }
    // dockerd mounts its data root on itself (and overlays below it) and may leave that behind.
    try {
      run("umount", ["-R", dataRoot]);
    } catch {
      // not mounted
    }
    rmSync(dataRoot, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }

  return {
    endpoint,
    dockerHost: formatDockerHost(endpoint),
    hostAddress: `${subnet}.1`,
    pid: () => pid,
    kill: () => process.kill(pid, "SIGKILL"),
    close: async () => {
      // Started again so that it stops its containers and unmounts its layers itself.
      if (!isRunning(pid))
        await start().catch((e: unknown) => log(`restart before cleanup failed: ${String(e)}`));
      await teardown();
    },
  };
}
