// -progress: auto picks the live view only for a person at a terminal; machine-readable output is
// always plain; a bad value is invalid input with a did-you-mean.
import assert from "node:assert/strict";
import { it } from "node:test";
import { resolveProgress } from "../../../src/ui/progress/progress-mode.js";
import { parseProgressMode } from "../../../src/cli/progress-options.js";

const tty = { isTTY: true, env: { TERM: "xterm-256color" }, machineReadable: false };

it("auto: tty on a terminal, plain for a pipe, TERM=dumb, no TERM or CI", () => {
  assert.equal(resolveProgress("auto", tty), "tty");
  assert.equal(resolveProgress("auto", { ...tty, isTTY: false }), "plain");
  assert.equal(resolveProgress("auto", { ...tty, env: { TERM: "dumb" } }), "plain");
  assert.equal(resolveProgress("auto", { ...tty, env: {} }), "plain");
  assert.equal(resolveProgress("auto", { ...tty, env: { TERM: "xterm", CI: "true" } }), "plain");
  assert.equal(resolveProgress("auto", { ...tty, env: { TERM: "xterm", CI: "false" } }), "tty");
});

it("explicit modes win, except that machine-readable output is always plain", () => {
  assert.equal(resolveProgress("tty", { ...tty, isTTY: false }), "tty");
  assert.equal(resolveProgress("plain", tty), "plain");
  assert.equal(resolveProgress("tty", { ...tty, machineReadable: true }), "plain");
});

it("a bad value names the choices and the closest one", () => {
  assert.deepEqual(parseProgressMode("plain"), { mode: "plain" });
  const bad = parseProgressMode("ttty");
  assert.ok("error" in bad);
  assert.match(bad.error, /^-progress: expected auto, tty or plain, got "ttty"; did you mean "tty"\?/);
  const far = parseProgressMode("fancy");
  assert.ok(
    "error" in far && far.error.startsWith(`-progress: expected auto, tty or plain, got "fancy". Use`),
    JSON.stringify(far),
  );
});
