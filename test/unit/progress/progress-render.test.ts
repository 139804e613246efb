// The live progress view with a fake clock, a fake terminal (a recorded stream) and a fixed width:
// the lines it draws for concurrent builds and chain nodes, truncation to the width, byte
// formatting, the region erased before scrolling lines and for good at the end.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { EventBus } from "../../../src/core/events.js";
import { formatBytes, formatTransfer } from "../../../src/ui/progress/bytes.js";
import { LiveRegion, eraseSequence } from "../../../src/ui/progress/live-region.js";
import { ProgressState } from "../../../src/ui/progress/progress-state.js";
import { clean, fit, statusLines } from "../../../src/ui/progress/status-lines.js";
import { startTtyProgress } from "../../../src/ui/progress/tty-progress.js";

/** A terminal stand-in: everything written, in order. */
function fakeTerminal(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  return { out, text: () => chunks.join("") };
}

/** A bus on a clock the test moves. */
function clockedBus(): { bus: EventBus; at: (ms: number) => void } {
  let now = 0;
  return { bus: new EventBus(() => now), at: (ms) => (now = ms) };
}

const step = (index: number, name: string) => ({ phase: "provision" as const, index, name, type: "shell" });

describe("progress: status lines", () => {
  it("one line per running build with its step k of n, elapsed time and pull bytes", () => {
    const { bus, at } = clockedBus();
    const state = new ProgressState();
    bus.subscribe((e) => state.add(e));
    bus.emit({
      kind: "run-started",
      runId: "r",
      startedAt: "",
      kilnVersion: "0",
      command: [],
      builds: ["a", "b"],
    });
    bus.emit({ kind: "build-started", build: "a", steps: 5 });
    at(1000);
    bus.emit({ kind: "build-started", build: "b", steps: 3 });
    bus.emit({ kind: "step-started", build: "a", step: { phase: "builder", index: 0, name: "pull" } });
    bus.emit({
      kind: "transfer",
      build: "a",
      direction: "pull",
      ref: "debian:12",
      current: 1_500_000,
      total: 30_000_000,
    });
    at(2000);
    bus.emit({ kind: "step-started", build: "b", step: step(0, "provisioner 1 (shell)") });
    bus.emit({ kind: "step-started", build: "b", step: step(1, "provisioner 2 (shell)") });
    bus.emit({
      kind: "output",
      build: "b",
      target: "b",
      level: "message",
      text: "Setting up curl\u001b[0m\r",
    });
    at(3500);
    const lines = statusLines(state, 3500, 200);
    assert.deepEqual(lines, [
      "[+] Building 3.5s (2 running, 0 of 2 finished)",
      " => a  builder pull  3.5s  pull 1.50 MB / 30.0 MB",
      " => b  step 2/3 provisioner 2 (shell)  2.5s  | Setting up curl",
    ]);
  });

  it("a finished build leaves the region and is counted; a failed one too", () => {
    const { bus, at } = clockedBus();
    const state = new ProgressState();
    bus.subscribe((e) => state.add(e));
    bus.emit({
      kind: "run-started",
      runId: "r",
      startedAt: "",
      kilnVersion: "0",
      command: [],
      builds: ["a", "b"],
    });
    bus.emit({ kind: "build-started", build: "a", steps: 1 });
    bus.emit({ kind: "build-started", build: "b", steps: 1 });
    at(61_000);
    bus.emit({ kind: "build-finished", build: "a", status: "failed", durationMs: 61_000, artifacts: [] });
    assert.deepEqual(statusLines(state, 125_000, 80), [
      "[+] Building 2m05s (1 running, 1 of 2 finished, 1 failed)",
      " => b  starting  2m05s",
    ]);
  });

  it("a chain: a lane per node, its pushes counted as steps, skipped nodes counted unless not selected", () => {
    const { bus, at } = clockedBus();
    const state = new ProgressState();
    bus.subscribe((e) => state.add(e));
    bus.emit({
      kind: "chain-started",
      runId: "r",
      startedAt: "",
      kilnVersion: "0",
      command: [],
      nodes: [],
      selected: ["base", "web", "api"],
      parallel: { default: 2 },
    });
    bus.emit({ kind: "node-skipped", node: "other", reason: "not-selected", message: "" });
    bus.emit({ kind: "node-started", node: "base", engine: "default" });
    bus.forNode("base").emit({ kind: "build-started", build: "docker", steps: 4 });
    bus
      .forNode("base")
      .emit({ kind: "step-started", build: "docker", step: step(0, "provisioner 1 (shell)") });
    at(500);
    bus.forNode("base").emit({
      kind: "step-started",
      build: "push",
      step: { phase: "post-process", index: 0, name: "push r/base:1", type: "push" },
    });
    bus.forNode("base").emit({
      kind: "transfer",
      build: "push",
      direction: "push",
      ref: "r/base:1",
      current: 999,
      total: 2048,
    });
    bus.emit({ kind: "node-skipped", node: "api", reason: "dependency-failed", message: "" });
    assert.deepEqual(statusLines(state, 1000, 100), [
      "[+] Chain 1.0s (1 running, 1 of 3 finished)",
      " => base  push r/base:1  1.0s  push 999 B / 2.05 kB",
    ]);
  });

  it("lines are cut to the terminal width (one column spare) with an ellipsis", () => {
    assert.equal(fit("abcdefghij", 8), "abcdef…");
    assert.equal(fit("abcdefg", 8), "abcdefg");
    assert.equal([...fit("é".repeat(50), 20)].length, 19);
    const state = new ProgressState();
    state.add({ kind: "build-started", build: "a-very-long-build-name", steps: 9, t: 0 });
    for (const line of statusLines(state, 0, 30)) assert.ok([...line].length <= 29, line);
  });

  it("control characters of output lines never reach the region", () => {
    assert.equal(clean("a\u001b[2Jb\rc\u0007\u001b[1;32md"), "ab c d");
  });

  it("bytes read like docker's: decimal units, three significant digits", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(1000), "1.00 kB");
    assert.equal(formatBytes(12_345_678), "12.3 MB");
    assert.equal(formatBytes(123_456_789), "123 MB");
    assert.equal(formatBytes(5e9), "5.00 GB");
    assert.equal(formatTransfer(500, 0), "500 B");
  });
});

