// Pull and push bytes for the progress view, summed over layers from the engine's progress stream;
// and the run events components report through, masked before any renderer sees them.
import assert from "node:assert/strict";
import { it } from "node:test";
import { EventBus, type RunEvent } from "../../../src/core/events.js";
import { TransferTally } from "../../../src/core/transfer-tally.js";
import { componentReporter } from "../../../src/run/component-reporter.js";

it("a pull: downloads summed over layers, a finished layer counts in full, extraction ignored", () => {
  const tally = new TransferTally();
  const seen = [
    { id: "a", status: "Pulling fs layer" },
    { id: "a", status: "Downloading", progressDetail: { current: 100, total: 1000 } },
    { id: "b", status: "Downloading", progressDetail: { current: 50, total: 500 } },
    { id: "a", status: "Download complete" },
    { id: "a", status: "Extracting", progressDetail: { current: 10, total: 1000 } },
    { id: "b", status: "Downloading", progressDetail: { current: 400, total: 500 } },
  ].map((e) => tally.event(e));
  assert.deepEqual(seen, [
    undefined,
    { current: 100, total: 1000 },
    { current: 150, total: 1500 },
    { current: 1050, total: 1500 },
    undefined,
    { current: 1400, total: 1500 },
  ]);
});

it("a push: uploads, layers the registry had count nothing", () => {
  const tally = new TransferTally();
  for (const e of [
    { id: "x", status: "Layer already exists" },
    { id: "y", status: "Pushing", progressDetail: { current: 700, total: 2000 } },
    { id: "y", status: "Pushed" },
  ])
    tally.event(e);
  assert.deepEqual(tally.totals(), { current: 2000, total: 2000 });
});

it("outputs, test results and transfers become events of the build, masked", () => {
  const bus = new EventBus(() => 0);
  const events: RunEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const report = componentReporter(bus, "web", (t) => t.replaceAll("hunter2", "<sensitive>"));
  report.output({ name: "token", value: "is hunter2", cached: false });
  report.test({
    command: "check hunter2",
    exitCode: 1,
    passed: false,
    durationMs: 5,
    reason: "hunter2 failed",
  });
  report.transfer({ direction: "push", ref: "r/x:1", current: 1, total: 2 });
  assert.deepEqual(
    events.map((e) => ({ ...e, t: 0 })),
    [
      { kind: "build-output", build: "web", name: "token", value: "is <sensitive>", cached: false, t: 0 },
      {
        kind: "test-result",
        build: "web",
        command: "check <sensitive>",
        exitCode: 1,
        passed: false,
        durationMs: 5,
        reason: "<sensitive> failed",
        t: 0,
      },
      { kind: "transfer", build: "web", direction: "push", ref: "r/x:1", current: 1, total: 2, t: 0 },
    ],
  );
});
