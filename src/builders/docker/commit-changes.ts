// What the committed image's config must say. The build container runs with run_command's
// `--entrypoint=/bin/sh`, which Docker would bake into the image; kiln gives the image the base's
// Entrypoint and Cmd with `changes` applied as a Dockerfile applies them after `FROM base`: an
// ENTRYPOINT resets Cmd (unless a CMD is also given), a CMD keeps the inherited Entrypoint, and the
// base's Entrypoint and Cmd stay only when `changes` sets neither. (Packer 1.6.6 applies `changes`
// the same way but bakes `/bin/sh` in when they set no ENTRYPOINT: a bug kiln does not copy.)
//
// The daemon applies `changes` onto the commit body's config as a Dockerfile would (an ENTRYPOINT
// clears the body's Cmd), then fills unset fields from the container's config (moby
// daemon/commit.go `merge`): when the resulting Entrypoint is empty, an empty Cmd is filled from
// the container's Cmd, and a null Entrypoint from the container's Entrypoint. So the body carries
// the base's Entrypoint (an empty list when it had none and the container has one, so /bin/sh does
// not leak) and the base's Cmd; everything else (Env, User, WorkingDir…) comes from the container.
import type { ImageConfig } from "../../engine/types.js";

function hasInstruction(changes: readonly string[], name: string): boolean {
  return changes.some((c) => {
    const head = c.trimStart().split(/\s/, 1)[0] ?? "";
    return head.toUpperCase() === name;
  });
}

/**
 * Whether the build container may run its shell as `Cmd` with no Entrypoint (instead of as the
 * Entrypoint), which keeps the committed image's Entrypoint null as in the base. Not when the base
 * has neither Entrypoint nor Cmd and `changes` sets neither: the container's `Cmd ["/bin/sh"]`
 * would then be merged into the image, while an Entrypoint of `/bin/sh` is overridden by the
 * body's empty one and leaves Cmd empty.
 */
export function shellAsCmd(base: ImageConfig | null | undefined, changes: readonly string[]): boolean {
  if (base?.Entrypoint?.length) return false;
  return (
    Boolean(base?.Cmd?.length) || hasInstruction(changes, "CMD") || hasInstruction(changes, "ENTRYPOINT")
  );
}

/**
 * `changes` without its blank entries: Packer passes `--change ""` and the daemon ignores it, so
 * templates build `changes` from optional variables that default to "".
 */
export function nonBlankChanges(changes: readonly string[]): string[] {
  return changes.filter((c) => c.trim() !== "");
}

export function commitChanges(
  userChanges: string[],
  base: ImageConfig | null | undefined,
  /** Whether the build container runs with an entrypoint of its own (from run_command). */
  containerEntrypointSet: boolean,
): { changes: string[]; config: Partial<ImageConfig> } {
  // A null Cmd stays null: with the base's Entrypoint in the body, the daemon fills nothing in.
  const config: Partial<ImageConfig> = { Cmd: base?.Cmd ?? null };
  if (base?.Entrypoint?.length) config.Entrypoint = base.Entrypoint;
  // A null base Entrypoint: when the container has none either (see shellAsCmd), leave it null in
  // the body so merge keeps it null; otherwise `[]`, so the container's /bin/sh does not leak.
  else config.Entrypoint = containerEntrypointSet ? [] : null;
  return { changes: nonBlankChanges(userChanges), config };
}
