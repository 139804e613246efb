// The run report from events: lanes, steps with timing and cache decisions, pushes with retries,
// failures, skipped nodes, totals; long outputs shortened; every string masked; and every report
// valid against the checked-in JSON Schema (which must also reject a broken one).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { EventBus } from "../../../src/core/events.js";
import { MAX_STEP_LINES, ReportCollector } from "../../../src/report/collect.js";
import { ReportRecorder } from "../../../src/report/recorder.js";
import { renderReportHtml } from "../../../src/report/html.js";
import { fortyStepBuildEvents, reportOf, twentyNodeChainEvents } from "./report-fixtures.js";
import { schemaErrors } from "./report-schema.js";

describe("run report: collected from events", () => {
  it("a 40-step build: one lane, every step with its timing and cache decision, the push and its retry", () => {
    const report = reportOf(fortyStepBuildEvents());
    assert.deepEqual(schemaErrors(report), []);
    assert.equal(report.kind, "build");
    assert.equal(report.status, "ok");
    assert.deepEqual(report.command, ["build", "-report=r.json", "app.pkr.hcl"]);
    assert.equal(report.engines[0]?.version, "Docker 20.10.24");
    assert.equal(report.lanes.length, 1);
    const lane = report.lanes[0]!;
    assert.equal(lane.steps.length, 2 + 40 + 1 + 1);
    const provision = lane.steps.filter((s) => s.phase === "provision");
    assert.equal(provision.filter((s) => s.status === "cached").length, 12);
    assert.equal(provision[0]!.cache?.decision, "hit");
    assert.equal(provision[0]!.imageId, `sha256:${(100).toString(16).padStart(64, "a")}`);
    assert.equal(provision[20]!.cache?.decision, "miss");
    assert.ok(provision.every((s) => s.endMs! - s.startMs === s.durationMs));
    assert.deepEqual(
      provision[3]!.output.map((l) => l.text),
      ["provisioner 4 (shell): working"],
    );
    const push = lane.steps.find((s) => s.name === "docker-push")!;
    assert.equal(push.retries.length, 1);
    assert.deepEqual(lane.pushed, [
      { ref: "127.0.0.1:5000/app:1", digest: `sha256:${"d".repeat(64)}`, bytes: 12_345_678, retries: 1 },
    ]);
    assert.deepEqual(lane.tags, ["127.0.0.1:5000/app:1"]);
    assert.equal(report.totals.stepsCached, 12);
    assert.equal(
      report.totals.savedMs,
      Array.from({ length: 12 }, (_, i) => 2000 + i * 10).reduce((a, b) => a + b),
    );
    assert.equal(report.totals.bytesPushed, 12_345_678);
  });

  it("a 20-node chain: the graph, a failed node with phase and cause, its dependents skipped", () => {
    const report = reportOf(twentyNodeChainEvents());
    assert.deepEqual(schemaErrors(report), []);
    assert.equal(report.kind, "chain");
    assert.equal(report.status, "failed");
    assert.equal(report.graph?.length, 20);
    assert.equal(report.lanes.length, 20);
    const failed = report.lanes.find((l) => l.name === "layer2-image1")!;
    assert.equal(failed.status, "failed");
    const step = failed.steps.find((s) => s.status === "failed")!;
    assert.equal(step.failure?.phase, "provision");
    assert.deepEqual(step.failure?.causes, ["apt-get: unable to locate package nope"]);
    assert.ok(step.output.some((l) => l.level === "error"));
    const skipped = report.lanes.filter((l) => l.status === "skipped");
    assert.ok(skipped.length >= 2, "the failure's dependents");
    assert.ok(skipped.every((l) => l.skipped?.reason === "dependency-failed" && l.steps.length === 0));
    assert.equal(report.lanes.find((l) => l.name === "layer0-image0")!.status, "cached");
  });

  it("a step's long output keeps its head and tail and counts the lines left out", () => {
    const bus = new EventBus();
    const collector = new ReportCollector(bus);
    const step = { phase: "provision" as const, index: 0, name: "provisioner 1 (shell)" };
    bus.emit({ kind: "build-started", build: "b", steps: 1 });
    bus.emit({ kind: "step-started", build: "b", step });
    for (let i = 0; i < 1000; i++)
      bus.emit({ kind: "output", build: "b", level: "message", text: `line ${i}` });
    bus.emit({ kind: "step-finished", build: "b", step, status: "ok", durationMs: 1 });
    bus.emit({ kind: "output", build: "b", level: "say", text: "after the step" });
    const lane = collector.report().lanes[0]!;
    const out = lane.steps[0]!.output.map((l) => l.text);
    assert.equal(out.length, MAX_STEP_LINES);
    assert.equal(out[0], "line 0");
    assert.equal(out.at(-1), "line 999");
    assert.equal(lane.steps[0]!.outputOmitted, 1000 - MAX_STEP_LINES);
    assert.deepEqual(
      lane.output.map((l) => l.text),
      ["after the step"],
    );
  });

  it("build outputs and image-test results go to their lane, valid against the schema, shown in the page", () => {
    let now = 0;
    const bus = new EventBus(() => now);
    const collector = new ReportCollector(bus);
    const shell = { phase: "provision" as const, index: 0, name: "provisioner 1 (shell)", type: "shell" };
    const test = {
      phase: "post-process" as const,
      index: 0,
      sequence: 0,
      name: "docker-test",
      type: "docker-test",
    };
    bus.emit({
      kind: "run-started",
      runId: "r",
      startedAt: new Date(0).toISOString(),
      kilnVersion: "0",
      command: [],
      builds: ["b"],
    });
    bus.emit({ kind: "build-started", build: "b", steps: 1 });
    now = 10;
    bus.emit({ kind: "build-output", build: "b", step: shell, name: "version", value: "1.2", cached: true });
    now = 20;
    bus.emit({
      kind: "test-result",
      build: "b",
      step: test,
      command: "nginx -t",
      exitCode: 0,
      passed: true,
      durationMs: 12.3456,
    });
    bus.emit({
      kind: "test-result",
      build: "b",
      step: test,
      command: "curl -f localhost",
      exitCode: 7,
      passed: false,
      durationMs: 3,
      reason: "exit code 7 is not in valid_exit_codes",
    });
    bus.emit({ kind: "run-finished", durationMs: 30, cancelled: false, failed: 1, succeeded: 0 });
    const report = collector.report();
    const lane = report.lanes[0]!;
    assert.deepEqual(lane.outputs, [
      { build: "b", step: "provisioner 1 (shell)", name: "version", value: "1.2", cached: true, atMs: 10 },
    ]);
    assert.deepEqual(
      lane.tests.map((t) => [t.step, t.command, t.exitCode, t.passed, t.durationMs, t.atMs]),
      [
        ["docker-test", "nginx -t", 0, true, 12.346, 20],
        ["docker-test", "curl -f localhost", 7, false, 3, 20],
      ],
    );
    assert.deepEqual(schemaErrors(report), []);
    const html = renderReportHtml(report);
    assert.match(
      html,
      /<code>version<\/code><\/td><td><code>1\.2<\/code> <small>\(from the cache\)<\/small>/,
    );
    assert.match(
      html,
      /<tr class="fail"><td>✕ fail<\/td><td><code>curl -f localhost<\/code><\/td><td>7<\/td>/,
    );
  });

  it("the recorder masks every string it writes, causes included", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-report-"));
    const bus = new EventBus();
    const files = { json: path.join(dir, "r.json"), html: path.join(dir, "r.html") };
    const recorder = new ReportRecorder(bus, files, (s) => s.replaceAll("hunter22", "<sensitive>"));
    const step = { phase: "provision" as const, index: 0, name: "provisioner 1 (shell)" };
    bus.emit({ kind: "build-started", build: "b", steps: 1 });
    bus.emit({ kind: "step-started", build: "b", step });
    const failure = {
      phase: "provision" as const,
      message: "failed",
      causes: ["token hunter22 refused"],
      cancelled: false,
    };
    bus.emit({ kind: "step-finished", build: "b", step, status: "failed", durationMs: 1, failure });
    bus.emit({ kind: "build-finished", build: "b", status: "failed", durationMs: 2, artifacts: [], failure });
    assert.deepEqual(await recorder.write(undefined), []);
    for (const file of [files.json, files.html]) {
      const text = readFileSync(file, "utf8");
      assert.ok(!text.includes("hunter22"), file);
      assert.ok(
        text.includes("token &#60;sensitive&#62; refused") || text.includes("token <sensitive> refused"),
        file,
      );
    }
    assert.deepEqual(schemaErrors(JSON.parse(readFileSync(files.json, "utf8"))), []);
  });

  it("the schema rejects what the report never holds (so a valid report means something)", () => {
    const report = reportOf(fortyStepBuildEvents()) as unknown as Record<string, unknown>;
    assert.notDeepEqual(schemaErrors({ ...report, version: 2 }), []);
    assert.notDeepEqual(schemaErrors({ ...report, surprise: true }), []);
    const lanes = structuredClone(report.lanes) as { steps: { status: string }[] }[];
    lanes[0]!.steps[0]!.status = "maybe";
    assert.notDeepEqual(schemaErrors({ ...report, lanes }), []);
  });
});
