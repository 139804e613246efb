// One run at a time per cache key on this host: two runs that reach the same missing step at once
// do not both run it and race to tag it; the second waits and then finds the first one's entry.
// A lock file holds its owner's pid and process start time, so a lock left by a killed run (or a
// reused pid) is recognised as stale and taken over.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { processStartTime } from "../core/ownership.js";

interface LockOwner {
  pid: number;
  start?: number;
  host: string;
}

function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // another host's run: not ours to judge
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return owner.start === undefined || processStartTime(owner.pid) === owner.start;
}

export class KeyLocks {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "cache", "locks");
  }

  /** Waits until this process holds the key's lock; returns its release. */
  async acquire(key: string, signal: AbortSignal): Promise<() => void> {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${key}.lock`);
    const me: LockOwner = { pid: process.pid, start: processStartTime(process.pid), host: hostname() };
    for (;;) {
      signal.throwIfAborted();
      try {
        const fd = openSync(file, "wx", 0o600);
        writeSync(fd, JSON.stringify(me));
        closeSync(fd);
        return () => rmSync(file, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      let owner: LockOwner | undefined;
      try {
        owner = JSON.parse(readFileSync(file, "utf8")) as LockOwner;
      } catch {
        owner = undefined; // being written, or just removed: look again
      }
      if (owner && !alive(owner)) {
        rmSync(file, { force: true });
        continue;
      }
      await sleep(100, undefined, { signal });
    }
  }
}

/** Lock files whose owner is gone (a run killed while it held them): leftovers for reconcile. */
export function staleLocks(stateDir: string): { path: string; pid: number }[] {
  const dir = join(stateDir, "cache", "locks");
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stale: { path: string; pid: number }[] = [];
  for (const name of names) {
    if (!name.endsWith(".lock")) continue;
    const path = join(dir, name);
    try {
      const owner = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
      if (!alive(owner)) stale.push({ path, pid: owner.pid });
    } catch {
      // being written or removed by its owner right now: not stale
    }
  }
  return stale;
}
