// docker-save: writes the input image as a `docker save` tar, atomically (temp name + rename).
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../core/component.js";
import { BuildError } from "../core/errors.js";
import type { Artifact } from "../core/artifact.js";
import type { DockerSaveConfig } from "./schemas.js";

export class DockerSave implements PostProcessor {
  constructor(private readonly c: DockerSaveConfig) {}

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    if (input.kind !== "image")
      throw new BuildError(
        `Unknown artifact type: ${input.builderId}\nCan only save Docker builder artifacts.`,
      );
    const path = resolve(ctx.cwd, this.c.path);
    ctx.ui.message(`Saving image: ${input.id}`);
    await mkdir(dirname(path), { recursive: true });
    const temp = join(dirname(path), `.${basename(path)}.kiln-${process.pid}-${Date.now()}.partial`);
    ctx.track?.add(temp);
    try {
      const tar = await ctx.engine.saveImages([input.id], ctx.signal);
      await pipeline(tar, createWriteStream(temp), { signal: ctx.signal });
      await rename(temp, path);
      ctx.track?.remove(temp);
    } catch (e) {
      await rm(temp, { force: true });
      ctx.track?.remove(temp);
      throw new BuildError(
        `Error saving ${input.id} to ${this.c.path}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    ctx.ui.message(`Saved to: ${this.c.path}`);
    return { artifact: input, keep: true, forceKeep: false };
  }
}

export function createDockerSave(config: Record<string, unknown>): PostProcessor {
  return new DockerSave(config as unknown as DockerSaveConfig);
}
