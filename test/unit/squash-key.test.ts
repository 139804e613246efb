// docker-squash's cache key takes an image's Env as the container sees it: Podman 4.3's commit
// lists the variables it adds in another order from one commit to the next (the squash cache then
// missed on an unchanged rebuild in CI), while a later setting of a name still overrides an earlier one.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { effectiveEnv } from "../../src/post-processors/squash/squash.js";

describe("effectiveEnv", () => {
  it("the same variables in another order give the same list", () => {
    const a = ["container=podman", "PATH=/usr/bin:/bin", "TERM=xterm", "SQUASHED=yes"];
    const b = ["PATH=/usr/bin:/bin", "TERM=xterm", "container=podman", "SQUASHED=yes"];
    assert.deepEqual(effectiveEnv(a), effectiveEnv(b));
    assert.deepEqual(effectiveEnv(a), [
      "PATH=/usr/bin:/bin",
      "SQUASHED=yes",
      "TERM=xterm",
      "container=podman",
    ]);
  });

  it("the last setting of a name wins, so a different override gives a different list", () => {
    assert.deepEqual(effectiveEnv(["A=1", "B=2", "A=3"]), ["A=3", "B=2"]);
    assert.notDeepEqual(effectiveEnv(["A=1", "A=2"]), effectiveEnv(["A=2", "A=1"]));
  });

  it("a value with '=' and a name without a value are kept whole", () => {
    assert.deepEqual(effectiveEnv(["OPTS=a=b", "EMPTY"]), ["EMPTY", "OPTS=a=b"]);
  });
});
