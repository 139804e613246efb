// Run events: a typed stream of what happens in a run. The human and machine-readable Ui render
// it; the run report and a progress display consume the same stream. Events carry plain data
// only (they are serialised as they are), with text already masked for secrets.
import type { Artifact } from "./artifact.js";
import type { BuildFailure } from "./errors.js";

/** A step of a build: a builder step (pull, create, commit…), a provisioner or a post-processor. */
export interface StepRef {
  /** `builder`: the builder's own steps; `provision`: provisioners; `post-process`: post-processors. */
  phase: "builder" | "provision" | "post-process";
  /** Position within its phase (0-based): template order; within its sequence for post-processors. */
  index: number;
  /** Post-processors: which sequence (0-based). */
  sequence?: number;
  /** What the user reads: `pull`, `provisioner 2 (shell)`, `docker-tag`. */
  name: string;
  /** The component type, for provisioners and post-processors. */
  type?: string;
}

export type StepStatus = "ok" | "failed" | "cached" | "skipped" | "cancelled";

/** Why a step ran or did not (the per-step cache decides). */
export interface CacheDecision {
  decision: "hit" | "miss" | "expired" | "disabled" | "not-cacheable";
  /** The step's cache key (a sha256 hex digest). */
  key?: string;
  /** Age of the entry used or refused, in ms. */
  ageMs?: number;
  /** The image the step resumed from (a hit). */
  imageId?: string;
  /** A sentence for the user: why the step runs. */
  reason?: string;
}

interface Timed {
  /** Milliseconds since the run started (monotonic clock). */
  t: number;
}

export type RunEvent = Timed &
  (
    | {
        kind: "run-started";
        runId: string;
        /** Wall-clock start, ISO 8601: the origin of every `t`. */
        startedAt: string;
        kilnVersion: string;
        command: string[];
        builds: string[];
      }
    | { kind: "engine"; build?: string; name: string; endpoint: string; version?: string; api?: string }
    | { kind: "build-started"; build: string; steps: number }
    | { kind: "step-started"; build: string; step: StepRef }
    | {
        kind: "step-finished";
        build: string;
        step: StepRef;
        status: StepStatus;
        durationMs: number;
        failure?: BuildFailure;
      }
    | { kind: "cache"; build: string; step: StepRef; cache: CacheDecision }
    | {
        kind: "output";
        build?: string;
        /** The line's prefix target: the build name, or `build (post-processor type)`. */
        target?: string;
        level: "say" | "message" | "error";
        text: string;
      }
    | {
        kind: "image";
        build: string;
        step?: StepRef;
        role: "base" | "step" | "result";
        imageId: string;
        ref?: string;
      }
    | { kind: "artifact"; build: string; artifact: Artifact }
    | {
        kind: "retry";
        build: string;
        step?: StepRef;
        what: string;
        attempt: number;
        of: number;
        cause: string;
        delayMs: number;
      }
    | {
        kind: "build-finished";
        build: string;
        status: "ok" | "failed" | "cancelled";
        durationMs: number;
        artifacts: Artifact[];
        failure?: BuildFailure;
      }
    | { kind: "run-finished"; durationMs: number; cancelled: boolean; failed: number; succeeded: number }
  );

export type RunEventKind = RunEvent["kind"];
export type EventOf<K extends RunEventKind> = Extract<RunEvent, { kind: K }>;

/** Events without their timestamp: what emitters pass in. */
export type UntimedEvent = RunEvent extends infer E ? (E extends Timed ? Omit<E, "t"> : never) : never;

export type EventListener = (event: RunEvent) => void;

/**
 * Synchronous fan-out: listeners see events in emission order, each before the next event is
 * emitted, so a renderer's output order is the order things happened.
 */
export class EventBus {
  private readonly listeners: EventListener[] = [];
  private readonly origin: number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
    this.origin = now();
  }

  private readonly now: () => number;

  subscribe(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Milliseconds since the bus was created (the run's start). */
  elapsed(): number {
    return this.now() - this.origin;
  }

  emit(event: UntimedEvent): void {
    const timed = { ...event, t: Math.round(this.elapsed() * 1000) / 1000 };
    for (const listener of [...this.listeners]) listener(timed);
  }
}
