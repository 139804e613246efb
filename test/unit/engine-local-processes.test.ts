import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { localProcessCount } from "../../src/engine/local-processes.js";

// A fake filesystem root with /proc/PID/cgroup and /sys/fs/cgroup trees, as cgroup v1 (Debian 12's
// hybrid layout on this machine kind) and cgroup v2 lay them out.
const ID = "9781832310".padEnd(64, "a");
const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function fakeRoot(membership: string, procs: Record<string, number[]>): string {
  const root = mkdtempSync(join(tmpdir(), "kiln-cgroup-"));
  roots.push(root);
  mkdirSync(join(root, "proc/6219"), { recursive: true });
  writeFileSync(join(root, "proc/6219/cgroup"), membership);
  for (const [dir, pids] of Object.entries(procs)) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, "cgroup.procs"), pids.map((p) => `${p}\n`).join(""));
  }
  return root;
}

describe("counting a container's processes from its cgroup", () => {
  it("cgroup v1: the pids hierarchy", () => {
    const root = fakeRoot(`8:pids:/docker/${ID}\n4:memory:/docker/${ID}\n0::/docker/${ID}\n`, {
      [`sys/fs/cgroup/pids/docker/${ID}`]: [6219, 6300],
    });
    assert.equal(localProcessCount(ID, 6219, root), 2);
  });

  it("cgroup v2, systemd driver, with a nested cgroup (systemd inside the container)", () => {
    const dir = `sys/fs/cgroup/system.slice/docker-${ID}.scope`;
    const root = fakeRoot(`0::/system.slice/docker-${ID}.scope\n`, {
      [dir]: [6219],
      [`${dir}/init.scope`]: [6301, 6302],
    });
    assert.equal(localProcessCount(ID, 6219, root), 3);
  });

  it("the idle shell alone counts one", () => {
    const root = fakeRoot(`0::/libpod_parent/libpod-${ID}\n`, {
      [`sys/fs/cgroup/libpod_parent/libpod-${ID}`]: [6219],
    });
    assert.equal(localProcessCount(ID, 6219, root), 1);
  });

  it("undefined when the process's cgroup is not the container's (a remote engine, another PID namespace)", () => {
    const root = fakeRoot("0::/user.slice/session-1.scope\n", {
      "sys/fs/cgroup/user.slice/session-1.scope": [6219],
    });
    assert.equal(localProcessCount(ID, 6219, root), undefined);
  });

  it("undefined when the main process is not among the cgroup's processes", () => {
    const root = fakeRoot(`0::/docker/${ID}\n`, { [`sys/fs/cgroup/docker/${ID}`]: [7000] });
    assert.equal(localProcessCount(ID, 6219, root), undefined);
  });

  it("undefined when /proc has no such process, or the cgroup files cannot be read", () => {
    const root = fakeRoot(`0::/docker/${ID}\n`, {});
    assert.equal(localProcessCount(ID, 6219, root), undefined);
    assert.equal(localProcessCount(ID, 4242, root), undefined);
  });

  it("undefined for anything but a full container ID and a real PID", () => {
    const root = fakeRoot(`0::/docker/${ID}\n`, { [`sys/fs/cgroup/docker/${ID}`]: [6219] });
    assert.equal(localProcessCount(ID.slice(0, 12), 6219, root), undefined);
    assert.equal(localProcessCount(ID, 0, root), undefined);
  });
});
