// Helpers for the ansible, ansible-local, shell-local and breakpoint integration tests.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "../harness/kiln.js";
import { demuxStream, dockerJson, dockerRequest, removeContainer } from "../harness/docker-api.js";
import { assertNoKilnLeftovers, countKilnObjects } from "../harness/leaks.js";

/** Seed 003's playbook (raw bootstrap play, redis role, cleanup play) and the image's run config. */
export const REDIS_FIXTURE = join(REPO_ROOT, "test/fixtures/ansible/redis");
export const REDIS_CHANGES = ['CMD ["redis-server", "/etc/redis/redis.conf"]', "USER redis", "EXPOSE 6379"];

/**
 * The engine-wide leak check, except for build containers of kiln processes that are still running
 * (their name carries the pid): all of this file's kiln runs have ended when it is called, so those
 * belong to someone else sharing the engine (a benchmark, another suite) and must not be removed.
 */
export async function assertNoLeftovers(context: string): Promise<void> {
  const { objects } = await countKilnObjects();
  const foreign = objects.filter((o) => {
    const pid = /\/kiln_[0-9a-f]+_(\d+)[._]/.exec(o.description)?.[1];
    if (o.kind !== "container" || pid === undefined) return false;
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch {
      return false;
    }
  });
  await assertNoKilnLeftovers({ baseline: new Set(foreign.map((o) => o.id)), context });
}

/** The build containers a run printed (`Container ID: …`). */
export function containerIds(output: string): string[] {
  return [...output.matchAll(/Container ID: ([0-9a-f]{64})/g)].map((m) => m[1]!);
}

/** Fails if any of the containers still exists. */
export async function assertContainersGone(ids: string[]): Promise<void> {
  for (const id of ids) {
    const res = await dockerRequest("GET", `/containers/${id}/json`);
    assert.equal(res.status, 404, `container ${id} still exists`);
  }
}

/** Every distinct command line seen in /proc while `run` is in progress. */
export async function sampleCommandLines<T>(
  run: () => Promise<T>,
  everyMs = 5,
): Promise<{ result: T; cmdlines: Set<string> }> {
  const cmdlines = new Set<string>();
  const sample = (): void => {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const text = readFileSync(`/proc/${pid}/cmdline`).toString("utf8").replace(/\0/g, " ").trim();
        if (text) cmdlines.add(text);
      } catch {
        // the process ended
      }
    }
  };
  const timer = setInterval(sample, everyMs);
  try {
    return { result: await run(), cmdlines };
  } finally {
    clearInterval(timer);
  }
}

interface HistoryEntry {
  Id: string;
  CreatedBy: string;
  Size: number;
}

/** The engine's history endpoint: newest layer first. */
export function imageHistory(ref: string): Promise<HistoryEntry[]> {
  return dockerJson<HistoryEntry[]>("GET", `/images/${encodeURIComponent(ref)}/history`);
}

/** Asserts `image` is `base` plus exactly one layer. */
export async function assertOneLayerOver(image: string, base: string): Promise<HistoryEntry> {
  const [mine, theirs] = [await imageHistory(image), await imageHistory(base)];
  assert.equal(mine.length, theirs.length + 1, `history of ${image}:\n${JSON.stringify(mine, null, 2)}`);
  assert.deepEqual(
    mine.slice(1).map((h) => h.Id),
    theirs.map((h) => h.Id),
  );
  return mine[0]!;
}

/** Runs the image with its own CMD and user, and returns what `redis-cli ping` answers in it. */
export async function redisPing(image: string): Promise<string> {
  const created = await dockerJson<{ Id: string }>("POST", "/containers/create", {
    body: { Image: image, Labels: { "kiln.test": "1" }, HostConfig: { NetworkMode: "none" } },
  });
  try {
    await dockerJson("POST", `/containers/${created.Id}/start`);
    let last = "";
    for (let i = 0; i < 50; i++) {
      const exec = await dockerJson<{ Id: string }>("POST", `/containers/${created.Id}/exec`, {
        body: { Cmd: ["redis-cli", "ping"], AttachStdout: true, AttachStderr: true },
      });
      const res = await dockerRequest("POST", `/exec/${exec.Id}/start`, {
        body: { Detach: false, Tty: false },
      });
      const { stdout, stderr } = demuxStream(res.body);
      last = (stdout + stderr).trim();
      if (last === "PONG") return last;
      await sleep(200);
    }
    const logs = await dockerRequest("GET", `/containers/${created.Id}/logs`, {
      query: { stdout: 1, stderr: 1 },
    });
    const { stdout, stderr } = demuxStream(logs.body);
    return `${last}\n--- container logs\n${stdout}${stderr}`;
  } finally {
    await removeContainer(created.Id);
  }
}

/** A find over the image for anything Ansible or kiln could have left behind. */
export const LEFTOVER_FIND =
  "find / -xdev \\( -name '*.pyc' -o -name __pycache__ -o -name '.ansible' -o -name '.ansible_async' -o -name 'ansible-tmp-*' " +
  "-o -name 'AnsiballZ*' -o -name '.kiln-*' -o -name 'packer-provisioner-ansible*' -o -name 'packer-extra-vars*' \\) -print 2>/dev/null; true";
