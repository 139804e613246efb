// docker-tag: tags the input image as repository:tag for each tag (Packer reference §b).
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../core/component.js";
import { BuildError } from "../core/errors.js";
import type { Artifact } from "../core/artifact.js";
import { IMAGE_ARTIFACT_IDS } from "../core/artifact.js";
import type { DockerTagConfig } from "./schemas.js";
import { optionSetting } from "../template/option-text.js";

export class DockerTag implements PostProcessor {
  constructor(private readonly c: DockerTagConfig) {}

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    if (input.kind !== "image" || !IMAGE_ARTIFACT_IDS.includes(input.builderId)) {
      throw new BuildError(
        `Unknown artifact type: ${input.builderId}\nCan only tag from Docker builder artifacts. docker-tag needs an image: set ${optionSetting(ctx.templateFormat, "commit", true)} in the docker builder, or put a docker-import before it in the same sequence.`,
      );
    }
    if (this.c.tag && this.c.tag.length > 0) {
      // `kiln fix` rewrites JSON templates only: an HCL2 one is edited by hand.
      const how =
        ctx.templateFormat === "hcl"
          ? "rename `tag` to `tags` in the post-processor block"
          : "`kiln fix` does it";
      ctx.ui.say(
        `Deprecation warning: "tag" option has been replaced with "tags". Please update your configuration (${how}).`,
      );
    }
    const tags = [...this.c.tags, ...(this.c.tag ?? [])];
    const refs: string[] = [];
    if (tags.length === 0) {
      ctx.ui.message(`Tagging image: ${input.id}`);
      ctx.ui.message(`Repository: ${this.c.repository}`);
      await ctx.engine.tagImage(input.imageId, this.c.repository, "latest");
      // Packer 1.6.6's artifact then has the repository as given for its id and no docker_tags
      // ("Imported Docker image: repo", no "with tags"); the parity suite checks it.
    }
    for (const tag of tags) {
      ctx.ui.message(`Tagging image: ${input.id}`);
      ctx.ui.message(`Repository: ${this.c.repository}:${tag}`);
      await ctx.engine.tagImage(input.imageId, this.c.repository, tag);
      refs.push(`${this.c.repository}:${tag}`);
    }
    const artifact: Artifact = {
      kind: "image",
      builderId: "packer.post-processor.docker-tag",
      imageId: input.imageId,
      id: refs[refs.length - 1] ?? this.c.repository,
      tags: refs,
    };
    // Packer forces keeping the input: the tag points at the very same image.
    return { artifact, keep: true, forceKeep: true };
  }
}

export function createDockerTag(config: Record<string, unknown>): PostProcessor {
  return new DockerTag(config as unknown as DockerTagConfig);
}
