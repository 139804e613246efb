// Run events → the report model. Subscribed to the run's bus before anything is emitted; `report()`
// may be called at any time (an interrupted run still gets a report, its open steps `unfinished`).
import type { EventBus, EventOf, RunEvent, StepRef } from "../core/events.js";
import type { Lane, OutputLine, Report, ReportImage, Step } from "./model.js";
import { REPORT_VERSION } from "./model.js";

/** A step's output keeps its first and last lines past this many (apt-get can print thousands). */
export const MAX_STEP_LINES = 400;

export class ReportCollector {
  private kind: Report["kind"] = "build";
  private runId = "";
  private kilnVersion = "";
  private command: string[] = [];
  private startedAt = new Date().toISOString();
  private durationMs: number | undefined;
  private cancelled = false;
  private readonly engines: Report["engines"] = [];
  private readonly lanes = new Map<string, Lane>();
  private graph: Report["graph"];
  private readonly notes: OutputLine[] = [];
  /** The running step of each build, by lane and build: output and cache events belong to it. */
  private readonly current = new Map<string, Step>();
  private readonly omitted = new Map<OutputLine[], { tail: OutputLine[]; count: number }>();

  constructor(bus?: EventBus) {
    bus?.subscribe((e) => this.add(e));
  }

  add(e: RunEvent): void {
    switch (e.kind) {
      case "run-started":
        if (e.node !== undefined) return; // a chain node's builds: the chain's own start counts
        this.begin("build", e);
        for (const b of e.builds) this.lane(b, "build");
        return;
      case "chain-started":
        this.begin("chain", e);
        this.graph = e.nodes.map((n) => ({
          name: n.name,
          kind: n.kind,
          file: n.file,
          tags: n.tags,
          engine: n.engine,
          needs: n.needs,
          selected: e.selected.includes(n.name),
        }));
        return;
      case "engine":
        if (!this.engines.some((x) => x.name === e.name && x.endpoint === e.endpoint))
          this.engines.push({
            name: e.name,
            endpoint: e.endpoint,
            ...(e.version ? { version: e.version } : {}),
            ...(e.api ? { api: e.api } : {}),
          });
        return;
      case "run-finished":
        if (e.node !== undefined) return;
        this.durationMs = e.durationMs;
        this.cancelled = e.cancelled;
        return;
      case "chain-finished":
        this.durationMs = e.durationMs;
        this.cancelled = e.cancelled;
        return;
      case "node-started": {
        const lane = this.lane(e.node, "node");
        lane.engine = e.engine;
        lane.startMs = e.t;
        lane.status = "unfinished";
        return;
      }
      case "node-finished": {
        const lane = this.lane(e.node, "node");
        lane.status = e.status;
        lane.endMs = e.t;
        for (const tag of e.tags) if (!lane.tags.includes(tag)) lane.tags.push(tag);
        if (e.imageId && !lane.images.some((i) => i.id === e.imageId && i.role === "result"))
          lane.images.push({ id: e.imageId, role: "result" });
        if (e.failure) lane.failure ??= e.failure;
        return;
      }
      case "node-skipped": {
        const lane = this.lane(e.node, "node");
        lane.status = "skipped";
        lane.skipped = { reason: e.reason, message: e.message, ...(e.failed ? { failed: e.failed } : {}) };
        return;
      }
      case "build-started": {
        const lane = this.laneOf(e);
        lane.startMs ??= e.t;
        if (lane.kind === "build") lane.status = "unfinished";
        return;
      }
      case "build-finished": {
        const lane = this.laneOf(e);
        if (lane.kind === "build") {
          lane.status = e.status;
          lane.endMs = e.t;
        }
        if (e.failure) lane.failure ??= e.failure;
        return;
      }
      case "step-started": {
        const step: Step = {
          ...e.step,
          build: e.build,
          status: "unfinished",
          startMs: e.t,
          retries: [],
          output: [],
        };
        this.laneOf(e).steps.push(step);
        this.current.set(this.stepKey(e), step);
        return;
      }
      case "step-finished": {
        const step = this.current.get(this.stepKey(e)) ?? this.find(e, e.step);
        if (!step) return;
        step.status = e.status;
        step.endMs = e.t;
        step.durationMs = e.durationMs;
        if (e.failure) step.failure = e.failure;
        this.current.delete(this.stepKey(e));
        return;
      }
      case "cache": {
        const step = this.current.get(this.stepKey(e)) ?? this.find(e, e.step);
        if (step) step.cache = e.cache;
        if (step && e.cache.decision === "hit" && e.cache.imageId) step.imageId = e.cache.imageId;
        return;
      }
      case "image": {
        const lane = this.laneOf(e);
        const step = e.step ? (this.current.get(this.stepKey(e)) ?? this.find(e, e.step)) : undefined;
        if (step) step.imageId = e.imageId;
        if (!lane.images.some((i) => i.id === e.imageId && i.role === e.role))
          lane.images.push({ id: e.imageId, role: e.role, ...(e.ref ? { ref: e.ref } : {}) });
        return;
      }
      case "artifact": {
        const lane = this.laneOf(e);
        const a = e.artifact;
        if (a.kind !== "image") return;
        for (const tag of a.tags) if (!lane.tags.includes(tag)) lane.tags.push(tag);
        if (!lane.images.some((i) => i.id === a.imageId && i.role === "result"))
          lane.images.push({ id: a.imageId, role: "result" });
        for (const p of a.pushed ?? []) {
          if (lane.pushed.some((x) => x.ref === p.ref && x.digest === p.digest)) continue;
          const retries = [...lane.retries, ...lane.steps.flatMap((s) => s.retries)].filter(
            (r) => r.what === `push ${p.ref}`,
          ).length;
          lane.pushed.push({
            ref: p.ref,
            digest: p.digest,
            ...(p.bytes !== undefined ? { bytes: p.bytes } : {}),
            retries,
          });
        }
        return;
      }
      case "retry": {
        const retry = {
          what: e.what,
          attempt: e.attempt,
          of: e.of,
          cause: e.cause,
          delayMs: e.delayMs,
          atMs: e.t,
        };
        const step = this.current.get(this.stepKey(e));
        (step ? step.retries : this.laneOf(e).retries).push(retry);
        return;
      }
      case "build-output":
        this.laneOf(e).outputs.push({
          build: e.build,
          ...(e.step ? { step: e.step.name } : {}),
          name: e.name,
          value: e.value,
          cached: e.cached,
          atMs: e.t,
        });
        return;
      case "test-result":
        this.laneOf(e).tests.push({
          build: e.build,
          ...(e.step ? { step: e.step.name } : {}),
          command: e.command,
          ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
          passed: e.passed,
          durationMs: Math.round(e.durationMs * 1000) / 1000,
          ...(e.reason !== undefined ? { reason: e.reason } : {}),
          atMs: e.t,
        });
        return;
      case "output": {
        const line: OutputLine = { atMs: e.t, level: e.level, text: e.text };
        if (e.build === undefined && e.node === undefined) {
          this.notes.push(line);
          return;
        }
        const step =
          e.build !== undefined ? this.current.get(this.stepKey({ ...e, build: e.build })) : undefined;
        this.keep(step ? step.output : this.laneOf(e).output, line);
        return;
      }
    }
  }

