// The live progress view: folds the run's events into the progress state and redraws the region at
// most `intervalMs` apart (10 per second by default), and at once when a lane starts or ends. The
// renderer only subscribes to the event bus: no component knows it exists.
import type { EventBus, RunEvent } from "../../core/events.js";
import { ProgressState } from "./progress-state.js";
import type { LiveRegion } from "./live-region.js";
import { statusLines } from "./status-lines.js";

export interface TtyProgressOptions {
  bus: EventBus;
  region: Pick<LiveRegion, "update" | "clear">;
  /** Terminal columns, asked at each draw (a resized terminal gets fitted lines). */
  width: () => number;
  intervalMs?: number;
  /** Timers, for tests with a fake clock. */
  setInterval?: (fn: () => void, ms: number) => { unref?(): void };
  clearInterval?: (handle: unknown) => void;
}

export interface TtyProgress {
  /** Redraws now (tests, and lane changes). */
  draw(): void;
  /** Stops redrawing and erases the region. Idempotent. */
  stop(): void;
}

const LANE_CHANGES = new Set<RunEvent["kind"]>([
  "node-started",
  "node-finished",
  "node-skipped",
  "build-started",
  "build-finished",
]);

export function startTtyProgress(o: TtyProgressOptions): TtyProgress {
  const state = new ProgressState();
  let stopped = false;
  const draw = (): void => {
    if (!stopped) o.region.update(statusLines(state, o.bus.elapsed(), o.width()));
  };
  const unsubscribe = o.bus.subscribe((e) => {
    state.add(e);
    if (LANE_CHANGES.has(e.kind)) draw();
  });
  const every = o.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms));
  const timer = every(draw, o.intervalMs ?? 100);
  // The timer must not keep the process alive once the run is over.
  timer.unref?.();
  return {
    draw,
    stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      (o.clearInterval ?? ((h: unknown) => clearInterval(h as NodeJS.Timeout)))(timer);
      o.region.clear();
    },
  };
}