describe("progress: the live region", () => {
  it("scrolling lines go above the region: erased, the line written, redrawn, in one write", () => {
    const term = fakeTerminal();
    const writes: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _e, done) {
        writes.push(chunk.toString("utf8"));
        done();
      },
    });
    const region = new LiveRegion(out);
    region.update(["[+] Building 0.1s", " => a"]);
    region.write("==> a: hello\n");
    region.update(["[+] Building 0.2s", " => a"]);
    region.clear();
    region.write("after\n");
    assert.deepEqual(writes, [
      "[+] Building 0.1s\n => a\n",
      `${eraseSequence(2)}==> a: hello\n[+] Building 0.1s\n => a\n`,
      `${eraseSequence(2)}[+] Building 0.2s\n => a\n`,
      eraseSequence(2),
      "after\n",
    ]);
    assert.equal(eraseSequence(2), "\u001b[2F\u001b[J");
    void term;
  });

  it("a question (no newline) keeps the region away until its line ends", () => {
    const term = fakeTerminal();
    const region = new LiveRegion(term.out);
    region.update(["status"]);
    region.write("==> a: Continue? ");
    region.update(["status 2"]);
    region.write("yes\n");
    assert.equal(term.text(), `status\n${eraseSequence(1)}==> a: Continue? yes\nstatus 2\n`);
  });
});

describe("progress: the renderer on the bus", () => {
  it("redraws on its timer and on lane changes, and erases the region when stopped", () => {
    const { bus, at } = clockedBus();
    const term = fakeTerminal();
    const region = new LiveRegion(term.out);
    let tick: (() => void) | undefined;
    let cleared = false;
    const progress = startTtyProgress({
      bus,
      region,
      width: () => 60,
      setInterval: (fn, ms) => {
        assert.ok(ms >= 100, "at most 10 redraws a second");
        tick = fn;
        return {};
      },
      clearInterval: () => void (cleared = true),
    });
    bus.emit({
      kind: "run-started",
      runId: "r",
      startedAt: "",
      kilnVersion: "0",
      command: [],
      builds: ["a"],
    });
    bus.emit({ kind: "build-started", build: "a", steps: 2 });
    at(1200);
    bus.emit({ kind: "step-started", build: "a", step: step(0, "provisioner 1 (shell)") });
    tick!();
    progress.stop();
    progress.stop();
    const text = term.text();
    assert.ok(text.includes(" => a  starting  0.0s\n"), text);
    assert.ok(text.includes(" => a  step 1/2 provisioner 1 (shell)  1.2s\n"), text);
    assert.ok(text.endsWith(eraseSequence(2)), JSON.stringify(text.slice(-40)));
    assert.ok(cleared);
    // Stopped: later events draw nothing.
    const before = term.text();
    bus.emit({ kind: "build-started", build: "b", steps: 1 });
    assert.equal(term.text(), before);
  });
});
