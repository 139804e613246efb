// The bytes a push uploaded, counted from its progress stream (for the run report's totals).
import type { ProgressEvent } from "../engine/types.js";

/**
 * Counts the bytes a push uploaded, from its progress stream: a layer's last `Pushing` total once
 * it reports `Pushed`. Layers the registry already had (`Layer already exists`) count nothing.
 * Undefined when what was uploaded is not known (not zero): Podman 4.3 sends no layer events at
 * all, and Docker's containerd image store reports a fast upload as `Pushed` with no `Pushing`
 * total before it.
 */
export class PushedBytes {
  private readonly totals = new Map<string, number>();
  private counted = 0;
  private layerEvents = false;
  private unknownSize = false;

  event(e: ProgressEvent): void {
    if (!e.id) return;
    this.layerEvents = true;
    const status = e.status?.trim();
    if (status === "Pushing" && e.progressDetail?.total) this.totals.set(e.id, e.progressDetail.total);
    else if (status === "Pushed") {
      const total = this.totals.get(e.id);
      if (total === undefined) this.unknownSize = true;
      this.counted += total ?? 0;
      this.totals.delete(e.id);
    }
  }

  get bytes(): number | undefined {
    return this.layerEvents && !this.unknownSize ? this.counted : undefined;
  }
}
