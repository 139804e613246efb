// Finds what earlier kiln runs left behind (containers named after their owner, journalled temp
// paths) and removes it when, and only when, the owning process is gone. A run that is still
// alive, one on another host (a shared remote engine), and a container kept on purpose
// (-on-error=abort; only `kiln prune` removes those) are never touched by a build.
import { existsSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import type { Engine } from "../engine/types.js";
import { hostSlug, keptContainerName, parseContainerName, processStartTime } from "../core/ownership.js";
import { readJournals } from "./journal.js";
import { staleLocks } from "../cache/locks.js";

export type Liveness = "alive" | "gone" | "other-host";

export interface Owner {
  pid: number;
  host: string;
  /** The owner's start time (ownership.ts processStartTime), when it was recorded. */
  start?: number;
}

/**
 * Whether the process that owns something is still running. Decided from the process table, never
 * from its command line (a program using kiln as a library does not mention kiln): a pid that no
 * longer exists is gone; one that exists but started at another time than recorded was reused by an
 * unrelated process, so the owner is gone too. Without a recorded start time (older kiln, no /proc)
 * an existing pid counts as alive: keeping a leftover longer is better than removing a live build's.
 */
export function ownerLiveness(owner: Owner, here = hostSlug(hostname())): Liveness {
  if (hostSlug(owner.host) !== here) return "other-host";
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return "gone";
  }
  if (owner.start === undefined) return "alive";
  const start = processStartTime(owner.pid);
  // No stat for a pid that answered: it exited meanwhile (or there is no /proc to ask).
  if (start === undefined) return existsSync("/proc/self/stat") ? "gone" : "alive";
  return start === owner.start ? "alive" : "gone";
}

export interface Leftover {
  kind: "container" | "path";
  id: string;
  description: string;
  owner: Liveness;
  /** Kept on purpose by its run (-on-error=abort): removed by `kiln prune`, never by a build. */
  kept: boolean;
  remove(): Promise<void>;
}

/** Leftovers in each of `engines` (a run may use several) and in the journals under `stateDir`. */
export async function findLeftovers(engines: readonly Engine[], stateDir: string): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const engine of engines) {
    const containers = await engine.listContainers({ all: true, name: ["^/?kiln_"] });
    for (const c of containers) {
      const name = c.Names[0] ?? "";
      const owner = parseContainerName(name);
      if (!owner) continue;
      found.push({
        kind: "container",
        id: c.Id,
        description: `container ${name.replace(/^\//, "")} (${c.State}; run ${owner.run}, pid ${owner.pid} on ${owner.host}${owner.kept ? "; kept by -on-error" : ""})${engines.length > 1 ? ` in ${engine.endpoint}` : ""}`,
        owner: ownerLiveness(owner),
        kept: owner.kept,
        remove: async () => {
          await engine.removeContainer(c.Id);
          await removeImagesCommittedFrom(engine, c.Id);
        },
      });
    }
  }
  for (const { file, record } of readJournals(stateDir)) {
    const owner = ownerLiveness(record);
    for (const path of record.paths) {
      found.push({
        kind: "path",
        id: path,
        description: `${path} (run ${record.runId.slice(0, 8)}, pid ${record.pid})`,
        owner,
        kept: false,
        remove: async () => rmSync(path, { recursive: true, force: true }),
      });
    }
    if (owner === "gone") {
      found.push({
        kind: "path",
        id: file,
        description: `journal of run ${record.runId.slice(0, 8)}`,
        owner,
        kept: false,
        remove: async () => rmSync(file, { force: true }),
      });
    }
  }
  // A run killed while it held a cache key's lock leaves the lock file (the next run that needs
  // the key takes it over anyway; this removes it for runs that never need that key again).
  for (const lock of staleLocks(stateDir)) {
    found.push({
      kind: "path",
      id: lock.path,
      description: `cache lock ${lock.path} (pid ${lock.pid})`,
      owner: "gone",
      kept: false,
      remove: async () => rmSync(lock.path, { force: true }),
    });
  }
  return found;
}

/**
 * A run killed during a commit leaves its container and, once the engine finishes the commit on
 * its own, an untagged image committed from it. Such images are removed with their container.
 */
async function removeImagesCommittedFrom(engine: Engine, containerId: string): Promise<void> {
  for (const image of await engine.listImages({ dangling: true })) {
    const detail = await engine.inspectImage(image.Id);
    if (detail?.Container === containerId) await engine.removeImage(image.Id, { force: true });
  }
}

/**
 * Removes leftovers whose owner is gone; returns what was removed and what failed. Containers kept
 * on purpose only with `includeKept` (`kiln prune`).
 */
export async function removeLeftovers(
  leftovers: Leftover[],
  opts: { includeKept?: boolean } = {},
): Promise<{ removed: Leftover[]; failed: [Leftover, unknown][] }> {
  const removed: Leftover[] = [];
  const failed: [Leftover, unknown][] = [];
  // Journals last, so a failed removal keeps its record for the next attempt.
  const ordered = [
    ...leftovers.filter((l) => !l.description.startsWith("journal")),
    ...leftovers.filter((l) => l.description.startsWith("journal")),
  ];
  for (const l of ordered) {
    if (l.owner !== "gone" || (l.kept && !opts.includeKept)) continue;
    try {
      await l.remove();
      removed.push(l);
    } catch (e) {
      failed.push([l, e]);
    }
  }
  return { removed, failed };
}

/**
 * Marks a build container kept on purpose (-on-error=abort): renamed with a `_kept` suffix, which
 * later builds' reconciliation leaves alone and `kiln prune` removes. Containers named by the user
 * (run_command --name) are never reconciled, so they need no mark.
 */
export async function markKept(engine: Engine, id: string): Promise<void> {
  const name = (await engine.inspectContainer(id))?.Name ?? "";
  const kept = keptContainerName(name);
  if (kept !== undefined && kept !== name.replace(/^\//, "")) await engine.renameContainer(id, kept);
}
