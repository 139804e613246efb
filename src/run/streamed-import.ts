// export_path followed by docker-import: the import starts while the export is being written, fed
// by the same stream (a tee), instead of reading the finished file back afterwards as Packer does.
// The file is still written (Packer's artifact, and what keep_input_artifact keeps). The import is
// made untagged; docker-import tags it when it runs, with the options it would have imported with.
// When those options differ by then, or the streamed import failed, docker-import imports the file
// as before, and the unclaimed image is removed.
import type { Readable } from "node:stream";
import type { Engine } from "../engine/types.js";
import type { BuildDef } from "../template/types.js";
import { substituteBuildData, type BuildData } from "../core/build-data.js";
import type { StreamedImportKey } from "../core/component.js";

export interface StreamedImport {
  /** Starts importing `tar` (one call; the export step tees its stream into it). */
  consume(tar: Readable, signal: AbortSignal): void;
  /**
   * The imported image for `key`, claimed by the caller (docker-import), or undefined when there
   * is none to claim (never started, failed, other options).
   */
  take(key: StreamedImportKey): Promise<string | undefined>;
  /** Removes the imported image unless it was claimed; waits for an import still running. */
  dispose(): Promise<void>;
}

/**
 * A streamed import for `build` when its builder exports (docker, export_path, no commit) and a
 * post-processor sequence starts with docker-import; otherwise undefined.
 */
export function streamedImportFor(
  build: BuildDef,
  engine: Engine,
  buildData: BuildData,
): StreamedImport | undefined {
  const b = build.builder as { commit?: unknown; export_path?: unknown };
  if (build.type !== "docker" || b.commit === true || !b.export_path) return undefined;
  const first = build.postProcessors.find((seq) => seq[0]?.type === "docker-import")?.[0];
  if (!first) return undefined;
  // Rendered when the export starts (the build data is complete by then) and again by
  // docker-import: `take` compares the two.
  const keyNow = (): StreamedImportKey => keyOf(substituteBuildData(first.config, buildData));
  let key: StreamedImportKey | undefined;
  let result: Promise<string | undefined> | undefined;
  let claimed = false;
  return {
    consume(tar, signal) {
      key = keyNow();
      result = engine
        .importImage(tar, { changes: key.changes, platform: key.platform, signal })
        .then((id) => id as string | undefined);
      // A failure shows later: docker-import then imports the file and reports its own error.
      result.catch(() => undefined);
    },
    async take(wanted) {
      if (!result || !key || claimed || !sameKey(key, wanted)) return undefined;
      const id = await result.catch(() => undefined);
      if (id !== undefined) claimed = true;
      return id;
    },
    async dispose() {
      if (!result || claimed) return;
      const id = await result.catch(() => undefined);
      claimed = true;
      if (id !== undefined) await engine.removeImage(id).catch(() => undefined);
    },
  };
}

/** Same normalisation as docker-import's: no changes and an empty platform mean none. */
function keyOf(config: Record<string, unknown>): StreamedImportKey {
  const c = config as { changes?: string[]; platform?: string };
  return { changes: c.changes?.length ? c.changes : undefined, platform: c.platform || undefined };
}

function sameKey(a: StreamedImportKey, b: StreamedImportKey): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
