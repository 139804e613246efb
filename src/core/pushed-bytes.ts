// The bytes a push uploaded, counted from its progress stream (for the run report's totals).
import type { ProgressEvent } from "../engine/types.js";

/**
 * Counts the bytes a push uploaded, from its progress stream: a layer's last `Pushing` total once
 * it reports `Pushed`. Layers the registry already had (`Layer already exists`) count nothing.
 * Undefined when the stream had no layer events at all: Podman 4.3 sends only the first and last
 * lines, so what it uploaded is not known (not zero).
 */
export class PushedBytes {
  private readonly totals = new Map<string, number>();
  private counted = 0;
  private layerEvents = false;

  event(e: ProgressEvent): void {
    if (!e.id) return;
    this.layerEvents = true;
    const status = e.status?.trim();
    if (status === "Pushing" && e.progressDetail?.total) this.totals.set(e.id, e.progressDetail.total);
    else if (status === "Pushed") {
      this.counted += this.totals.get(e.id) ?? 0;
      this.totals.delete(e.id);
    }
  }

  get bytes(): number | undefined {
    return this.layerEvents ? this.counted : undefined;
  }
}