  /** The report as far as the run got. */
  report(): Report {
    const lanes = [...this.lanes.values()].map((l) => this.finishLane(l));
    const steps = lanes.flatMap((l) => l.steps);
    const hits = steps.filter((s) => s.cache?.decision === "hit");
    const pushed = lanes.flatMap((l) => l.pushed);
    const failed = lanes.some((l) => l.status === "failed");
    const unfinished = this.durationMs === undefined || lanes.some((l) => l.status === "unfinished");
    return {
      version: REPORT_VERSION,
      kind: this.kind,
      runId: this.runId,
      kilnVersion: this.kilnVersion,
      command: this.command,
      startedAt: this.startedAt,
      ...(this.durationMs !== undefined ? { durationMs: this.durationMs } : {}),
      status: this.cancelled || (unfinished && !failed) ? "cancelled" : failed ? "failed" : "ok",
      engines: this.engines,
      lanes,
      ...(this.graph ? { graph: this.graph } : {}),
      totals: {
        lanes: lanes.length,
        steps: steps.length,
        stepsRun: steps.filter((s) => s.status === "ok" || s.status === "failed").length,
        stepsCached: steps.filter((s) => s.status === "cached").length,
        stepsFailed: steps.filter((s) => s.status === "failed").length,
        savedMs: hits.reduce((n, s) => n + (s.cache?.savedMs ?? 0), 0),
        hitsWithoutDuration: hits.filter((s) => s.cache?.savedMs === undefined).length,
        pushes: pushed.length,
        bytesPushed: pushed.reduce((n, p) => n + (p.bytes ?? 0), 0),
      },
      notes: this.notes,
    };
  }

