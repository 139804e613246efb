// Finds the Docker engine the tests use, or starts Debian's dockerd when none answers, and stops
// only a dockerd that it started itself.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DockerEndpoint } from "./docker-api.js";
import { DEFAULT_SOCKET, formatDockerHost, parseDockerHost, ping } from "./docker-api.js";

export interface EngineHandle {
  endpoint: DockerEndpoint;
  /** The DOCKER_HOST value to export to the tests. */
  dockerHost: string;
  /** Set when this harness started the dockerd (and so must stop it). */
  started?: { pid: number; logDir: string };
}

export interface DockerdOptions {
  /** Socket the started dockerd listens on; also the socket probed instead of the default one. */
  socketPath?: string;
  dataRoot?: string;
  execRoot?: string;
  pidfile?: string;
  /** Run dockerd inside this network namespace (`ip netns exec NAME dockerd …`). */
  netns?: string;
  extraArgs?: string[];
  /** Another dockerd than the one on PATH (the engine matrix's dockerd 26). */
  binary?: string;
  /** Directories put first on dockerd's PATH (its containerd, shims, docker-init). */
  pathPrefix?: string[];
}

export interface EnsureEngineOptions {
  env?: NodeJS.ProcessEnv;
  /** When false, fail instead of starting a dockerd. Default true. */
  allowStart?: boolean;
  dockerd?: DockerdOptions;
  startTimeoutMs?: number;
  log?: (message: string) => void;
}

/** dockerd options from KILN_TEST_DOCKERD_{SOCKET,DATA_ROOT,EXEC_ROOT,PIDFILE,NETNS}. */
export function dockerdOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DockerdOptions {
  const pick = (name: string): string | undefined => {
    const value = env[`KILN_TEST_DOCKERD_${name}`];
    return value === undefined || value === "" ? undefined : value;
  };
  return {
    socketPath: pick("SOCKET"),
    dataRoot: pick("DATA_ROOT"),
    execRoot: pick("EXEC_ROOT"),
    pidfile: pick("PIDFILE"),
    netns: pick("NETNS"),
  };
}

/** The engines to probe, in order: DOCKER_HOST, then the (configured or default) local socket. */
export function engineCandidates(env: NodeJS.ProcessEnv, dockerd: DockerdOptions): DockerEndpoint[] {
  const candidates: DockerEndpoint[] = [];
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost !== undefined && dockerHost !== "") candidates.push(parseDockerHost(dockerHost, env));
  const socketPath = dockerd.socketPath ?? DEFAULT_SOCKET;
  if (!candidates.some((c) => c.kind === "unix" && c.socketPath === socketPath)) {
    candidates.push({ kind: "unix", socketPath });
  }
  return candidates;
}

export async function ensureEngine(opts: EnsureEngineOptions = {}): Promise<EngineHandle> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const dockerd = opts.dockerd ?? dockerdOptionsFromEnv(env);
  const candidates = engineCandidates(env, dockerd);
  for (const endpoint of candidates) {
    if (await ping(endpoint)) {
      log(`using the engine already answering at ${formatDockerHost(endpoint)}`);
      return { endpoint, dockerHost: formatDockerHost(endpoint) };
    }
  }
  const tried = candidates.map(formatDockerHost).join(", ");
  if (opts.allowStart === false) {
    throw new Error(`no Docker engine answers at ${tried}; run the tests through \`node scripts/test.mjs\``);
  }
  log(`no engine answers at ${tried}: starting dockerd`);
  return startDockerd(dockerd, opts.startTimeoutMs ?? 60_000, log);
}

export function dockerdArgs(options: DockerdOptions): string[] {
  const args = [`--host=unix://${options.socketPath ?? DEFAULT_SOCKET}`];
  if (options.dataRoot !== undefined) args.push(`--data-root=${options.dataRoot}`);
  if (options.execRoot !== undefined) args.push(`--exec-root=${options.execRoot}`);
  if (options.pidfile !== undefined) args.push(`--pidfile=${options.pidfile}`);
  args.push(...(options.extraArgs ?? []));
  // Without a bridge, containers get the host's network stack; in the host namespace that lets a
  // test container tamper with the machine's own network. Only acceptable inside a private netns.
  if (options.netns === undefined && /(^| )(--bridge|-b)[= ]none( |$)/.test(args.join(" "))) {
    throw new Error("refusing to start dockerd with --bridge=none in the host network namespace");
  }
  return args;
}

const NETNS_PRELUDE = 'cgroupfs-mount >/dev/null 2>&1 || true; exec "$0" "$@"';

