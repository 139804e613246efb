// The bytes a push uploaded, counted from its progress stream (for the run report's totals).
import type { ProgressEvent } from "../engine/types.js";

/**
 * Counts the bytes a push uploaded, from its progress stream: a layer's last `Pushing` total once
 * it reports `Pushed`. Layers the registry already had (`Layer already exists`) count nothing.
 */
export class PushedBytes {
  private readonly totals = new Map<string, number>();
  private counted = 0;

  event(e: ProgressEvent): void {
    if (!e.id) return;
    const status = e.status?.trim();
    if (status === "Pushing" && e.progressDetail?.total) this.totals.set(e.id, e.progressDetail.total);
    else if (status === "Pushed") {
      this.counted += this.totals.get(e.id) ?? 0;
      this.totals.delete(e.id);
    }
  }

  get bytes(): number {
    return this.counted;
  }
}
