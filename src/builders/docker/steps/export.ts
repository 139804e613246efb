// The export step (export_path): the container's filesystem streamed to a temp file beside the
// target, then renamed, so an interrupted run never leaves a truncated file under the final name.
// When docker-import follows, the same stream also feeds the import (ctx.exportTee): the import
// runs while the file is written instead of reading it back afterwards.
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BuilderContext } from "../../../core/builder.js";
import { BuildError, errorMessage } from "../../../core/errors.js";
import { containerAtSessionImage } from "./container.js";
import { dropContainerDirForResult } from "../container-dir.js";
import type { DockerStep } from "../state.js";

export function exportStep(ctx: BuilderContext): DockerStep {
  return {
    name: "export",
    async run(state) {
      await dropContainerDirForResult(state, ctx);
      const container = await containerAtSessionImage(state, ctx);
      const shown = state.config.export_path ?? "";
      const path = resolve(ctx.cwd, shown);
      ctx.ui.say("Exporting the container");
      const st = await stat(path).catch(() => undefined);
      if (st?.isDirectory()) throw new BuildError(`export_path must be a file, not a directory: ${shown}`);
      if (ctx.exportTee && ctx.exportFileNeeded === false) {
        // Only the import reads it (Packer would delete the file right after): no file at all.
        const tar = await ctx.engine.exportContainer(container.id, ctx.signal);
        const branch = new PassThrough({ highWaterMark: 1 << 20 });
        const imported = ctx.exportTee(branch, ctx.signal);
        try {
          await pipeline(tar, branch, { signal: ctx.signal });
        } catch (e) {
          // When the import stopped reading, its own error says why.
          const why = await Promise.resolve(imported).then(
            () => e,
            (ie: unknown) => ie,
          );
          throw new BuildError(`Error exporting the container into docker-import: ${errorMessage(why)}`, {
            cause: why,
          });
        }
        state.artifact = { kind: "export", builderId: "packer.docker", path: shown };
        return;
      }
      await mkdir(dirname(path), { recursive: true });
      const temp = join(dirname(path), `.${basename(path)}.kiln-${process.pid}-${Date.now()}.partial`);
      ctx.track?.add(temp);
      try {
        const tar = await ctx.engine.exportContainer(container.id, ctx.signal);
        const tee = ctx.exportTee ? teeInto(tar, ctx.exportTee, ctx.signal) : undefined;
        try {
          await pipeline(tar, createWriteStream(temp), { signal: ctx.signal });
        } catch (e) {
          // The import must not finish from a truncated stream: it fails with the export.
          tee?.destroy(e instanceof Error ? e : new Error(errorMessage(e)));
          throw e;
        }
        await rename(temp, path);
        ctx.track?.remove(temp);
      } catch (e) {
        await rm(temp, { force: true });
        ctx.track?.remove(temp);
        throw new BuildError(`Error exporting the container to ${shown}: ${errorMessage(e)}`, { cause: e });
      }
      state.artifact = { kind: "export", builderId: "packer.docker", path: shown };
    },
  };
}

/**
 * A second reader of `tar` (the import). Backpressure is shared (the file and the import advance
 * together); if the import stops reading (it failed), it is unpiped so the file is still written.
 */
function teeInto(
  tar: Readable,
  consume: (tar: Readable, signal: AbortSignal) => unknown,
  signal: AbortSignal,
): PassThrough {
  const branch = new PassThrough({ highWaterMark: 1 << 20 });
  const detach = () => {
    tar.unpipe(branch);
    branch.resume();
  };
  branch.on("error", detach);
  branch.on("close", () => {
    if (!branch.writableFinished) detach();
  });
  tar.pipe(branch);
  consume(branch, signal);
  return branch;
}

/** discard: the container is thrown away by the cleanup; the artifact names no file. */
export function discardStep(): DockerStep {
  return {
    name: "discard",
    run(state) {
      state.artifact = { kind: "export", builderId: "packer.docker", path: "" };
      return Promise.resolve();
    },
  };
}
