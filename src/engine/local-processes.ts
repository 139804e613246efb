// Counting a container's processes from its cgroup, when the engine runs on this machine.
//
// `docker top` asks the daemon, which lists the container cgroup's processes and then runs `ps`
// on the host to describe them: 70–90 ms on dockerd 20.10 here, once per cached step (the
// snapshot's busy check, builders/docker/session.ts). Only the count is wanted, and the cgroup's
// `cgroup.procs` files hold it. This applies only when the container's main process is visible in
// this machine's /proc and its cgroup path names the container's full ID (so a remote engine, or
// another PID namespace where the number belongs to some other process, never matches); otherwise
// the caller asks the engine.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The number of processes in the cgroup of container `id` (its full ID) whose main process is
 * `pid`, or undefined when this machine cannot tell. `root` is the filesystem root (tests).
 */
export function localProcessCount(id: string, pid: number, root = "/"): number | undefined {
  if (!/^[0-9a-f]{64}$/.test(id) || !Number.isInteger(pid) || pid <= 0) return undefined;
  let membership: string;
  try {
    membership = readFileSync(join(root, "proc", String(pid), "cgroup"), "utf8");
  } catch {
    return undefined;
  }
  for (const dir of cgroupDirs(membership, root)) {
    if (!dir.includes(id)) continue;
    const pids = procsUnder(dir);
    // The main process must be among them: otherwise this is not the container's cgroup.
    if (pids?.has(pid)) return pids.size;
  }
  return undefined;
}

/** Where the process's cgroup lives: the pids hierarchy (cgroup v1) first, then the unified one. */
function cgroupDirs(membership: string, root: string): string[] {
  const dirs: string[] = [];
  const unified: string[] = [];
  for (const line of membership.split("\n")) {
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!match) continue;
    const [, hierarchy, controllers, path] = match as unknown as [string, string, string, string];
    if (hierarchy === "0" && controllers === "") {
      unified.push(join(root, "sys/fs/cgroup", path), join(root, "sys/fs/cgroup/unified", path));
    } else if (controllers.split(",").includes("pids")) {
      dirs.push(join(root, "sys/fs/cgroup/pids", path));
    }
  }
  return [...dirs, ...unified];
}

/** The process IDs in `dir`'s cgroup and its descendants (systemd in a container nests them). */
function procsUnder(dir: string): Set<number> | undefined {
  const found = new Set<number>();
  const visit = (at: string, top: boolean): boolean => {
    let text: string;
    try {
      text = readFileSync(join(at, "cgroup.procs"), "utf8");
    } catch {
      return !top;
    }
    for (const line of text.split("\n")) if (line.trim()) found.add(Number(line));
    let entries: string[] = [];
    try {
      entries = readdirSync(at, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      // A cgroup removed meanwhile: what was read stands.
    }
    for (const name of entries) visit(join(at, name), false);
    return true;
  };
  return visit(dir, true) ? found : undefined;
}
