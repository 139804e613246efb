// docker-import: imports an exported container filesystem (export_path) as an image.
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../core/component.js";
import { BuildError } from "../core/errors.js";
import { nonBlankChanges } from "../builders/docker/commit-changes.js";
import type { Artifact } from "../core/artifact.js";
import type { DockerImportConfig } from "./schemas.js";

export class DockerImport implements PostProcessor {
  constructor(private readonly c: DockerImportConfig) {}

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    const file = input.kind === "export" ? input.path : input.kind === "files" ? input.files[0] : undefined;
    if (
      !file ||
      (input.builderId !== "packer.docker" && input.builderId !== "packer.post-processor.artifice")
    ) {
      throw new BuildError(
        `Unknown artifact type: ${input.builderId}\nCan only import from Docker builder and Artifice post-processor artifacts. If you are getting this error after having run the docker builder, it may be because you set commit: true in your Docker builder, so the image is already imported.`,
      );
    }
    const ref = this.c.tag ? `${this.c.repository}:${this.c.tag}` : this.c.repository;
    ctx.ui.message("Importing image: Container");
    ctx.ui.message(`Repository: ${ref}`);
    const tag = this.c.tag || "latest";
    // Imported while the export was written (src/run/streamed-import.ts): only tagged here.
    const streamed =
      input.kind === "export"
        ? await ctx.streamedImport?.take({
            changes: this.c.changes?.length ? this.c.changes : undefined,
            platform: this.c.platform || undefined,
          })
        : undefined;
    if (streamed) await ctx.engine.tagImage(streamed, this.c.repository, tag);
    const imageId =
      streamed ??
      (await ctx.engine.importImage(createReadStream(resolve(ctx.cwd, file)), {
        repo: this.c.repository,
        tag,
        changes: nonBlankChanges(this.c.changes),
        platform: this.c.platform || undefined,
        signal: ctx.signal,
      }));
    ctx.ui.message(`Imported ID: ${imageId}`);
    const full = this.c.tag ? ref : `${ref}:latest`;
    const artifact: Artifact = {
      kind: "image",
      builderId: "packer.post-processor.docker-import",
      imageId,
      id: ref,
      tags: [full],
    };
    return { artifact, keep: false, forceKeep: false };
  }
}

export function createDockerImport(config: Record<string, unknown>): PostProcessor {
  return new DockerImport(config as unknown as DockerImportConfig);
}
