// artifice: replaces the artifact with a list of local files (Go globs, relative to the working
// directory), for the post-processors after it (docker-import imports the first). As Packer 1.6.6:
// it keeps its input unless keep_input_artifact is false, a pattern matching nothing adds nothing,
// and its artifact's files are deleted when a later post-processor does not keep it.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { artifactFiles, type Artifact } from "../core/artifact.js";
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../core/component.js";
import { BuildError } from "../core/errors.js";
import { goGlob } from "./go-glob.js";
import type { ArtificeConfig } from "./schemas.js";

export const ARTIFICE_BUILDER_ID = "packer.post-processor.artifice";

export class Artifice implements PostProcessor {
  constructor(private readonly c: ArtificeConfig) {}

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    const cwd = ctx.cwd;
    const previous = artifactFiles(input);
    if (previous.length > 0) ctx.ui.say(`Discarding files from artifact: ${previous.join(", ")}`);
    const files: string[] = [];
    for (const pattern of this.c.files) {
      let matches: string[];
      try {
        matches = await goGlob(pattern, cwd);
      } catch (e) {
        throw new BuildError(`artifice: files pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`, {
          cause: e,
        });
      }
      for (const file of matches) {
        // As Packer: a match that cannot be stat'ed (a dangling symlink) fails the post-processor.
        await stat(resolve(cwd, file)).catch((e: Error) => {
          throw new BuildError(`artifice: ${file}: ${e.message}`, { cause: e });
        });
        files.push(file);
      }
    }
    ctx.ui.say(`Using these artifact files: ${files.join(", ")}`);
    const artifact: Artifact = { kind: "files", builderId: ARTIFICE_BUILDER_ID, id: "", files };
    return { artifact, keep: true, forceKeep: false };
  }
}

export function createArtifice(config: Record<string, unknown>): PostProcessor {
  return new Artifice(config as unknown as ArtificeConfig);
}
