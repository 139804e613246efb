// A run killed while it held a cache key's lock leaves the lock file; the next run's leftover
// check (and kiln prune) removes it, and never a lock whose owner is alive.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { staleLocks } from "../../src/cache/locks.js";
import { findLeftovers, removeLeftovers } from "../../src/run/reconcile.js";

function lockDir(): { state: string; dir: string } {
  const state = mkdtempSync(join(tmpdir(), "kiln-locks-"));
  const dir = join(state, "cache", "locks");
  mkdirSync(dir, { recursive: true });
  return { state, dir };
}

/** A pid that no longer exists: a child that has exited. */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

describe("stale cache locks", () => {
  it("a lock whose owner is gone is a leftover, removed; a live owner's is not", async () => {
    const { state, dir } = lockDir();
    const dead = join(dir, "a".repeat(64) + ".lock");
    const live = join(dir, "b".repeat(64) + ".lock");
    writeFileSync(dead, JSON.stringify({ pid: deadPid(), host: hostname() }));
    writeFileSync(live, JSON.stringify({ pid: process.pid, host: hostname() }));
    assert.deepEqual(
      staleLocks(state).map((l) => l.path),
      [dead],
    );
    const leftovers = await findLeftovers([], state);
    assert.deepEqual(
      leftovers.map((l) => l.id),
      [dead],
    );
    await removeLeftovers(leftovers);
    assert.ok(!existsSync(dead));
    assert.ok(existsSync(live));
  });

  it("a lock from another host is not judged", () => {
    const { state, dir } = lockDir();
    writeFileSync(join(dir, "c".repeat(64) + ".lock"), JSON.stringify({ pid: deadPid(), host: "elsewhere" }));
    assert.deepEqual(staleLocks(state), []);
  });
});
