// `--debug` promises stack traces: with it, an internal error (a bug: not a build failure kiln
// explains) prints its stack and its causes; without it, never a stack. The bug is injected by a
// module preloaded into the kiln process (NODE_OPTIONS=--import), which makes a Node API throw.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, BUSYBOX, describeRun, removeProduced } from "./support/build.js";
import { runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

/** A stack frame, as printed alone or after a build's `==> docker:` prefix. */
const STACK_LINE = /\s{2,}at .*:\d+:\d+\)?$/m;

/** A preload that makes fs.promises.mkdtemp (the build's temp dir) throw a TypeError with a cause. */
function faultInTempDir(t: { after(fn: () => void): void }): string {
  const file = join(tempDir(t), "fault.mjs");
  writeFileSync(
    file,
    [
      'import fs from "node:fs";',
      'import { syncBuiltinESMExports } from "node:module";',
      "fs.promises.mkdtemp = async () => {",
      '  throw new TypeError("injected bug", { cause: new RangeError("injected root cause") });',
      "};",
      "syncBuiltinESMExports();",
    ].join("\n"),
  );
  return file;
}

/** A preload that throws outside any promise chain kiln awaits, a second into the run. */
function crashLater(t: { after(fn: () => void): void }): string {
  const file = join(tempDir(t), "crash.mjs");
  writeFileSync(
    file,
    'setTimeout(() => { throw new Error("injected crash", { cause: new Error("injected crash cause") }); }, 1500).unref();\n',
  );
  return file;
}

const template = {
  builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
  provisioners: [{ type: "shell", inline: ["sleep 5"] }],
};

describe("--debug and internal errors", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after debug output tests" });
  });

  it("a bug during a build: --debug prints its stack and cause; without --debug, no stack", async (t) => {
    const env = { NODE_OPTIONS: `--import=${pathToFileURL(faultInTempDir(t)).href}` };
    const plain = await build(t, template, { env, expectLeftovers: true });
    assert.equal(plain.code, 1, describeRun(plain));
    assert.match(plain.stdout, /injected bug/);
    assert.doesNotMatch(plain.output, STACK_LINE, "no stack without --debug");

    const debug = await build(t, template, { env, args: ["-debug"] });
    assert.equal(debug.code, 1, describeRun(debug));
    assert.match(debug.output, /TypeError: injected bug/);
    assert.match(debug.output, STACK_LINE, "a stack with --debug");
    assert.match(debug.output, /caused by: RangeError: injected root cause/);
  });

  it("a crash (an exception nothing catches): --debug prints its stack and cause; without it, no stack", async (t) => {
    // The crash handler cannot run cleanup: what the run left (its container, and its temp dir
    // recorded in the journal) is for `kiln prune`, which needs the state dir until then (so the
    // dir is removed when the test process exits, not with this test).
    const state = tempDir(undefined, "kiln-test-state-");
    const env = { NODE_OPTIONS: `--import=${pathToFileURL(crashLater(t)).href}`, KILN_STATE_DIR: state };
    t.after(async () => {
      const prune = await runKiln(["prune"], { env: { KILN_STATE_DIR: state } });
      assert.equal(prune.code, 0, prune.output);
    });
    const plain = await build(t, template, { env, expectLeftovers: true });
    assert.equal(plain.code, 1, describeRun(plain));
    assert.match(plain.stderr, /kiln: internal error: injected crash/);
    assert.doesNotMatch(plain.output, STACK_LINE);

    const debug = await build(t, template, { env, args: ["--debug"], expectLeftovers: true });
    assert.equal(debug.code, 1, describeRun(debug));
    assert.match(debug.stderr, /kiln: internal error: Error: injected crash/);
    assert.match(debug.stderr, STACK_LINE);
    assert.match(debug.stderr, /caused by: Error: injected crash cause/);
  });
});
