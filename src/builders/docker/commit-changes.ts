// What the committed image's config must say. The build container runs with run_command's
// `--entrypoint=/bin/sh`, which Docker would bake into the image; kiln restores the base image's
// CMD and ENTRYPOINT unless `changes` sets them (the plugin ≥ 1.0.10 behaviour, not 1.6.6's bug).
//
// The daemon applies `changes` onto the commit body's config, then fills unset fields from the
// container's config (moby daemon/commit.go `merge`). So the body carries the base image's
// Entrypoint (an empty list when it had none: kept as "no entrypoint", where a missing one would
// be filled with /bin/sh) and Cmd; everything else (Env, User, WorkingDir…) comes from the container.
import type { ImageConfig } from "../../engine/types.js";

function hasInstruction(changes: string[], name: string): boolean {
  return changes.some((c) => {
    const head = c.trimStart().split(/\s/, 1)[0] ?? "";
    return head.toUpperCase() === name;
  });
}

export function commitChanges(
  userChanges: string[],
  base: ImageConfig | null | undefined,
  /** Whether the build container runs with an entrypoint of its own (from run_command). */
  containerEntrypointSet: boolean,
): { changes: string[]; config: Partial<ImageConfig> } {
  const changes = [...userChanges];
  // An ENTRYPOINT change clears CMD (Dockerfile semantics) unless CMD follows: re-add the base's,
  // as the plugin does, when the user did not set CMD.
  if (hasInstruction(changes, "ENTRYPOINT") && !hasInstruction(changes, "CMD") && base?.Cmd?.length) {
    changes.push(`CMD ${JSON.stringify(base.Cmd)}`);
  }
  // A null base Entrypoint: when the container has none either (see builder.ts), leave it null in
  // the body so merge keeps it null; otherwise `[]`, so the container's /bin/sh does not leak.
  const config: Partial<ImageConfig> = { Cmd: base?.Cmd ?? [] };
  if (base?.Entrypoint?.length) config.Entrypoint = base.Entrypoint;
  else config.Entrypoint = containerEntrypointSet ? [] : null;
  return { changes, config };
}
