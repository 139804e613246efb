// What a live progress view shows, folded from run events: one lane per running build (`kiln
// build`) or chain node (`kiln chain`) with its current step (k of n), when it started, the bytes
// of a pull or push under way and its last output line. Finished lanes leave the view (their
// lines have scrolled above it); the counts say how many.
import type { RunEvent, StepRef } from "../../core/events.js";

export interface LaneProgress {
  name: string;
  /** Run time (ms since the run started) the lane started at. */
  startedAt: number;
  /** The build of the lane running now (a chain node runs its builds in turn). */
  build?: string;
  /** The build's provisioners (the `n` of "step k/n"), when it said. */
  steps?: number;
  /** The running step (or the last one). */
  step?: StepRef;
  transfer?: { direction: "pull" | "push"; ref: string; current: number; total: number };
  /** The lane's last output line, as printed (masked). */
  lastLine?: string;
}

export class ProgressState {
  kind: "build" | "chain" = "build";
  /** Lanes the run will run (builds, or selected nodes), when it said. */
  planned: number | undefined;
  finished = 0;
  failed = 0;
  readonly running = new Map<string, LaneProgress>();

  add(e: RunEvent): void {
    switch (e.kind) {
      case "run-started":
        if (e.node === undefined) this.planned = e.builds.length;
        return;
      case "chain-started":
        this.kind = "chain";
        this.planned = e.selected.length;
        return;
      case "node-started":
        this.running.set(e.node, { name: e.node, startedAt: e.t });
        return;
      case "node-finished":
        this.end(e.node, e.status === "failed");
        return;
      case "node-skipped":
        if (e.reason !== "not-selected") this.end(e.node, false);
        return;
      case "build-started": {
        const lane = this.lane(e);
        lane.build = e.build;
        lane.steps = e.steps > 0 ? e.steps : undefined;
        delete lane.step;
        return;
      }
      case "step-started": {
        const lane = this.lane(e);
        if (lane.build !== e.build) {
          // A chain node's pushes (build `push`) and Dockerfile builds: steps without a count.
          lane.build = e.build;
          delete lane.steps;
        }
        lane.step = e.step;
        delete lane.transfer;
        return;
      }
      case "transfer": {
        const lane = this.lane(e);
        lane.transfer = { direction: e.direction, ref: e.ref, current: e.current, total: e.total };
        return;
      }
      case "output":
        if (e.build === undefined && e.node === undefined) return;
        this.lane({
          build: e.build ?? "",
          ...(e.node !== undefined ? { node: e.node } : {}),
          t: e.t,
        }).lastLine = e.text;
        return;
      case "build-finished":
        if (e.node === undefined) this.end(e.build, e.status !== "ok");
        return;
      default:
        return;
    }
  }

  private end(key: string, failed: boolean): void {
    if (this.running.delete(key) || this.kind === "chain") this.finished++;
    if (failed) this.failed++;
  }

  /** The lane an event belongs to: its node in a chain, its build otherwise (made on first sight). */
  private lane(e: { build: string; node?: string; t: number }): LaneProgress {
    const key = e.node ?? e.build;
    let lane = this.running.get(key);
    if (!lane) {
      lane = { name: key, startedAt: e.t };
      this.running.set(key, lane);
    }
    return lane;
  }
}
