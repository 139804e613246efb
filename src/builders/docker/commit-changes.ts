// What the committed image's config must say. The build container runs with run_command's
// `--entrypoint=/bin/sh`, which Docker would bake into the image; kiln restores the base image's
// CMD and ENTRYPOINT unless `changes` sets them (the plugin ≥ 1.0.10 behaviour, not 1.6.6's bug).
import type { ImageConfig } from "../../engine/types.js";

function hasInstruction(changes: string[], name: string): boolean {
  return changes.some((c) => c.trimStart().toUpperCase().startsWith(name + " ") || c.trim().toUpperCase() === name);
}

export function commitChanges(userChanges: string[], base: ImageConfig | null | undefined): string[] {
  const changes = [...userChanges];
  if (!hasInstruction(changes, "ENTRYPOINT")) {
    changes.push(`ENTRYPOINT ${JSON.stringify(base?.Entrypoint ?? [])}`);
  }
  if (!hasInstruction(changes, "CMD")) {
    changes.push(`CMD ${JSON.stringify(base?.Cmd ?? [])}`);
  }
  return changes;
}
