// `kiln cache ls` and `kiln cache prune`: the entries in an engine (images tagged kiln-cache:<key>)
// with what the local index knows of them (build, step, last use).
import type { Engine } from "../engine/types.js";
import { CACHE_REPO, parseEntryComment } from "./entry.js";
import type { LocalIndex } from "./local-index.js";

export interface CacheEntryInfo {
  key: string;
  imageId: string;
  build?: string;
  step: string;
  /** Bytes of the entry's own layer. */
  size: number;
  createdAt: Date;
  lastUsedAt?: Date;
}

export async function listEntries(engine: Engine, index: LocalIndex): Promise<CacheEntryInfo[]> {
  const images = await engine.listImages({ reference: [CACHE_REPO] });
  const entries: CacheEntryInfo[] = [];
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      const key = tag.startsWith(`${CACHE_REPO}:`) ? tag.slice(CACHE_REPO.length + 1) : undefined;
      if (!key || !/^[0-9a-f]{64}$/.test(key)) continue;
      const detail = await engine.inspectImage(image.Id);
      if (!detail) continue;
      const parent = detail.Parent ? await engine.inspectImage(detail.Parent) : undefined;
      const record = index.read(key);
      entries.push({
        key,
        imageId: image.Id,
        build: record?.build,
        step: record?.step ?? parseEntryComment(detail.Comment)?.step ?? "?",
        size: Math.max(0, (detail.Size ?? 0) - (parent?.Size ?? 0)),
        createdAt: new Date(detail.Created ?? image.Created * 1000),
        lastUsedAt: record ? new Date(record.lastUsedAt) : undefined,
      });
    }
  }
  return entries.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/**
 * Removes entries (all, or those older than `maxAgeMs`): their tag goes, and the image with it
 * unless a user's image (or another entry) is built on it, in which case the engine keeps it as
 * that image's parent. The local records go too.
 */
export async function pruneEntries(
  engine: Engine,
  index: LocalIndex,
  opts: { maxAgeMs?: number; now?: Date },
): Promise<{ removed: CacheEntryInfo[]; failed: [CacheEntryInfo, unknown][] }> {
  const now = opts.now ?? new Date();
  const removed: CacheEntryInfo[] = [];
  const failed: [CacheEntryInfo, unknown][] = [];
  for (const entry of await listEntries(engine, index)) {
    const age = now.getTime() - entry.createdAt.getTime();
    if (opts.maxAgeMs !== undefined && age <= opts.maxAgeMs) continue;
    try {
      await engine.removeImage(`${CACHE_REPO}:${entry.key}`);
      index.remove(entry.key);
      removed.push(entry);
    } catch (e) {
      failed.push([entry, e]);
    }
  }
  // Records whose image is gone (removed by hand) go too.
  const live = new Set((await listEntries(engine, index)).map((e) => e.key));
  for (const record of index.all())
    if (!live.has(record.key) && opts.maxAgeMs === undefined) index.remove(record.key);
  return { removed, failed };
}
