// What a file step reads: its local sources (uploads). A download writes on the host, so it runs
// every time, and it leaves the container as it was.
import type { DeclaredInputs } from "../../core/step-inputs.js";
import type { FileConfig } from "./schema.js";

export function fileInputs(config: Record<string, unknown>): DeclaredInputs {
  const c = config as unknown as FileConfig;
  if (c.direction === "download") {
    return {
      files: [],
      changesContainer: false,
      notCacheable: { reason: "download", detail: `downloads write ${c.destination} on the host` },
    };
  }
  if (c.content !== undefined) return { files: [], changesContainer: true };
  const sources = c.sources ?? (c.source !== undefined ? [c.source] : []);
  return {
    files: sources.map((path) => ({ role: "source", path, required: true })),
    changesContainer: true,
  };
}