function findDockerd(): string {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin", "/sbin"])) {
    if (dir !== "" && existsSync(path.join(dir, "dockerd"))) return path.join(dir, "dockerd");
  }
  throw new Error(
    "dockerd is not installed: `apt-get install docker.io` (or set DOCKER_HOST to a running engine)",
  );
}

function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export async function startDockerd(
  options: DockerdOptions,
  timeoutMs: number,
  log: (m: string) => void,
): Promise<EngineHandle> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "no Docker engine answers and starting dockerd needs root: start one, or set DOCKER_HOST",
    );
  }
  const binary = options.binary ?? findDockerd();
  const args = dockerdArgs(options);
  const socketPath = options.socketPath ?? DEFAULT_SOCKET;
  const pidfile = options.pidfile ?? "/var/run/docker.pid";
  const logDir = mkdtempSync(path.join(os.tmpdir(), "kiln-test-dockerd-"));
  const logFile = path.join(logDir, "dockerd.log");
  const logFd = openSync(logFile, "a");
  // `ip netns exec` remounts /sys in a private mount namespace, which hides the cgroup mounts that
  // dockerd needs: remount them there (cgroupfs-mount comes with docker.io), then exec dockerd.
  const [command, commandArgs] =
    options.netns === undefined
      ? [binary, args]
      : ["ip", ["netns", "exec", options.netns, "sh", "-c", NETNS_PRELUDE, binary, ...args]];
  // Detached with its own stdio, so it outlives this setup process and does not hold its pipes open.
  const env = options.pathPrefix
    ? { ...process.env, PATH: [...options.pathPrefix, process.env.PATH ?? ""].join(":") }
    : process.env;
  const child = spawn(command, commandArgs, { detached: true, stdio: ["ignore", logFd, logFd], env });
  closeSync(logFd);
  let exited: string | undefined;
  child.on("exit", (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.on("error", (err) => (exited = `failed to start: ${err.message}`));
  child.unref();
  log(`started ${command} ${commandArgs.join(" ")} (pid ${child.pid ?? "?"}, log ${logFile})`);

  const endpoint: DockerEndpoint = { kind: "unix", socketPath };
  const deadline = Date.now() + timeoutMs;
  while (!(await ping(endpoint, 1000))) {
    if (exited !== undefined || Date.now() > deadline) {
      const reason = exited ?? `did not answer /_ping within ${timeoutMs / 1000} s`;
      if (exited === undefined && child.pid !== undefined) await stopProcess(child.pid, log);
      const tail = logTail(logFile);
      rmSync(logDir, { recursive: true, force: true });
      throw new Error(`dockerd ${reason}; the last lines of its log:\n${tail}`);
    }
    await sleep(250);
  }
  let pid = child.pid ?? 0;
  try {
    pid = Number(readFileSync(pidfile, "utf8").trim()) || pid;
  } catch {
    // no pidfile: keep the spawned pid (`ip netns exec` execs dockerd in place, so it is the same)
  }
  return { endpoint, dockerHost: formatDockerHost(endpoint), started: { pid, logDir } };
}

/** Whether the process exists and is not a zombie (a detached dockerd may be reaped late by init). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return children;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

export async function stopProcess(pid: number, log: (m: string) => void): Promise<void> {
  const children = childrenOf(pid); // its managed containerd, if still there after dockerd goes
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  if (!(await waitForExit(pid, 30_000))) {
    log(`dockerd (pid ${pid}) ignored SIGTERM for 30 s: sending SIGKILL`);
    process.kill(pid, "SIGKILL");
    await waitForExit(pid, 5_000);
  }
  for (const child of children.filter(isRunning)) {
    log(`stopping leftover child ${child} of dockerd`);
    try {
      process.kill(child, "SIGTERM");
    } catch {
      // already gone
    }
    await waitForExit(child, 10_000);
  }
}

/** Stops a dockerd that ensureEngine started (SIGTERM, then wait); a no-op for an engine it found running. */
export async function stopEngine(
  started: { pid: number; logDir: string } | undefined,
  log: (message: string) => void = () => {},
): Promise<void> {
  if (started === undefined) return;
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${started.pid}/cmdline`, "utf8");
  } catch {
    // already gone
  }
  if (cmdline.includes("dockerd")) {
    log(`stopping the dockerd this harness started (pid ${started.pid})`);
    await stopProcess(started.pid, log);
  } else if (cmdline !== "") {
    log(`pid ${started.pid} is no longer a dockerd; leaving it alone`);
  }
  rmSync(started.logDir, { recursive: true, force: true });
}
