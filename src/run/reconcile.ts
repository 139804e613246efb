// Finds what earlier kiln runs left behind (containers named after their owner, journalled temp
// paths) and removes it when, and only when, the owning process is gone. A run that is still
// alive, or one on another host (a shared remote engine), is never touched.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import type { Engine } from "../engine/types.js";
import { hostSlug, parseContainerName } from "../core/ownership.js";
import { readJournals } from "./journal.js";

export type Liveness = "alive" | "gone" | "other-host";

export function ownerLiveness(pid: number, host: string, here = hostSlug(hostname())): Liveness {
  if (hostSlug(host) !== here) return "other-host";
  if (pid === process.pid) return "alive";
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" ? "alive" : "gone";
  }
  // The pid exists; it may have been reused by an unrelated process.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline)) {
    const cmd = readFileSync(cmdline, "utf8");
    if (!/kiln/.test(cmd)) return "gone";
  }
  return "alive";
}

export interface Leftover {
  kind: "container" | "path";
  id: string;
  description: string;
  owner: Liveness;
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
        description: `container ${name.replace(/^\//, "")} (${c.State}; run ${owner.run}, pid ${owner.pid} on ${owner.host})${engines.length > 1 ? ` in ${engine.endpoint}` : ""}`,
        owner: ownerLiveness(owner.pid, owner.host),
        remove: async () => {
          await engine.removeContainer(c.Id);
          await removeImagesCommittedFrom(engine, c.Id);
        },
      });
    }
  }
  for (const { file, record } of readJournals(stateDir)) {
    const owner = ownerLiveness(record.pid, record.host);
    for (const path of record.paths) {
      found.push({
        kind: "path",
        id: path,
        description: `${path} (run ${record.runId.slice(0, 8)}, pid ${record.pid})`,
        owner,
        remove: async () => rmSync(path, { recursive: true, force: true }),
      });
    }
    if (owner === "gone") {
      found.push({
        kind: "path",
        id: file,
        description: `journal of run ${record.runId.slice(0, 8)}`,
        owner,
        remove: async () => rmSync(file, { force: true }),
      });
    }
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

/** Removes leftovers whose owner is gone; returns what was removed and what failed. */
export async function removeLeftovers(
  leftovers: Leftover[],
): Promise<{ removed: Leftover[]; failed: [Leftover, unknown][] }> {
  const removed: Leftover[] = [];
  const failed: [Leftover, unknown][] = [];
  // Journals last, so a failed removal keeps its record for the next attempt.
  const ordered = [
    ...leftovers.filter((l) => !l.description.startsWith("journal")),
    ...leftovers.filter((l) => l.description.startsWith("journal")),
  ];
  for (const l of ordered) {
    if (l.owner !== "gone") continue;
    try {
      await l.remove();
      removed.push(l);
    } catch (e) {
      failed.push([l, e]);
    }
  }
  return { removed, failed };
}
