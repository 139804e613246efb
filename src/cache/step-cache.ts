// The per-step cache of one engine: lookups (local tag, then each `-cache-from` repository),
// entries saved under a key lock, and `-cache-to` pushes. An entry is used only when its layers are
// exactly its parent's plus one (a tag moved by hand, or a corrupt pull, is refused) and it is not
// older than the maximum age. On the containerd image store the commit of a step that changed no
// file adds no layer (the classic store's overlay2 diff still holds the directories it touched,
// a 0-byte layer), so an entry with exactly its parent's layers is used too
// when its commit comment names its own key: a tag moved onto another image never carries that.
import type { Engine, RegistryAuth } from "../engine/types.js";
import { ImageReference } from "../engine/reference.js";
import { entryRef, CACHE_REPO, parseEntryComment } from "./entry.js";
import { shortKey } from "./key.js";
import { LocalIndex, type IndexRecord } from "./local-index.js";
import { KeyLocks } from "./locks.js";

export interface CacheSettings {
  /** Entries older than this are not used (0: no limit). */
  maxAgeMs: number;
  stateDir: string;
  /** Registry repositories looked in when a key is not local (`-cache-from`). */
  from: readonly string[];
  /** Registry repository the build's step images are pushed to (`-cache-to`). */
  to?: string;
  now?: () => Date;
}

export type Lookup =
  /** `comment`: the entry's commit comment, which carries the step's build outputs (entry.ts). */
  | { decision: "hit"; imageId: string; ageMs: number; source: string; comment?: string }
  | { decision: "miss"; reason: string }
  | { decision: "expired"; imageId: string; ageMs: number };

export interface RegistryAccess {
  /** Credentials for a registry host (Docker's chain, ECR), or undefined. */
  auth(registryHost: string, signal: AbortSignal): Promise<RegistryAuth | undefined>;
}

export class StepCache {
  readonly index: LocalIndex;
  private readonly locks: KeyLocks;
  private readonly now: () => Date;

  constructor(
    readonly engine: Engine,
    readonly settings: CacheSettings,
    private readonly registries: RegistryAccess,
  ) {
    this.index = new LocalIndex(settings.stateDir);
    this.locks = new KeyLocks(settings.stateDir);
    this.now = settings.now ?? (() => new Date());
  }

  lock(key: string, signal: AbortSignal): Promise<() => void> {
    return this.locks.acquire(key, signal);
  }

  /** The entry for `key` whose parent is `parentImage`, locally or in a `-cache-from` registry. */
  async lookup(
    key: string,
    chain: readonly string[],
    signal: AbortSignal,
    opts: { pull: boolean } = { pull: true },
  ): Promise<Lookup> {
    const local = await this.verified(key, chain);
    if (local.kind === "ok") return this.fresh(local, "local");
    let reason = local.kind === "bad" ? local.why : `no cache entry for key ${shortKey(key)}`;
    for (const repo of this.settings.from) {
      const ref = `${repo}:${key}`;
      signal.throwIfAborted();
      const host = ImageReference.parse(ref).registry;
      const auth = await this.registries.auth(host, signal);
      // Asked through the engine (its TLS and insecure-registry settings), without pulling.
      const found = await this.engine.registryHasTag(ref, { auth, signal }).catch((e: unknown) => {
        reason += `; ${repo} could not be asked (${e instanceof Error ? e.message : String(e)})`;
        return false;
      });
      if (!found) continue;
      if (!opts.pull) return { decision: "hit", imageId: "", ageMs: 0, source: repo };
      await this.engine.pullImage(ref, { auth, signal });
      await this.engine.tagImage(ref, CACHE_REPO, key);
      await this.engine.removeImage(ref, { noprune: true }).catch(() => undefined);
      const pulled = await this.verified(key, chain);
      if (pulled.kind === "ok") return this.fresh(pulled, repo);
      reason = pulled.kind === "bad" ? pulled.why : reason;
    }
    return { decision: "miss", reason };
  }

  private fresh(
    { imageId, created, comment }: { imageId: string; created: Date; comment?: string },
    source: string,
  ): Lookup {
    const ageMs = Math.max(0, this.now().getTime() - created.getTime());
    if (this.settings.maxAgeMs > 0 && ageMs > this.settings.maxAgeMs)
      return { decision: "expired", imageId, ageMs };
    return { decision: "hit", imageId, ageMs, source, ...(comment ? { comment } : {}) };
  }

  private readonly layers = new Map<string, Promise<string[] | undefined>>();

  private layersOf(image: string): Promise<string[] | undefined> {
    let found = this.layers.get(image);
    if (!found) {
      found = this.engine.inspectImage(image).then((i) => i?.RootFS?.Layers ?? undefined);
      this.layers.set(image, found);
    }
    return found;
  }

  private async verified(
    key: string,
    chain: readonly string[],
  ): Promise<
    | { kind: "ok"; imageId: string; created: Date; comment?: string }
    | { kind: "none" }
    | { kind: "bad"; why: string }
  > {
    const ref = entryRef(key);
    const entry = await this.engine.inspectImage(ref);
    if (!entry) return { kind: "none" };
    const layers = entry.RootFS?.Layers ?? [];
    const noLayer = parseEntryComment(entry.Comment)?.shortKey === shortKey(key);
    for (const image of chain) {
      const parent = await this.layersOf(image);
      if (parent && (sameLayers(parent, layers.slice(0, -1)) || (noLayer && sameLayers(parent, layers)))) {
        return {
          kind: "ok",
          imageId: entry.Id,
          created: new Date(entry.Created ?? 0),
          ...(entry.Comment ? { comment: entry.Comment } : {}),
        };
      }
    }
    return {
      kind: "bad",
      why: `the cache entry ${ref.slice(0, CACHE_REPO.length + 13)} is not an image of this build plus one layer: not used`,
    };
  }

  /** Tags a step image as the entry for `key` and records what made it. */
  async save(
    key: string,
    imageId: string,
    record: Omit<IndexRecord, "version" | "key" | "createdAt" | "lastUsedAt">,
  ): Promise<void> {
    await this.engine.tagImage(imageId, CACHE_REPO, key);
    const now = this.now().toISOString();
    this.index.write({ version: 1, key, createdAt: now, lastUsedAt: now, ...record });
  }

  touch(key: string): void {
    this.index.touch(key, this.now());
  }

  /** `-cache-to`: pushes each entry (by key) to the repository; returns the pushed references. */
  async push(
    keys: readonly string[],
    signal: AbortSignal,
    onPushed?: (ref: string) => void,
  ): Promise<string[]> {
    const repo = this.settings.to;
    if (!repo) return [];
    const pushed: string[] = [];
    const auth = await this.registries.auth(ImageReference.parse(`${repo}:x`).registry, signal);
    for (const key of new Set(keys)) {
      signal.throwIfAborted();
      await this.engine.tagImage(entryRef(key), repo, key);
      try {
        await this.engine.pushImage(repo, key, { auth, signal });
      } finally {
        await this.engine.removeImage(`${repo}:${key}`, { noprune: true }).catch(() => undefined);
      }
      pushed.push(`${repo}:${key}`);
      onPushed?.(`${repo}:${key}`);
    }
    return pushed;
  }
}

function sameLayers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => b[i] === l);
}
