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
  /** A hit: how long the step took when its entry was made, i.e. the time the hit saved. */
  savedMs?: number;
  /** A sentence for the user: why the step runs. */
  reason?: string;
}

interface Timed {
  /** Milliseconds since the run started (monotonic clock). */
  t: number;
  /**
   * The chain node whose run emitted the event (`kiln chain`: every event of a node's builds
   * carries it); absent outside chains.
   */
  node?: string;
}

/** A node of an image chain as the run events describe it (plain data, for reports). */
export interface ChainNodeInfo {
  name: string;
  kind: "packer" | "dockerfile";
  /** The file the node builds from (template or Dockerfile), as the user wrote it. */
  file: string;
  /** Images it produces (`repo:tag`). */
  tags: string[];
  /** Nodes it needs, with the origin of each edge (`file:line`). */
  needs: { node: string; origin: string }[];
  engine: string;
}

/** Why a node did not run. */
export type NodeSkipReason = "not-selected" | "dependency-failed" | "fail-fast" | "cancelled";

export type NodeStatus = "built" | "cached" | "failed" | "cancelled";

/** One image-test command's result (`docker-test`), as components report it and events carry it. */
export interface TestResult {
  step?: StepRef;
  command: string;
  /** Absent when the command could not run (the exec failed, the run was cancelled). */
  exitCode?: number;
  passed: boolean;
  durationMs: number;
  /** Why it failed, when it did (exit code outside valid_exit_codes, expect_stdout). */
  reason?: string;
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
        /**
         * Bytes moving for a pull or a push, as the engine's progress stream reports them (summed
         * over layers): `current` of `total` so far. Frequent; for a progress display.
         */
        kind: "transfer";
        build: string;
        step?: StepRef;
        direction: "pull" | "push";
        ref: string;
        current: number;
        total: number;
      }
    | {
        /** A build output a step published (KILN_OUTPUT) or a cache hit restored; `value` masked. */
        kind: "build-output";
        build: string;
        step?: StepRef;
        name: string;
        value: string;
        cached: boolean;
      }
    | ({
        /** One command of a `docker-test` post-processor, when it has run. */
        kind: "test-result";
        build: string;
      } & TestResult)
    | {
        kind: "build-finished";
        build: string;
        status: "ok" | "failed" | "cancelled";
        durationMs: number;
        artifacts: Artifact[];
        failure?: BuildFailure;
      }
    | { kind: "run-finished"; durationMs: number; cancelled: boolean; failed: number; succeeded: number }
    | {
        kind: "chain-started";
        runId: string;
        startedAt: string;
        kilnVersion: string;
        command: string[];
        /** Every node of the chain in list order, selected or not. */
        nodes: ChainNodeInfo[];
        /** The nodes that will run, in list order. */
        selected: string[];
        /** Concurrency limit per engine. */
        parallel: Record<string, number>;
      }
    | { kind: "node-started"; node: string; engine: string }
    | {
        kind: "node-finished";
        node: string;
        status: NodeStatus;
        durationMs: number;
        /** The images the node produced (`repo:tag`) and the image ID they point to. */
        tags: string[];
        imageId?: string;
        failure?: BuildFailure;
      }
    | {
        kind: "node-skipped";
        node: string;
        reason: NodeSkipReason;
        /** The failed node that caused the skip (dependency-failed, fail-fast). */
        failed?: string;
        /** A sentence for the user. */
        message: string;
      }
    | {
        kind: "chain-finished";
        durationMs: number;
        cancelled: boolean;
        built: number;
        cached: number;
        failed: number;
        skipped: number;
      }
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

  /**
   * A view of this bus for one chain node: what is emitted through it carries `node`, on this
   * bus's clock; its subscribers see that node's events only. A chain hands one to each node's run.
   */
  forNode(node: string): EventBus {
    return new NodeEventBus(this, node);
  }
}

class NodeEventBus extends EventBus {
  constructor(
    private readonly parent: EventBus,
    private readonly node: string,
  ) {
    super();
  }

  override subscribe(listener: EventListener): () => void {
    return this.parent.subscribe((e) => {
      if (e.node === this.node) listener(e);
    });
  }

  override elapsed(): number {
    return this.parent.elapsed();
  }

  override emit(event: UntimedEvent): void {
    this.parent.emit({ ...event, node: this.node });
  }
}
