// Packer's `shell-local` post-processor: runs once per artifact on the host and passes the artifact
// through unchanged; Packer returns (keep = true, forceOverride = true), so the input is kept even
// with keep_input_artifact false.
import type { Artifact } from "../core/artifact.js";
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../core/component.js";
import { runShellLocal } from "../host/run-shell-local.js";
import type { ShellLocalPostProcessorConfig } from "./shell-local-schema.js";

export class ShellLocalPostProcessor implements PostProcessor {
  constructor(private readonly c: ShellLocalPostProcessorConfig) {}

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    await runShellLocal(this.c, ctx);
    return { artifact: input, keep: true, forceKeep: true };
  }
}

export function createShellLocalPostProcessor(config: Record<string, unknown>): PostProcessor {
  return new ShellLocalPostProcessor(config as unknown as ShellLocalPostProcessorConfig);
}