  /** The images a report names, for the engine to fill sizes and layers in. */
  images(): ReportImage[] {
    return [...this.lanes.values()].flatMap((l) => l.images);
  }

  private begin(kind: Report["kind"], e: EventOf<"run-started"> | EventOf<"chain-started">): void {
    this.kind = kind;
    this.runId = e.runId;
    this.kilnVersion = e.kilnVersion;
    this.command = e.command;
    this.startedAt = e.startedAt;
  }

  private lane(name: string, kind: Lane["kind"]): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = {
        name,
        kind,
        status: "unfinished",
        steps: [],
        images: [],
        tags: [],
        pushed: [],
        retries: [],
        outputs: [],
        tests: [],
        output: [],
      };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private laneOf(e: { node?: string; build?: string }): Lane {
    return e.node !== undefined ? this.lane(e.node, "node") : this.lane(e.build ?? "", "build");
  }

  private stepKey(e: { node?: string; build: string }): string {
    return `${e.node ?? ""}\u0000${e.build}`;
  }

  private find(e: { node?: string; build: string }, ref: StepRef): Step | undefined {
    return this.laneOf(e)
      .steps.filter(
        (s) =>
          s.build === e.build &&
          s.phase === ref.phase &&
          s.index === ref.index &&
          s.sequence === ref.sequence &&
          s.name === ref.name,
      )
      .at(-1);
  }

  /** Keeps the head of a long output as it comes and a rolling tail, counting what falls between. */
  private keep(lines: OutputLine[], line: OutputLine): void {
    if (lines.length < MAX_STEP_LINES / 2) {
      lines.push(line);
      return;
    }
    let rest = this.omitted.get(lines);
    if (!rest) {
      rest = { tail: [], count: 0 };
      this.omitted.set(lines, rest);
    }
    rest.tail.push(line);
    if (rest.tail.length > MAX_STEP_LINES / 2) {
      rest.tail.shift();
      rest.count++;
    }
  }

  private finishLane(lane: Lane): Lane {
    const steps = lane.steps.map((s) => ({ ...s, ...this.flushed(s.output) }));
    withLayerBytes(steps, lane.images);
    const { output, outputOmitted } = this.flushed(lane.output);
    return { ...lane, steps, output, ...(outputOmitted ? { outputOmitted } : {}) };
  }

  private flushed(lines: OutputLine[]): { output: OutputLine[]; outputOmitted?: number } {
    const rest = this.omitted.get(lines);
    if (!rest) return { output: [...lines] };
    return { output: [...lines, ...rest.tail], ...(rest.count > 0 ? { outputOmitted: rest.count } : {}) };
  }
}

/** Each step image's size minus the previous image's (the base's for the first): its layer. */
function withLayerBytes(steps: Step[], images: readonly ReportImage[]): void {
  const sizes = new Map(images.filter((i) => i.size !== undefined).map((i) => [i.id, i.size!]));
  let previous = images.find((i) => i.role === "base")?.size;
  for (const step of steps) {
    if (step.phase !== "provision" || !step.imageId) continue;
    const size = sizes.get(step.imageId);
    if (size !== undefined && previous !== undefined) step.layerBytes = Math.max(0, size - previous);
    previous = size;
  }
}
