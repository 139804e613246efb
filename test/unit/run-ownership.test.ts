// Who owns a leftover, and whether that owner still runs: pid plus start time, never the command
// line (a program using kiln as a library does not mention kiln in its argv).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import {
  containerName,
  currentIdentity,
  keptContainerName,
  parseContainerName,
  processStartTime,
} from "../../src/core/ownership.js";
import { ownerLiveness } from "../../src/run/reconcile.js";

const here = hostname();

describe("container names", () => {
  it("carry run, pid, start time and host, and parse back", () => {
    const id = {
      runId: "0123abcd-0000-4000-8000-000000000000",
      pid: 4242,
      host: "build host",
      start: 987654,
    };
    const name = containerName(id, "docker.app");
    assert.match(name, /^kiln_0123abcd_4242\.987654_build-host_docker\.app_[0-9a-f]{6}$/);
    assert.deepEqual(parseContainerName(`/${name}`), {
      run: "0123abcd",
      pid: 4242,
      start: 987654,
      host: "build-host",
      kept: false,
    });
  });

  it("names from older kiln (no start time) still parse", () => {
    assert.deepEqual(parseContainerName("/kiln_0123abcd_4242_host_docker_a1b2c3"), {
      run: "0123abcd",
      pid: 4242,
      host: "host",
      kept: false,
    });
  });

  it("a kept container's name has the _kept suffix; user-given names are not kiln's", () => {
    const kept = keptContainerName("/kiln_0123abcd_4242.5_host_docker_a1b2c3");
    assert.equal(kept, "kiln_0123abcd_4242.5_host_docker_a1b2c3_kept");
    assert.equal(parseContainerName(kept)?.kept, true);
    assert.equal(keptContainerName(kept), kept, "idempotent");
    assert.equal(keptContainerName("/my-container"), undefined);
  });
});

describe("ownerLiveness", () => {
  it("this process, by its own identity, is alive", () => {
    const me = currentIdentity("x");
    assert.equal(typeof me.start, "number", "Linux has /proc");
    assert.equal(ownerLiveness(me), "alive");
  });

  it("a pid whose start time differs was reused: the owner is gone", () => {
    const me = currentIdentity("x");
    assert.equal(ownerLiveness({ ...me, start: me.start! - 1 }), "gone");
  });

  it("a live process whose argv does not mention kiln is alive (no command-line guessing)", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await new Promise((resolve) => child.once("spawn", resolve));
      const start = processStartTime(child.pid!);
      assert.equal(typeof start, "number");
      assert.equal(ownerLiveness({ pid: child.pid!, host: here, start }), "alive");
      assert.equal(ownerLiveness({ pid: child.pid!, host: here }), "alive", "no start time recorded");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a pid that does not exist is gone; another host's owner is never judged", () => {
    const child = spawn("true", { stdio: "ignore" });
    const pid = child.pid!;
    return new Promise<void>((resolve) =>
      child.on("close", () => {
        assert.equal(ownerLiveness({ pid, host: here, start: 1 }), "gone");
        assert.equal(ownerLiveness({ pid, host: here }), "gone");
        assert.equal(ownerLiveness({ pid: process.pid, host: "elsewhere-host" }), "other-host");
        assert.equal(processStartTime(pid), undefined);
        resolve();
      }),
    );
  });
});
