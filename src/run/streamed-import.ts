// export_path followed by docker-import: the import starts while the export is being written, fed
// by the same stream (a tee), instead of reading the finished file back afterwards as Packer does.
// The file is still written (Packer's artifact, and what keep_input_artifact keeps). The import is
// made untagged; docker-import tags it when it runs, with the options it would have imported with.
// When those options differ by then, or the streamed import failed, docker-import imports the file
// as before, and the unclaimed image is removed.
// When nothing else reads the file (one post-processor sequence, docker-import first, without
// keep_input_artifact), Packer deletes it right after the import: kiln then writes no file at all
// and the export goes only into the import (docs/compat.md).
import type { Readable } from "node:stream";
import type { Engine } from "../engine/types.js";
import type { BuildDef } from "../template/types.js";
import { substituteBuildData, type BuildData } from "../core/build-data.js";
import type { StreamedImportKey } from "../core/component.js";
import { BuildError } from "../core/errors.js";

export interface StreamedImport {
  /** False when export_path is read by nothing but this import: the export step writes no file. */
  fileNeeded: boolean;
  /** Starts importing `tar` (one call; the export step tees its stream into it); the import's end. */
  consume(tar: Readable, signal: AbortSignal): Promise<unknown>;
  /**
   * The imported image for `key`, claimed by the caller (docker-import), or undefined when there
   * is none to claim (never started, failed, other options). Without a file to fall back on, a
   * failed import throws its error instead.
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
  const fileNeeded = build.postProcessors.length !== 1 || first.keepInputArtifact === true;
  // Rendered when the export starts (the build data is complete by then) and again by
  // docker-import: `take` compares the two.
  const keyNow = (): StreamedImportKey => keyOf(substituteBuildData(first.config, buildData));
  let key: StreamedImportKey | undefined;
  let result: Promise<string | undefined> | undefined;
  let claimed = false;
  return {
    fileNeeded,
    consume(tar, signal) {
      key = keyNow();
      result = engine
        .importImage(tar, { changes: key.changes, platform: key.platform, signal })
        .then((id) => id as string | undefined);
      // A failure shows later: docker-import then imports the file and reports its own error.
      result.catch(() => undefined);
      return result;
    },
    async take(wanted) {
      if (!result || !key || claimed) return undefined;
      if (!sameKey(key, wanted)) {
        if (fileNeeded) return undefined;
        throw new BuildError(
          "docker-import's changes or platform rendered differently after the export, and the export was imported with the first ones (no export file was written to import again); set keep_input_artifact: true to keep the file",
        );
      }
      const id = fileNeeded ? await result.catch(() => undefined) : await result;
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
