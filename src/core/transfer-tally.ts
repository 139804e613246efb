// Bytes moved by a pull or a push, summed over layers from the engine's progress stream, for a
// progress display (`transfer` run events). The report's bytes pushed come from PushedBytes.
import type { ProgressEvent } from "../engine/types.js";

/** The transfer statuses that carry byte counts: a pull's downloads, a push's uploads. */
const MOVING = new Set(["Downloading", "Pushing"]);
/** A layer done: its bytes count in full. */
const DONE = new Set(["Download complete", "Pull complete", "Pushed"]);

export class TransferTally {
  private readonly layers = new Map<string, { current: number; total: number }>();

  /** Feeds one progress event; returns the new totals when they changed. */
  event(e: ProgressEvent): { current: number; total: number } | undefined {
    const status = e.status?.trim();
    if (!e.id || !status) return undefined;
    const layer = this.layers.get(e.id);
    if (MOVING.has(status) && e.progressDetail?.total) {
      this.layers.set(e.id, {
        current: Math.min(e.progressDetail.current ?? 0, e.progressDetail.total),
        total: e.progressDetail.total,
      });
    } else if (DONE.has(status) && layer && layer.current !== layer.total) {
      layer.current = layer.total;
    } else {
      return undefined;
    }
    return this.totals();
  }

  totals(): { current: number; total: number } {
    let current = 0;
    let total = 0;
    for (const l of this.layers.values()) {
      current += l.current;
      total += l.total;
    }
    return { current, total };
  }
}
