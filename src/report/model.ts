// The run report's data: what `-report=FILE.json` writes and the HTML page is drawn from. Plain,
// versioned data; schemas/kiln-report.schema.json describes it (a test keeps the two in step).
import type { BuildFailure } from "../core/errors.js";
import type { CacheDecision, NodeSkipReason, StepRef, StepStatus } from "../core/events.js";

export const REPORT_VERSION = 1;

export interface Report {
  version: typeof REPORT_VERSION;
  /** `build` (one template) or `chain`. */
  kind: "build" | "chain";
  runId: string;
  kilnVersion: string;
  /** The command's arguments (after `kiln`), masked. */
  command: string[];
  /** Wall-clock start, ISO 8601; every `*Ms` offset below counts from it. */
  startedAt: string;
  /** Absent when the run did not finish (the report was written while it was interrupted). */
  durationMs?: number;
  status: "ok" | "failed" | "cancelled";
  engines: ReportEngine[];
  /** One per build (`kiln build`) or per chain node, in start order. */
  lanes: Lane[];
  /** `kiln chain`: the nodes and their edges. */
  graph?: GraphNode[];
  totals: Totals;
  /** Lines outside any build (engine notes, the end-of-run summary). */
  notes: OutputLine[];
}

export interface ReportEngine {
  name: string;
  endpoint: string;
  version?: string;
  api?: string;
}

export type LaneStatus = "ok" | "built" | "cached" | "failed" | "cancelled" | "skipped" | "unfinished";

export interface Lane {
  name: string;
  kind: "build" | "node";
  status: LaneStatus;
  engine?: string;
  startMs?: number;
  endMs?: number;
  steps: Step[];
  /** Images seen: the base pulled, each cached step's, the result. */
  images: ReportImage[];
  /** Every `repo:tag` the lane's artifacts carry. */
  tags: string[];
  pushed: Pushed[];
  /** Retries not tied to a step. */
  retries: Retry[];
  /** Build outputs published by the lane's steps (KILN_OUTPUT), in the order they were. */
  outputs: BuildOutput[];
  /** Image-test results (`docker-test`), one per command (and one for expect_stdout). */
  tests: TestResult[];
  failure?: BuildFailure;
  /** A node that did not run: why. */
  skipped?: { reason: NodeSkipReason; message: string; failed?: string };
  /** Lines of the lane not inside a step. */
  output: OutputLine[];
  outputOmitted?: number;
}

export interface Step extends StepRef {
  /** The build the step belongs to (a chain node may hold several, and its pushes). */
  build: string;
  status: StepStatus | "unfinished";
  startMs: number;
  endMs?: number;
  durationMs?: number;
  cache?: CacheDecision;
  /** The step's image (a cache entry made or used). */
  imageId?: string;
  /** Bytes the step's layer adds (its image's size minus the one before), when both are known. */
  layerBytes?: number;
  failure?: BuildFailure;
  retries: Retry[];
  output: OutputLine[];
  /** Lines left out of a long output (the middle: the head and the tail are kept). */
  outputOmitted?: number;
}

export interface ReportImage {
  id: string;
  role: "base" | "step" | "result";
  ref?: string;
  /** Bytes, from the engine after the run; absent when the image is gone. */
  size?: number;
  /** Layer diff IDs, bottom first. */
  layers?: string[];
}

export interface Pushed {
  ref: string;
  digest: string;
  /** Bytes uploaded (layers the registry already had count nothing). */
  bytes?: number;
  /** Attempts that failed before this push went through. */
  retries: number;
}

export interface BuildOutput {
  /** The build that published it (a chain node may hold several). */
  build: string;
  /** The step that published it, as the user reads it. */
  step?: string;
  name: string;
  /** Masked: `<sensitive>` where it matches a sensitive value. */
  value: string;
  /** Restored from the step's cache entry rather than published by a run of it. */
  cached: boolean;
  atMs: number;
}

export interface TestResult {
  build: string;
  /** The `docker-test` step it ran in. */
  step?: string;
  /** The command as written (`script <path>` for a script; `expect_stdout <regex>` for the match). */
  command: string;
  /** Absent when the command did not run to its end (the exec failed, the run was cancelled). */
  exitCode?: number;
  passed: boolean;
  durationMs: number;
  /** Why it failed. */
  reason?: string;
  atMs: number;
}

export interface Retry {
  what: string;
  attempt: number;
  of: number;
  cause: string;
  delayMs: number;
  atMs: number;
}

export interface OutputLine {
  atMs: number;
  level: "say" | "message" | "error";
  text: string;
}

export interface GraphNode {
  name: string;
  kind: "packer" | "dockerfile";
  file: string;
  tags: string[];
  engine: string;
  needs: { node: string; origin: string }[];
  selected: boolean;
}

export interface Totals {
  lanes: number;
  steps: number;
  stepsRun: number;
  stepsCached: number;
  stepsFailed: number;
  /** Time cached steps took when their entries were made: what the cache saved this run. */
  savedMs: number;
  /** Hits whose entry did not record its duration (made by an older kiln, or pulled). */
  hitsWithoutDuration: number;
  pushes: number;
  bytesPushed: number;
}
