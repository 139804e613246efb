// What a scenario's kiln runs left behind, judged narrowly so that other work on a shared engine
// never counts: build containers whose name carries one of the scenario's kiln pids, images
// committed from the scenario's containers, anything in the scenario's TMPDIR and state dir, and
// `*.partial` files anywhere in its working directory.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { DockerEndpoint } from "../../harness/docker-api.js";
import { dockerJson, dockerRequest } from "../../harness/docker-api.js";

interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  State: string;
}

interface ImageSummary {
  Id: string;
  Created: number;
}

interface ImageDetail {
  Id: string;
  Container?: string;
  RepoTags?: string[] | null;
}

const NAME = /^\/?kiln_([0-9a-f]{8})_(\d+)[._]/;

export async function scenarioContainers(
  endpoint: DockerEndpoint,
  pids: Set<number>,
): Promise<ContainerSummary[]> {
  const all = await dockerJson<ContainerSummary[]>("GET", "/containers/json", {
    endpoint,
    query: { all: 1, filters: JSON.stringify({ name: ["^/?kiln_"] }) },
  });
  return all.filter((c) => (c.Names ?? []).some((n) => pids.has(Number(NAME.exec(n)?.[2] ?? -1))));
}

/** Images (tagged or not) whose `Container` is one of `containerIds`, i.e. committed from them. */
export async function imagesFrom(
  endpoint: DockerEndpoint,
  containerIds: Set<string>,
): Promise<ImageDetail[]> {
  if (containerIds.size === 0) return [];
  const images = await dockerJson<ImageSummary[]>("GET", "/images/json", { endpoint, query: { all: 1 } });
  const found: ImageDetail[] = [];
  for (const image of images) {
    const res = await dockerRequest("GET", `/images/${image.Id}/json`, { endpoint });
    if (res.status !== 200) continue;
    const detail = JSON.parse(res.body.toString("utf8")) as ImageDetail & { RepoTags?: string[] | null };
    // Per-step cache entries are kept on purpose (docs/cache.md): a step that finished is cached
    // even when a later one was interrupted. An entry is a tagged kiln-cache:<key> image.
    if ((detail.RepoTags ?? []).some((t) => t.startsWith("kiln-cache:"))) continue;
    if (detail.Container !== undefined && containerIds.has(detail.Container)) found.push(detail);
  }
  return found;
}

export function listFiles(dir: string, depth = 6): string[] {
  const out: string[] = [];
  const walk = (d: string, level: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e);
      out.push(p);
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        // vanished
      }
      if (isDir && level < depth) walk(p, level + 1);
    }
  };
  walk(dir, 0);
  return out;
}

export interface LeftoverQuery {
  endpoint: DockerEndpoint;
  engine: boolean;
  pids: Set<number>;
  containerIds: Set<string>;
  dirs: { tmp: string; state: string; work: string };
}

export async function findScenarioLeftovers(q: LeftoverQuery): Promise<string[]> {
  const found: string[] = [];
  if (q.engine) {
    for (const c of await scenarioContainers(q.endpoint, q.pids)) {
      found.push(`container ${(c.Names ?? [])[0]?.replace(/^\//, "")} (${c.State})`);
    }
    for (const i of await imagesFrom(q.endpoint, q.containerIds)) {
      found.push(`image ${i.Id.slice(7, 19)} committed from ${i.Container?.slice(0, 12)}`);
    }
  }
  for (const f of listFiles(q.dirs.tmp)) found.push(`temp path ${f}`);
  // The cache's index of its entries is kept like the entries; a lock left behind is a leftover.
  const cacheDir = path.join(q.dirs.state, "cache");
  for (const f of listFiles(q.dirs.state)) {
    const kept =
      f === cacheDir || f.startsWith(path.join(cacheDir, "entries")) || f === path.join(cacheDir, "locks");
    if (!kept) found.push(`state file ${f}`);
  }
  for (const f of listFiles(q.dirs.work)) {
    if (f.endsWith(".partial")) found.push(`partial file ${f}`);
  }
  return found;
}

/** Removes what the check found, so one failed scenario does not fail the next ones. */
export async function removeScenarioLeftovers(q: {
  endpoint: DockerEndpoint;
  pids: Set<number>;
  containerIds: Set<string>;
}): Promise<void> {
  for (const c of await scenarioContainers(q.endpoint, q.pids)) {
    await dockerRequest("DELETE", `/containers/${c.Id}`, { endpoint: q.endpoint, query: { force: 1, v: 1 } });
  }
  for (const i of await imagesFrom(q.endpoint, q.containerIds)) {
    await dockerRequest("DELETE", `/images/${i.Id}`, { endpoint: q.endpoint, query: { force: 1 } });
  }
}

/** Removes an image the scenario produced on purpose (by id or tag); a missing image is fine. */
export async function removeImage(endpoint: DockerEndpoint, ref: string): Promise<void> {
  await dockerRequest("DELETE", `/images/${encodeURIComponent(ref)}`, { endpoint, query: { force: 1 } });
}
