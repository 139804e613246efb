import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePathStat, isDirectoryMode, isSymlinkMode, toUnixMode } from "../../src/engine/archive-stat.js";
import { EngineError } from "../../src/engine/errors.js";

// Go os.FileMode values as dockerd sends them in X-Docker-Container-Path-Stat.
const GO_DIR_0755 = 2 ** 31 + 0o755;
const GO_SYMLINK_0777 = 2 ** 27 + 0o777;
const GO_STICKY_DIR_1777 = 2 ** 31 + 2 ** 20 + 0o777;
const GO_SETUID_FILE_4755 = 2 ** 23 + 0o755;

describe("path stat header", () => {
  it("decodes the base64 JSON header", () => {
    const stat = {
      name: "tmp",
      size: 4096,
      mode: GO_DIR_0755,
      mtime: "2024-05-01T10:00:00Z",
      linkTarget: "",
    };
    const header = Buffer.from(JSON.stringify(stat)).toString("base64");
    assert.deepEqual(decodePathStat(header, "stat /tmp"), stat);
    assert.deepEqual(decodePathStat([header], "stat /tmp"), stat);
  });

  it("fails clearly on a missing or garbled header", () => {
    assert.throws(
      () => decodePathStat(undefined, "stat /x"),
      (e: unknown) => e instanceof EngineError && e.kind === "server",
    );
    assert.throws(() => decodePathStat("!!!", "stat /x"), /unreadable path stat header/);
  });

  it("reads Go file modes", () => {
    assert.equal(isDirectoryMode(GO_DIR_0755), true);
    assert.equal(isDirectoryMode(0o644), false);
    assert.equal(isSymlinkMode(GO_SYMLINK_0777), true);
    assert.equal(toUnixMode(GO_DIR_0755), 0o40755);
    assert.equal(toUnixMode(GO_SYMLINK_0777), 0o120777);
    assert.equal(toUnixMode(0o644), 0o100644);
    assert.equal(toUnixMode(GO_STICKY_DIR_1777), 0o41777);
    assert.equal(toUnixMode(GO_SETUID_FILE_4755), 0o104755);
  });
});
